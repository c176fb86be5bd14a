//! Failure policies, end to end: a plugin that traps, loops forever, eats memory or returns
//! an error on line 2 of 3, under each of `fail_closed`, `fail_open` and `drop`; plugins that
//! refuse their config; and config typos.
//!
//! Line 2 holds two records, one of which triggers the failure and carries a fake secret.
//! With one worker, lines 1 and 3 go through the same chain as line 2, so they prove the
//! failed instance was replaced and the pipeline carried on.

mod support;

use serde_json::{Value, json};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::{jsonl, run_sluice, temp_dir};

const SECRET: &str = "sk-test-FAKE0000000000";
const BODY: &str = "please never log this body";

/// A way for a plugin to fail.
struct Failing {
    /// The component file in the test-plugin directory.
    file: &'static str,
    /// The `test.action` that triggers the failure.
    action: &'static str,
    /// Extra plugin settings that make the failure quick.
    settings: &'static str,
    /// How the host classifies the failure.
    kind: &'static str,
    /// Whether the plugin marks every row `test.touched = true` when it succeeds.
    touches: bool,
}

const fn failing(
    file: &'static str,
    action: &'static str,
    settings: &'static str,
    kind: &'static str,
    touches: bool,
) -> Failing {
    Failing {
        file,
        action,
        settings,
        kind,
        touches,
    }
}

const TRAP: Failing = failing("test_trap.wasm", "trap", "", "trap", true);
const ERROR: Failing = failing("test_trap.wasm", "error", "", "error", true);
const LOOP: Failing = failing(
    "test_endless_loop.wasm",
    "loop",
    "timeout_ms = 200",
    "timeout",
    false,
);
const HOG: Failing = failing(
    "test_memory_hog.wasm",
    "oom",
    "memory_mib = 32",
    "out_of_memory",
    false,
);

/// `sluice process` on the test's `config.toml` and `input.jsonl`, into `out.jsonl`.
const PROCESS: &[&str] = &[
    "process",
    "--config",
    "config.toml",
    "--input",
    "input.jsonl",
    "--output",
    "out.jsonl",
];

fn record(id: &str, extra: Value) -> Value {
    let mut attrs = vec![json!({"key": "id", "value": {"stringValue": id}})];
    if let Value::Array(more) = extra {
        attrs.extend(more);
    }
    json!({"timeUnixNano": "1700000000000000000", "body": {"stringValue": format!("record {id}")}, "attributes": attrs})
}

fn line(records: Vec<Value>) -> Value {
    json!({"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "chat-api"}}]},
        "scopeLogs": [{"scope": {"name": "app"}, "logRecords": records}]}]})
}

fn input(action: &str) -> Vec<Value> {
    let mut trigger = record(
        "2a",
        json!([
            {"key": "test.action", "value": {"stringValue": action}},
            {"key": "api_key", "value": {"stringValue": SECRET}},
        ]),
    );
    trigger["body"] = json!({"stringValue": format!("{BODY}: {SECRET}")});
    vec![
        line(vec![record("1", json!([]))]),
        line(vec![trigger, record("2b", json!([]))]),
        line(vec![record("3", json!([]))]),
    ]
}

/// `line` as a plugin that marks rows `test.touched = true` leaves it.
fn touched(line: &Value) -> Value {
    let mut line = line.clone();
    for rec in line["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array_mut()
        .expect("records")
    {
        rec["attributes"]
            .as_array_mut()
            .expect("attributes")
            .push(json!({"key": "test.touched", "value": {"boolValue": true}}));
    }
    jsonl::normalize(&line)
}

fn check(f: &Failing, policy: &str) {
    let tmp = temp_dir();
    let dir = tmp.path();
    let config = format!(
        "[runtime]\nworkers = 1\ncache_dir = \"${{SLUICE_TEST_CACHE}}\"\nquarantine_dir = \"${{SLUICE_TEST_OUT}}/quarantine\"\n\n\
         [[plugins]]\nname = \"flaky\"\npath = \"${{SLUICE_TEST_PLUGINS}}/{}\"\non_error = \"{policy}\"\n{}\n\n\
         [[destinations]]\nname = \"sink\"\ntype = \"discard\"\n",
        f.file, f.settings
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let lines = input(f.action);
    std::fs::write(
        dir.join("input.jsonl"),
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let run = run_sluice(dir, PROCESS, &[("SLUICE_TEST_OUT", OsString::from(dir))]);

    // Lines 1 and 3 are processed normally, by the replacement instance where it was replaced.
    let ok = |l: &Value| {
        if f.touches {
            touched(l)
        } else {
            jsonl::normalize(l)
        }
    };
    let (first, unchanged_second, third) =
        (ok(&lines[0]), jsonl::normalize(&lines[1]), ok(&lines[2]));
    let expected = match policy {
        "fail_open" => vec![first, unchanged_second.clone(), third],
        _ => vec![first, third],
    };
    if let Some(report) = jsonl::compare(&expected, &jsonl::read(&dir.join("out.jsonl"))) {
        panic!(
            "{} under {policy}: wrong output:\n{report}\nstderr:\n{}",
            f.action, run.stderr
        );
    }
    run.assert_code(if policy == "fail_open" { 0 } else { 1 });

    // One failure, logged with plugin, policy and record count, never with record content.
    let failures: Vec<String> = run
        .log_events()
        .into_iter()
        .filter(|e| e.contains("plugin failed on a batch"))
        .collect();
    assert_eq!(
        failures.len(),
        1,
        "expected exactly one failure (line 2); stderr:\n{}",
        run.stderr
    );
    for (field, value) in [
        ("plugin", "flaky"),
        ("policy", policy),
        ("failure", f.kind),
        ("records", "2"),
    ] {
        let (plain, quoted) = (format!("{field}={value}"), format!("{field}=\"{value}\""));
        assert!(
            failures[0].contains(&plain) || failures[0].contains(&quoted),
            "the failure line lacks {plain}: {}",
            failures[0]
        );
    }
    run.assert_stderr_lacks(SECRET).assert_stderr_lacks(BODY);

    let quarantine = dir.join("quarantine");
    match policy {
        "fail_closed" => {
            run.assert_stderr_has("quarantined=2");
            check_quarantine(&quarantine, f, &unchanged_second);
        }
        "drop" => {
            run.assert_stderr_has("dropped_on_failure=2");
            assert!(!quarantine.exists(), "only fail_closed quarantines");
        }
        _ => assert!(!quarantine.exists(), "only fail_closed quarantines"),
    }
}

/// Exactly one quarantine file, private to the owner, with the batch as the plugin got it.
fn check_quarantine(dir: &Path, f: &Failing, batch: &Value) {
    let files: Vec<_> = std::fs::read_dir(dir)
        .expect("quarantine dir exists")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one quarantined batch expected: {files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "quarantine file mode is {mode:o}");
    let dir_mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "quarantine dir mode is {dir_mode:o}");
    let lines = jsonl::read(&files[0]);
    assert_eq!(lines.len(), 2, "a metadata line and the batch: {lines:?}");
    let meta = &lines[0]["sluice_quarantine"];
    assert_eq!(meta["plugin"], "flaky", "{meta}");
    assert_eq!(meta["failure"], f.kind, "{meta}");
    assert_eq!(meta["records"], 2, "{meta}");
    if let Some(report) = jsonl::compare(std::slice::from_ref(batch), &lines[1..]) {
        panic!("the quarantined batch is not line 2 as the plugin received it:\n{report}");
    }
}

macro_rules! matrix {
    ($($test:ident => $failing:ident, $policy:literal;)*) => {
        $(
            #[test]
            fn $test() {
                check(&$failing, $policy);
            }
        )*
    };
}

matrix! {
    trap_fail_closed => TRAP, "fail_closed";
    trap_fail_open => TRAP, "fail_open";
    trap_drop => TRAP, "drop";
    error_fail_closed => ERROR, "fail_closed";
    error_fail_open => ERROR, "fail_open";
    error_drop => ERROR, "drop";
    endless_loop_fail_closed => LOOP, "fail_closed";
    endless_loop_fail_open => LOOP, "fail_open";
    endless_loop_drop => LOOP, "drop";
    memory_hog_fail_closed => HOG, "fail_closed";
    memory_hog_fail_open => HOG, "fail_open";
    memory_hog_drop => HOG, "drop";
}

const INPUT: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"s"}]}]}]}"#;

/// Writes `config.toml` and `input.jsonl` into a fresh temp dir.
fn setup(config: &str) -> tempfile::TempDir {
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("config.toml"), config).unwrap();
    std::fs::write(tmp.path().join("input.jsonl"), format!("{INPUT}\n")).unwrap();
    tmp
}

#[test]
fn a_plugin_refusing_its_config_is_reported_verbatim() {
    let tmp = setup(
        "[runtime]\ncache_dir = \"${SLUICE_TEST_CACHE}\"\n\n[[plugins]]\nname = \"strict\"\n\
         path = \"${SLUICE_TEST_PLUGINS}/test_bad_config.wasm\"\n\n[plugins.config]\nthreshold = \"high\"\n\n\
         [[destinations]]\nname = \"nowhere\"\ntype = \"discard\"\n",
    );
    let message = "bad-config: field `threshold`: expected a number, got `\"high\"`";
    // The config file itself is valid: only loading the plugin runs its `init`.
    run_sluice(tmp.path(), &["validate", "--config", "config.toml"], &[]).assert_code(0);
    run_sluice(
        tmp.path(),
        &["validate", "--config", "config.toml", "--plugins"],
        &[],
    )
    .assert_code(2)
    .assert_stderr_has("plugin `strict`")
    .assert_stderr_has(message);
    run_sluice(tmp.path(), PROCESS, &[])
        .assert_code(2)
        .assert_stderr_has("plugin `strict`")
        .assert_stderr_has(message);
    assert!(
        !tmp.path().join("out.jsonl").exists(),
        "nothing is processed with a plugin that refused its config"
    );
}

#[test]
fn a_config_typo_names_the_field_and_line() {
    let tmp = setup(
        "[runtime]\ncache_dir = \"${SLUICE_TEST_CACHE}\"\n\n[[plugins]]\nname = \"edit\"\n\
         path = \"${SLUICE_TEST_PLUGINS}/test_edit.wasm\"\non_error = \"fail-closed\"\n",
    );
    let message = "line 7: plugins[0].on_error: unknown variant `fail-closed`, expected one of `fail_closed`, `fail_open`, `drop`";
    run_sluice(tmp.path(), &["validate", "--config", "config.toml"], &[])
        .assert_code(2)
        .assert_stderr_has(message);
    run_sluice(tmp.path(), PROCESS, &[])
        .assert_code(2)
        .assert_stderr_has(message);
    assert!(!tmp.path().join("out.jsonl").exists());
}
