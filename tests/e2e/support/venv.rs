//! Throwaway Python venvs for tests that drive real Python tools (the OpenTelemetry SDK,
//! LiteLLM): built once under the cargo target dir and reused while the pins are unchanged.

use super::target_tmp;
use std::path::PathBuf;
use std::process::Command;

fn run_ok(cmd: &mut Command) {
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
}

/// The python of venv `name` with the pinned `packages`, creating it first if needed. Test
/// processes run in parallel, so creation happens under a file lock, and a venv counts only
/// once marked complete with exactly these pins.
pub fn python(name: &str, packages: &[&str]) -> PathBuf {
    let tmp = target_tmp();
    std::fs::create_dir_all(&tmp).expect("create the target tmp dir");
    let venv = tmp.join(format!("{name}-venv"));
    let python = venv.join("bin/python");
    let complete = venv.join(".sluice-complete");
    let marker = packages.join(" ");
    let done = || std::fs::read_to_string(&complete).is_ok_and(|m| m == marker);
    if done() {
        return python;
    }
    let lock =
        std::fs::File::create(tmp.join(format!("{name}-venv.lock"))).expect("create the venv lock");
    lock.lock().expect("lock the venv");
    if done() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&venv);
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run_ok(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages),
    );
    std::fs::write(&complete, &marker).expect("mark the venv complete");
    python
}
