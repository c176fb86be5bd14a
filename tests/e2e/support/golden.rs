//! Golden cases: `tests/golden/<case>/` holds
//! - `config.toml`: plugin paths as `${SLUICE_TEST_PLUGINS}/test_edit.wasm`, destination files
//!   as `${SLUICE_TEST_OUT}/<name>.jsonl`, `[runtime] cache_dir = "${SLUICE_TEST_CACHE}"`;
//! - `input.jsonl`: OTLP JSON lines as the Collector's file exporter writes them;
//! - `expected.jsonl`: what `sluice process --output FILE` writes, and/or
//!   `expected/<file>`: what each file destination receives without `--output` (an empty
//!   expected file means the destination receives nothing; any destination file not listed
//!   there fails the case);
//! - optionally `case.toml`: `exit_code` (default 0), `stderr_contains` and `stderr_lacks`
//!   (lists of strings; `{input}` stands for the input file's path).
//!
//! `SLUICE_BLESS=1` rewrites the expected files from what the binary produced.

use super::jsonl;
use super::{Run, repo_root, run_sluice, temp_dir};
use serde_json::Value;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The directory of a golden case.
pub fn case_dir(case: &str) -> PathBuf {
    repo_root().join("tests/golden").join(case)
}

/// Every case directory name.
pub fn all_cases() -> BTreeSet<String> {
    let dir = repo_root().join("tests/golden");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

struct Expectations {
    exit_code: i32,
    stderr_contains: Vec<String>,
    stderr_lacks: Vec<String>,
}

fn expectations(dir: &Path, input: &Path) -> Expectations {
    let mut exp = Expectations {
        exit_code: 0,
        stderr_contains: Vec::new(),
        stderr_lacks: Vec::new(),
    };
    let path = dir.join("case.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return exp;
    };
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let strings = |v: &toml::Value| -> Vec<String> {
        let list = v
            .as_array()
            .unwrap_or_else(|| panic!("{}: expected a list of strings", path.display()));
        list.iter()
            .map(|s| {
                s.as_str()
                    .expect("a string")
                    .replace("{input}", &input.display().to_string())
            })
            .collect()
    };
    for (key, value) in &table {
        match key.as_str() {
            "exit_code" => {
                exp.exit_code = value.as_integer().expect("exit_code is an integer") as i32
            }
            "stderr_contains" => exp.stderr_contains = strings(value),
            "stderr_lacks" => exp.stderr_lacks = strings(value),
            other => panic!("{}: unknown key `{other}`", path.display()),
        }
    }
    exp
}

/// What the runs of a checked case produced.
pub struct Checked {
    /// The raw text of every output file, labelled, to compare two runs byte for byte.
    pub output: String,
    /// The stderr of every run.
    pub stderr: String,
}

/// Runs a case in every mode its expected files ask for, checks exit code, stderr and output
/// (or rewrites the expected files when blessing and `may_bless`), and returns what it produced.
pub fn check(case: &str, env: &[(&str, OsString)], may_bless: bool) -> Checked {
    let dir = case_dir(case);
    assert!(
        dir.join("config.toml").is_file(),
        "{}: no config.toml",
        dir.display()
    );
    let input = dir.join("input.jsonl");
    let exp = expectations(&dir, &input);
    let bless = may_bless && jsonl::blessing();
    let (file_mode, dest_mode) = (dir.join("expected.jsonl"), dir.join("expected"));
    let (mut raw, mut stderr) = (String::new(), String::new());
    let mut failures = Vec::new();

    if file_mode.exists() || (bless && !dest_mode.exists()) {
        let tmp = temp_dir();
        let out = tmp.path().join("output.jsonl");
        stderr.push_str(&process(case, tmp.path(), &input, Some(&out), env, &exp).stderr);
        let dest_files = list_files(&tmp.path().join("out"));
        assert!(
            dest_files.is_empty(),
            "{case}: with --output, destination files must not be written: {dest_files:?}"
        );
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        raw.push_str(&format!("== --output\n{text}"));
        let actual = jsonl::parse(&text, "--output");
        if bless {
            jsonl::write(&file_mode, &actual);
        } else if let Some(report) = jsonl::compare(&jsonl::read(&file_mode), &actual) {
            failures.push(format!("--output vs {}:\n{report}", file_mode.display()));
        }
    }

    if dest_mode.is_dir() {
        let tmp = temp_dir();
        stderr.push_str(&process(case, tmp.path(), &input, None, env, &exp).stderr);
        let out_dir = tmp.path().join("out");
        let names: BTreeSet<String> = list_files(&dest_mode)
            .union(&list_files(&out_dir))
            .cloned()
            .collect();
        for name in names {
            let (expected_path, actual_path) = (dest_mode.join(&name), out_dir.join(&name));
            let text = std::fs::read_to_string(&actual_path).unwrap_or_default();
            raw.push_str(&format!("== {name}\n{text}"));
            let actual: Vec<Value> = jsonl::parse(&text, &name);
            if bless {
                jsonl::write(&expected_path, &actual);
            } else if !expected_path.exists() {
                failures.push(format!(
                    "destination file {name} was written but is not expected:\n{text}"
                ));
            } else if let Some(report) = jsonl::compare(&jsonl::read(&expected_path), &actual) {
                failures.push(format!(
                    "destination file {name} vs {}:\n{report}",
                    expected_path.display()
                ));
            }
        }
    }

    assert!(
        !raw.is_empty(),
        "{case}: no expected.jsonl and no expected/ directory (run with SLUICE_BLESS=1 to create them)"
    );
    assert!(
        failures.is_empty(),
        "golden case `{case}` failed (SLUICE_BLESS=1 rewrites the expected files):\n\n{}",
        failures.join("\n")
    );
    Checked {
        output: raw,
        stderr,
    }
}

fn process(
    case: &str,
    cwd: &Path,
    input: &Path,
    output: Option<&Path>,
    env: &[(&str, OsString)],
    exp: &Expectations,
) -> Run {
    let config = case_dir(case).join("config.toml");
    let (config, input) = (
        config.to_str().expect("utf-8 path"),
        input.to_str().expect("utf-8 path"),
    );
    let mut args = vec!["process", "--config", config, "--input", input];
    let out;
    if let Some(o) = output {
        out = o.to_str().expect("utf-8 path").to_string();
        args.extend(["--output", &out]);
    }
    let mut vars = vec![("SLUICE_TEST_OUT", cwd.join("out").into_os_string())];
    vars.extend(env.iter().cloned());
    let run = run_sluice(cwd, &args, &vars);
    assert_eq!(
        run.code, exp.exit_code,
        "{case}: unexpected exit code; stderr:\n{}",
        run.stderr
    );
    for needle in &exp.stderr_contains {
        run.assert_stderr_has(needle);
    }
    for needle in &exp.stderr_lacks {
        run.assert_stderr_lacks(needle);
    }
    run
}

fn list_files(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}
