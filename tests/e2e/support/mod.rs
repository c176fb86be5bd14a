//! Shared helpers of the end-to-end tests: running the real `sluice` binary as a process on
//! real files, with the compiled test plugins, and comparing OTLP JSON lines.
//!
//! Every run gets these environment variables, which test configs interpolate:
//! - `SLUICE_TEST_PLUGINS`: the directory of the compiled test plugins (`test_edit.wasm`, ...);
//! - `SLUICE_TEST_CACHE`: a compile cache shared by every test (`[runtime] cache_dir`), so each
//!   component is compiled once per target dir, not once per test;
//! - `SLUICE_ADD_ATTRIBUTE_PLUGIN`: the add-attribute component (the Rust one unless a test
//!   points it at the Python twin);
//! - `SLUICE_TEST_OUT`: set per run by the caller, for destination files and quarantines.

#![allow(dead_code)] // each test crate uses its own subset

pub mod capture;
pub mod daemon;
pub mod golden;
pub mod jsonl;
pub mod venv;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ sits in the workspace root")
        .to_path_buf()
}

/// The directory holding every compiled test plugin.
pub fn plugins_dir() -> PathBuf {
    Path::new(sluice_artifacts::test_plugins::EDIT)
        .parent()
        .expect("plugin file has a directory")
        .to_path_buf()
}

/// Scratch space under the cargo target dir that outlives one test (compile cache, builds).
pub fn target_tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A fresh temp dir for one test, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    std::fs::create_dir_all(target_tmp()).expect("create the target tmp dir");
    tempfile::Builder::new()
        .prefix("sluice-e2e-")
        .tempdir_in(target_tmp())
        .expect("create a temp dir")
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error, without colour codes.
    pub stderr: String,
}

impl Run {
    /// Panics, showing stderr, unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code; stderr:\n{}",
            self.stderr
        );
        self
    }

    /// Panics unless stderr contains `needle`.
    pub fn assert_stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}; stderr:\n{}",
            self.stderr
        );
        self
    }

    /// Panics if stderr contains `needle`.
    pub fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr must not contain {needle:?}; stderr:\n{}",
            self.stderr
        );
        self
    }
}

impl Run {
    /// The log events on stderr, each with its continuation lines (a multi-line message).
    pub fn log_events(&self) -> Vec<String> {
        let mut events: Vec<String> = Vec::new();
        for line in self.stderr.lines() {
            // Events start with an RFC 3339 timestamp: `2026-01-02T03:04:05...`.
            let starts_event =
                line.len() > 11 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T';
            match events.last_mut() {
                Some(event) if !starts_event => {
                    event.push('\n');
                    event.push_str(line);
                }
                _ => events.push(line.to_string()),
            }
        }
        events
    }
}

/// A `sluice` command with the test environment set, run from `cwd` (so no relative path
/// in a config can write into the repository).
pub fn sluice(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .env("SLUICE_TEST_PLUGINS", plugins_dir())
        .env("SLUICE_TEST_CACHE", target_tmp().join("e2e-compile-cache"))
        .env(
            "SLUICE_ADD_ATTRIBUTE_PLUGIN",
            sluice_artifacts::test_plugins::ADD_ATTRIBUTE,
        )
        // Configs without `cache_dir` (the examples) must not write to the user's cache.
        .env("XDG_CACHE_HOME", target_tmp().join("e2e-xdg-cache"))
        .env("NO_COLOR", "1")
        .env_remove("SLUICE_LOG");
    cmd
}

/// Runs a command to completion and captures what it printed.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: strip_ansi(&String::from_utf8_lossy(&out.stderr)),
    }
}

/// Runs `sluice` with `args` from `cwd`, with extra environment variables.
pub fn run_sluice(cwd: &Path, args: &[&str], env: &[(&str, OsString)]) -> Run {
    let mut cmd = sluice(cwd, args);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    run(&mut cmd)
}

/// Removes ANSI escape sequences (in case colour is forced on despite `NO_COLOR`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters... final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
