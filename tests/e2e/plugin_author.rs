//! Plugin authoring, end to end: `sluice plugin test` on the compiled test plugins (every
//! kind of edit, failures, load and settings errors), and `sluice plugin new` scaffolding a
//! crate that `cargo test`s, builds to a component and runs under `sluice plugin test`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{Run, run, run_sluice, temp_dir};

const TRACE: &str = "5b8efff798038103d269b633813fc60c";

/// Two spans (one of them an LLM call) and a log record, like the scaffold's sample.
const SAMPLE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeSpans":[{"scope":{"name":"example"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat gpt-4o","kind":3,"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"GET /checkout","kind":2}]}]}]}
{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"scope":{"name":"example"},"logRecords":[{"body":{"stringValue":"order placed"},"attributes":[{"key":"order.id","value":{"stringValue":"A-1001"}}]}]}]}]}
"#;

/// Records for the edit plugin: an acme LLM call with a secret and a nested debug payload, a
/// health probe to drop, an acme log with the secret in its body, another tenant's log (in a
/// resource of its own) and a metric point, both left alone.
const EDIT_INPUT: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},"scopeSpans":[{"scope":{"name":"openai"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat gpt-4o","kind":3,"attributes":[{"key":"llm.tenant","value":{"stringValue":"acme"}},{"key":"gen_ai.prompt","value":{"stringValue":"my password is hunter2"}},{"key":"debug.payload","value":{"kvlistValue":{"values":[{"key":"raw","value":{"stringValue":"x"}}]}}}]},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"GET /health","kind":2,"attributes":[{"key":"llm.tenant","value":{"stringValue":"probe"}}]}]}]}]}
{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}}]},"scopeLogs":[{"scope":{"name":"app"},"logRecords":[{"body":{"stringValue":"user typed hunter2 into the chat"},"attributes":[{"key":"llm.tenant","value":{"stringValue":"acme"}}]}]}]},{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},"scopeLogs":[{"scope":{"name":"app"},"logRecords":[{"body":{"stringValue":"invoice sent"},"attributes":[{"key":"llm.tenant","value":{"stringValue":"globex"}}]}]}]}]}
{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},"scopeMetrics":[{"scope":{"name":"app"},"metrics":[{"name":"gen_ai.client.token.usage","sum":{"dataPoints":[{"asInt":"120","attributes":[{"key":"llm.tenant","value":{"stringValue":"globex"}}]}],"aggregationTemporality":2,"isMonotonic":true}}]}]}]}
"#;

const EDIT_SIDECAR: &str = r#"on_error = "fail_open"

[[config.rules]]
when = { key = "llm.tenant", equals = "acme" }
set = { key = "env", value = "prod", scope = "resource" }
remove = "debug.payload"
replace = { find = "hunter2", with = "[REDACTED]" }
add_destination = "evals"
deny_destination = "vendor"

[[config.rules]]
when = { key = "llm.tenant", equals = "acme" }
set = { key = "sluice.cost.usd", value = 0.00123 }

[[config.rules]]
when = { key = "llm.tenant", equals = "probe" }
drop = true
"#;

/// Line 1 passes, line 2 traps, line 3 returns an error.
const TRAP_INPUT: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"fine"}]}]}]}
{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"boom","attributes":[{"key":"test.action","value":{"stringValue":"trap"}}]},{"name":"bystander"}]}]}]}
{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"refused","attributes":[{"key":"test.action","value":{"stringValue":"error"}}]}]}]}]}
"#;

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn plugin_test(cwd: &Path, wasm: &str, args: &[&str]) -> Run {
    let mut all = vec!["plugin", "test", wasm];
    all.extend_from_slice(args);
    run_sluice(cwd, &all, &[])
}

/// Panics with the whole run unless stdout is exactly `expected`.
fn assert_stdout(run: &Run, expected: &str) {
    assert_eq!(
        run.stdout, expected,
        "stdout differs; stderr:\n{}",
        run.stderr
    );
}

#[test]
fn add_attribute_run_shows_the_attribute_on_every_record() {
    let tmp = temp_dir();
    write(tmp.path(), "sample.jsonl", SAMPLE);
    write(
        tmp.path(),
        "add.toml",
        "on_error = \"fail_open\"\n\n[config]\nkey = \"team\"\nvalue = \"checkout\"\n",
    );
    let wasm = sluice_artifacts::test_plugins::ADD_ATTRIBUTE;
    let run = plugin_test(
        tmp.path(),
        wasm,
        &["--input", "sample.jsonl", "--config", "add.toml"],
    );
    run.assert_code(0);
    assert_stdout(
        &run,
        &format!(
            "plugin add-attribute 0.1.0 from {wasm} (takes traces, logs, metrics; on_error = fail_open)
line 1, span \"chat gpt-4o\" (trace {TRACE}, span eee19b7ec3c1b174)
  + attribute team = \"checkout\"
line 1, span \"GET /checkout\" (trace {TRACE}, span eee19b7ec3c1b175)
  + attribute team = \"checkout\"
line 2, log record 1
  + attribute team = \"checkout\"
summary: 3 records in, 3 changed, 0 dropped, 0 unchanged
"
        ),
    );
}

#[test]
fn long_values_are_shortened_unless_full() {
    let tmp = temp_dir();
    write(tmp.path(), "sample.jsonl", SAMPLE);
    let long = format!("{}END", "v".repeat(100));
    write(
        tmp.path(),
        "add.toml",
        &format!("[config]\nkey = \"note\"\nvalue = \"{long}\"\n"),
    );
    let wasm = sluice_artifacts::test_plugins::ADD_ATTRIBUTE;
    let args = ["--input", "sample.jsonl", "--config", "add.toml"];
    let short = plugin_test(tmp.path(), wasm, &args);
    short.assert_code(0);
    let shown = format!("  + attribute note = \"{}…\"\n", "v".repeat(79));
    assert_eq!(short.stdout.matches(&shown).count(), 3, "{}", short.stdout);
    assert!(
        short.stdout.ends_with(
            "(values longer than 80 characters are shortened with …; --full prints them whole)\n"
        ),
        "{}",
        short.stdout
    );
    let full = plugin_test(tmp.path(), wasm, &[&args[..], &["--full"]].concat());
    full.assert_code(0);
    let whole = format!("  + attribute note = \"{long}\"\n");
    assert_eq!(full.stdout.matches(&whole).count(), 3, "{}", full.stdout);
    assert!(!full.stdout.contains('…'), "{}", full.stdout);
}

#[test]
fn edit_run_shows_set_remove_replace_drop_add_and_deny() {
    let tmp = temp_dir();
    write(tmp.path(), "input.jsonl", EDIT_INPUT);
    write(tmp.path(), "edit.toml", EDIT_SIDECAR);
    let wasm = sluice_artifacts::test_plugins::EDIT;
    let run = plugin_test(
        tmp.path(),
        wasm,
        &[
            "--input",
            "input.jsonl",
            "--config",
            "edit.toml",
            "--destination",
            "evals,vendor",
        ],
    );
    run.assert_code(0);
    assert_stdout(
        &run,
        &format!(
            "plugin edit 0.1.0 from {wasm} (takes traces, logs, metrics; on_error = fail_open)
line 1, span \"chat gpt-4o\" (trace {TRACE}, span eee19b7ec3c1b174)
  + resource attribute env = \"prod\"
  ~ attribute gen_ai.prompt: \"my password is hunter2\" -> \"my password is [REDACTED]\"
  + attribute sluice.cost.usd = 0.00123
  - attribute debug.payload
  + destination evals
  - destination vendor (denied)
line 1, span \"GET /health\" (trace {TRACE}, span eee19b7ec3c1b175)
  x dropped
line 2, log record 1
  + resource attribute env = \"prod\"
  + attribute sluice.cost.usd = 0.00123
  ~ body: \"user typed hunter2 into the chat\" -> \"user typed [REDACTED] into the chat\"
  + destination evals
  - destination vendor (denied)
summary: 5 records in, 2 changed, 1 dropped, 2 unchanged
"
        ),
    );
}

#[test]
fn an_unlisted_destination_is_a_plugin_failure_with_a_hint() {
    let tmp = temp_dir();
    write(tmp.path(), "input.jsonl", EDIT_INPUT);
    write(tmp.path(), "edit.toml", EDIT_SIDECAR);
    let run = plugin_test(
        tmp.path(),
        sluice_artifacts::test_plugins::EDIT,
        &["--input", "input.jsonl", "--config", "edit.toml"],
    );
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "line 1: the plugin failed on this batch (2 records); none of its edits apply: returned an error: unknown destination `evals`; configured: \
             (name each destination the plugin may add or deny with --destination)\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failing_plugin_exits_1_with_the_reason() {
    let tmp = temp_dir();
    write(tmp.path(), "input.jsonl", TRAP_INPUT);
    let wasm = sluice_artifacts::test_plugins::TRAP;
    let run = plugin_test(tmp.path(), wasm, &["--input", "input.jsonl"]);
    run.assert_code(1);
    assert_stdout(
        &run,
        &format!(
            "plugin trap 0.1.0 from {wasm} (takes traces, logs, metrics; on_error = fail_closed)
line 1, span \"fine\"
  + attribute test.touched = true
line 2: the plugin failed on this batch (2 records); none of its edits apply: trapped: wasm trap: wasm `unreachable` instruction executed (a Rust panic traps: set `stdio = true` under [grants] in the --config file to see its message)
line 3: the plugin failed on this batch (1 record); none of its edits apply: returned an error: asked to fail
summary: 4 records in, 1 changed, 0 dropped, 0 unchanged, 3 in failed batches; the plugin failed on 2 batches
"
        ),
    );
}

#[test]
fn missing_or_corrupt_components_exit_2_naming_the_file() {
    let tmp = temp_dir();
    write(tmp.path(), "sample.jsonl", SAMPLE);
    let missing = plugin_test(tmp.path(), "missing.wasm", &["--input", "sample.jsonl"]);
    missing
        .assert_code(2)
        .assert_stderr_has("error: cannot read missing.wasm: No such file or directory");
    assert_eq!(missing.stdout, "");

    write(tmp.path(), "corrupt.wasm", "\0asm but not really");
    let corrupt = plugin_test(tmp.path(), "corrupt.wasm", &["--input", "sample.jsonl"]);
    corrupt.assert_code(2).assert_stderr_has(
        "error: corrupt.wasm: plugin `corrupt`: not a loadable WebAssembly component:",
    );
    assert_eq!(corrupt.stdout, "");

    // A component whose init refuses its (missing) config does not load either.
    let refused = plugin_test(
        tmp.path(),
        sluice_artifacts::test_plugins::BAD_CONFIG,
        &["--input", "sample.jsonl"],
    );
    refused
        .assert_code(2)
        .assert_stderr_has("plugin `test_bad_config`: init failed:");
}

#[test]
fn a_sidecar_with_an_unknown_field_exits_2_naming_file_line_and_field() {
    let tmp = temp_dir();
    write(tmp.path(), "sample.jsonl", SAMPLE);
    write(
        tmp.path(),
        "typo.toml",
        "on_error = \"fail_open\"\n\n[grantz]\nstdio = true\n",
    );
    let run = plugin_test(
        tmp.path(),
        sluice_artifacts::test_plugins::ADD_ATTRIBUTE,
        &["--input", "sample.jsonl", "--config", "typo.toml"],
    );
    run.assert_code(2).assert_stderr_has(
        "error: typo.toml: line 3: grantz: unknown field `grantz`, expected one of",
    );
    assert_eq!(run.stdout, "");

    write(
        tmp.path(),
        "zero.toml",
        "memory_mib = 0
",
    );
    let run = plugin_test(
        tmp.path(),
        sluice_artifacts::test_plugins::ADD_ATTRIBUTE,
        &["--input", "sample.jsonl", "--config", "zero.toml"],
    );
    run.assert_code(2)
        .assert_stderr_has("error: zero.toml: memory_mib: 0 is outside 1..=4096");
}

#[test]
fn plugin_new_refuses_bad_names_and_existing_directories() {
    let tmp = temp_dir();
    let dir = tmp.path().to_str().unwrap();
    let bad = run_sluice(
        tmp.path(),
        &["plugin", "new", "My Plugin", "--dir", dir],
        &[],
    );
    bad.assert_code(2)
        .assert_stderr_has("error: `My Plugin` cannot be a plugin name:");
    let keyword = run_sluice(tmp.path(), &["plugin", "new", "self", "--dir", dir], &[]);
    keyword.assert_code(2).assert_stderr_has("it is reserved");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    std::fs::create_dir(tmp.path().join("taken")).unwrap();
    let exists = run_sluice(tmp.path(), &["plugin", "new", "taken", "--dir", dir], &[]);
    exists
        .assert_code(2)
        .assert_stderr_has("taken already exists");
    assert_eq!(
        std::fs::read_dir(tmp.path().join("taken")).unwrap().count(),
        0
    );
}

/// `cargo` as a plugin author runs it: from PATH, in the scaffold, with none of the outer
/// build's flags, wrappers or toolchain override, into a target dir kept between runs.
fn cargo(crate_dir: &Path, args: &[&str]) -> Run {
    let target = support::target_tmp()
        .parent()
        .expect("the target tmp dir sits in the target dir")
        .join("scaffold-test");
    let mut cmd = Command::new("cargo");
    cmd.current_dir(crate_dir)
        .args(args)
        .env("CARGO_TARGET_DIR", &target);
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_PRIMARY_PACKAGE",
        "RUSTUP_TOOLCHAIN",
    ] {
        cmd.env_remove(var);
    }
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        cmd.env("CARGO_HOME", home);
    }
    let run = run(&mut cmd);
    assert_eq!(
        run.code, 0,
        "cargo {args:?} failed in the scaffold:\n{}\n{}",
        run.stdout, run.stderr
    );
    run
}

#[test]
fn scaffolded_plugin_tests_builds_and_runs_under_plugin_test() {
    let tmp = temp_dir();
    let parent = tmp.path().join("plugins");
    let new = run_sluice(
        tmp.path(),
        &[
            "plugin",
            "new",
            "stamp-team",
            "--dir",
            parent.to_str().unwrap(),
        ],
        &[],
    );
    new.assert_code(0);
    let crate_dir = parent.join("stamp-team");
    assert!(
        new.stdout.contains(
            "sluice plugin test target/wasm32-wasip2/release/stamp_team.wasm --input sample.jsonl --config stamp-team.toml"
        ),
        "{}",
        new.stdout
    );
    for file in [
        "Cargo.toml",
        "rust-toolchain.toml",
        "README.md",
        "stamp-team.toml",
        "sample.jsonl",
        "src/lib.rs",
        "sluice-plugin-sdk/Cargo.toml",
        "sluice-plugin-sdk/src/lib.rs",
        "sluice-plugin-sdk/wit/plugin.wit",
    ] {
        assert!(crate_dir.join(file).is_file(), "the scaffold lacks {file}");
    }

    let test = cargo(&crate_dir, &["test"]);
    assert!(
        test.stdout.contains("test result: ok. 2 passed"),
        "{}",
        test.stdout
    );
    cargo(
        &crate_dir,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    let wasm = support::target_tmp()
        .parent()
        .unwrap()
        .join("scaffold-test/wasm32-wasip2/release/stamp_team.wasm");
    let wasm = wasm.to_str().unwrap();

    let run = run_sluice(
        &crate_dir,
        &[
            "plugin",
            "test",
            wasm,
            "--input",
            "sample.jsonl",
            "--config",
            "stamp-team.toml",
        ],
        &[],
    );
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(&format!(
            "plugin stamp-team 0.1.0 from {wasm} (takes traces, logs, metrics; on_error = fail_open)\n"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .matches("\n  + attribute team = \"checkout\"\n")
            .count(),
        3,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("summary: 3 records in, 3 changed, 0 dropped, 0 unchanged\n"),
        "{}",
        run.stdout
    );
}
