//! sluice against detect-secrets (Yelp's, the best open detector we know) on the quality
//! corpus: both run on every case, the test prints recall per kind and false positives for
//! each, and fails if detect-secrets catches a secret sluice misses.
//!
//!     cargo test -p sluice-plugin-redact --test detect_secrets -- --nocapture
//!
//! detect-secrets (`DETECT_SECRETS` below, from PyPI) runs in a venv under the target dir,
//! made on first use, with its default settings (every plugin, every filter), scanning each
//! case as a file the way `detect-secrets scan` does. A case at a sensitive key is handed to
//! it as the JSON member `"<key>": "<value>"`, the friendliest form for its keyword plugin
//! (an OTLP JSON export puts the key and the value further apart). A positive counts as
//! caught by detect-secrets when a reported value overlaps one of its secrets (detect-secrets
//! reports only a token's prefix for some types, e.g. `ghp`); a negative with any report is a
//! false positive. For sluice, the definitions of `tests/corpus.rs`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use sluice_plugin_redact::Redact;
use sluice_plugin_sdk::{Plugin, TextOrigin};
use support::FakeBatch;

const CORPUS: &str = include_str!("../../../tests/redaction/corpus.jsonl");
const DEFAULT: &str = include_str!("../default.toml");
const DETECT_SECRETS: &str = "detect-secrets==1.5.0";

/// Scans the files named on the command line with detect-secrets' default settings and
/// prints `{file: [[type, value], ...]}`.
const SCAN: &str = r#"
import json, sys
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings
files = sys.argv[1:]
with default_settings():
    found = SecretsCollection()
    found.scan_files(*files)
    print(json.dumps({f: [[s.type, s.secret_value or ""] for s in found.data.get(f, [])] for f in files}))
"#;

#[derive(Debug, Deserialize)]
struct Case {
    kind: String,
    group: String,
    location: String,
    attr: String,
    key: String,
    text: String,
    secrets: Vec<String>,
}

fn origin(location: &str) -> TextOrigin {
    match location {
        "attribute" | "nested" | "json_content" | "key" => TextOrigin::Attribute,
        "body" => TextOrigin::Body,
        "event" => TextOrigin::Event,
        "resource" => TextOrigin::ResourceAttribute,
        other => panic!("unknown location {other}"),
    }
}

fn target_tmp() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("tmp")
}

/// The venv's python, made (under a file lock, for parallel test runs) when missing.
fn python() -> PathBuf {
    let tmp = target_tmp();
    std::fs::create_dir_all(&tmp).expect("target tmp dir");
    let venv = tmp.join("detect-secrets-venv");
    let python = venv.join("bin/python");
    let complete = venv.join(".sluice-complete");
    let done = || std::fs::read_to_string(&complete).is_ok_and(|m| m == DETECT_SECRETS);
    if done() {
        return python;
    }
    let lock = std::fs::File::create(tmp.join("detect-secrets-venv.lock")).expect("venv lock");
    lock.lock().expect("lock the venv");
    if done() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&venv);
    let run = |cmd: &mut Command| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is python3 installed?)"));
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        DETECT_SECRETS,
    ]));
    std::fs::write(&complete, DETECT_SECRETS).expect("mark the venv complete");
    python
}

/// Whether a reported value is (part of) a secret.
fn overlaps(reported: &str, secret: &str) -> bool {
    if reported.len() >= 3 && (secret.contains(reported) || reported.contains(secret)) {
        return true;
    }
    let w = secret.len().min(8);
    (0..=secret.len() - w)
        .filter(|&i| secret.is_char_boundary(i) && secret.is_char_boundary(i + w))
        .any(|i| reported.contains(&secret[i..i + w]))
}

/// Whether some 10-character window of a secret survived redaction (as `tests/corpus.rs`).
fn leaks(secret: &str, out: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    let w = chars.len().min(10);
    chars
        .windows(w)
        .any(|win| out.contains(&win.iter().collect::<String>()))
}

#[derive(Default)]
struct Score {
    cases: usize,
    sluice: usize,
    detect_secrets: usize,
}

#[test]
fn sluice_catches_everything_detect_secrets_catches() {
    let cases: Vec<Case> = CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line"))
        .collect();

    // sluice, through the plugin as in tests/corpus.rs.
    let mut batch = FakeBatch::default();
    let leaves: Vec<usize> = cases
        .iter()
        .map(|c| {
            let row = batch.row();
            batch.leaf(row, origin(&c.location), &c.attr, &c.key, &c.text)
        })
        .collect();
    batch.run(&mut Redact::init(DEFAULT).expect("default config"));

    // detect-secrets, one file per case.
    let dir = target_tmp().join(format!("detect-secrets-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("case dir");
    let files: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = format!("case-{i:04}.txt");
            let path = dir.join(&name);
            let text = if c.location == "key" {
                format!(
                    "{}: {}\n",
                    serde_json::json!(c.key),
                    serde_json::json!(c.text)
                )
            } else {
                format!("{}\n", c.text)
            };
            std::fs::write(&path, text).expect("case file");
            name
        })
        .collect();
    // Run from the case directory: detect-secrets keys its results by relative path.
    let out = Command::new(python())
        .current_dir(&dir)
        .arg("-c")
        .arg(SCAN)
        .args(&files)
        .output()
        .expect("run detect-secrets");
    assert!(
        out.status.success(),
        "detect-secrets failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: BTreeMap<String, Vec<(String, String)>> =
        serde_json::from_slice(&out.stdout).expect("detect-secrets output");
    let _ = std::fs::remove_dir_all(&dir);

    let mut kinds: BTreeMap<&str, Score> = BTreeMap::new();
    let (mut missed_by_sluice, mut ds_fp_examples) = (Vec::new(), Vec::new());
    let (mut positives, mut negatives) = (0, 0);
    let (mut s_hit, mut d_hit, mut s_fp, mut d_fp) = (0, 0, 0, 0);
    for ((case, &leaf), file) in cases.iter().zip(&leaves).zip(&files) {
        let found = &reports[file];
        let out = batch.out(leaf);
        let score = kinds.entry(&case.kind).or_default();
        score.cases += 1;
        if case.group == "negative" {
            negatives += 1;
            let s = out != case.text;
            let d = !found.is_empty();
            s_fp += usize::from(s);
            d_fp += usize::from(d);
            score.sluice += usize::from(!s);
            score.detect_secrets += usize::from(!d);
            if d && ds_fp_examples.len() < 8 {
                ds_fp_examples.push(format!("{:?} -> {:?}", case.text, found));
            }
        } else {
            positives += 1;
            let s = !case.secrets.iter().any(|x| leaks(x, out));
            let d = case
                .secrets
                .iter()
                .any(|x| found.iter().any(|(_, v)| overlaps(v, x)));
            s_hit += usize::from(s);
            d_hit += usize::from(d);
            score.sluice += usize::from(s);
            score.detect_secrets += usize::from(d);
            if d && !s {
                missed_by_sluice.push(format!("{:?} ({})", case.text, case.kind));
            }
        }
    }
    println!(
        "{:<28} {:>5} {:>8} {:>15}",
        "kind", "cases", "sluice", "detect-secrets"
    );
    for (kind, s) in &kinds {
        let pct = |n: usize| 100.0 * n as f64 / s.cases as f64;
        let what = if kind.starts_with("neg_") {
            "clean"
        } else {
            "caught"
        };
        println!(
            "{kind:<28} {:>5} {:>7.1}% {:>14.1}%  {what}",
            s.cases,
            pct(s.sluice),
            pct(s.detect_secrets)
        );
    }
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    println!(
        "\n{} cases ({positives} positives, {negatives} negatives)\n\
         sluice:         recall {:.1}%, false positives {:.1}%\n\
         detect-secrets: recall {:.1}%, false positives {:.1}%",
        cases.len(),
        pct(s_hit, positives),
        pct(s_fp, negatives),
        pct(d_hit, positives),
        pct(d_fp, negatives)
    );
    for e in &ds_fp_examples {
        println!("detect-secrets false positive: {e}");
    }
    assert!(
        missed_by_sluice.is_empty(),
        "detect-secrets caught {} secrets sluice missed:\n{}",
        missed_by_sluice.len(),
        missed_by_sluice.join("\n")
    );
}
