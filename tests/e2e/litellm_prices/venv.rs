//! A throwaway venv with LiteLLM, built once under the cargo target dir and reused while the
//! pin is unchanged.

use crate::support::target_tmp;
use std::path::PathBuf;
use std::process::Command;

/// The LiteLLM release whose table and cost calculator sluice is compared with.
pub const LITELLM: &str = "litellm==1.110.2";

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is python3 installed?)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The venv's python, creating the venv first if needed. Creation happens under a file lock
/// (test processes run in parallel), and a venv counts only once marked complete.
pub fn python() -> PathBuf {
    let tmp = target_tmp();
    std::fs::create_dir_all(&tmp).expect("create the target tmp dir");
    let version = LITELLM.rsplit('=').next().unwrap_or("x");
    let venv = tmp.join(format!("litellm-venv-{version}"));
    let python = venv.join("bin/python");
    let complete = venv.join(".sluice-complete");
    let done = || std::fs::read_to_string(&complete).is_ok_and(|m| m == LITELLM);
    if done() {
        return python;
    }
    let lock = std::fs::File::create(tmp.join("litellm-venv.lock")).expect("create the venv lock");
    lock.lock().expect("lock the venv");
    if done() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&venv);
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run_ok(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        LITELLM,
    ]));
    std::fs::write(&complete, LITELLM).expect("mark the venv complete");
    python
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
