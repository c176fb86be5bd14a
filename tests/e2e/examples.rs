//! The example configs under `examples/` stay valid: each one loads with its plugins, and
//! the file-mode example runs end to end.

mod support;

use std::path::{Path, PathBuf};
use support::{repo_root, run_sluice, temp_dir};

fn configs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
    {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            configs(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_example_config_validates_with_its_plugins() {
    let mut found = Vec::new();
    configs(&repo_root().join("examples"), &mut found);
    assert!(
        !found.is_empty(),
        "no example configs (*.toml) under examples/"
    );
    for config in found {
        // From an empty working directory: paths in examples must not depend on where sluice runs.
        let tmp = temp_dir();
        run_sluice(
            tmp.path(),
            &[
                "validate",
                "--config",
                config.to_str().expect("utf-8 path"),
                "--plugins",
            ],
            &[],
        )
        .assert_code(0)
        .assert_stderr_has(": ok");
    }
}

#[test]
fn the_file_mode_example_processes_a_file() {
    let config = repo_root().join("examples/file-mode.toml");
    let tmp = temp_dir();
    let span = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat gpt-4o","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"100"}}]}]}]}]}"#;
    std::fs::write(tmp.path().join("spans.jsonl"), format!("{span}\n")).unwrap();
    run_sluice(
        tmp.path(),
        &[
            "process",
            "--config",
            config.to_str().expect("utf-8 path"),
            "--input",
            "spans.jsonl",
        ],
        &[],
    )
    .assert_code(0);
    // The destination path is relative: it resolves against the working directory.
    let out = support::jsonl::read(&tmp.path().join("sluice-out/traces.jsonl"));
    assert_eq!(out.len(), 1, "one line in, one line out");
    let span = &out[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "chat gpt-4o", "{span}");
    let attrs = span["attributes"].as_array().expect("attributes");
    assert!(
        attrs.iter().any(|kv| kv["key"] == "sluice.cost.status"),
        "the cost plugin did not run: {span}"
    );
}
