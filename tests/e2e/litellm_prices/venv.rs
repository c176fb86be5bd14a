//! LiteLLM's cost calculator, from a throwaway venv (see `support::venv`).

use std::path::PathBuf;
use std::process::Command;

/// The LiteLLM release whose table and cost calculator sluice is compared with.
pub const LITELLM: &str = "litellm==1.110.2";

/// The venv's python (created on first use).
pub fn python() -> PathBuf {
    crate::support::venv::python("litellm", &[LITELLM])
}

/// Runs `cost.py` with `args`, `stdin` as its input; its stdout.
pub fn cost_py(args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let script = crate::support::repo_root().join("tests/e2e/litellm_prices/cost.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start cost.py");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_string();
    // Written from a thread: a large input must not deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().expect("run cost.py");
    writer
        .join()
        .expect("writer")
        .expect("write cases to cost.py");
    assert!(
        out.status.success(),
        "cost.py failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
