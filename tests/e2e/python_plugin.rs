//! The Python twin of the add-attribute plugin (`tests/plugins/python-add-attribute`, built
//! with componentize-py) must behave exactly like the Rust one: the same golden cases, with
//! `SLUICE_ADD_ATTRIBUTE_PLUGIN` pointing at the Python component, give the same expected
//! output and byte-identical files.
//!
//! The component is built once into the cargo target dir and reused while `app.py`, the WIT
//! contract, `build.sh` and the componentize-py version are unchanged (they key its name).

mod support;

use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;
use support::{golden, repo_root, target_tmp};

const INSTALL: &str = "pip install componentize-py==0.25.1";

fn componentize_py_version() -> String {
    match Command::new("componentize-py").arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(out) => panic!(
            "`componentize-py --version` failed ({}): {}\nThis test builds the Python plugin with it; reinstall it with: {INSTALL}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "componentize-py is not installed or not on PATH ({e}).\n\
             This test builds the Python twin of the add-attribute plugin with it. Install it with:\n    {INSTALL}"
        ),
    }
}

/// The Python component, built now unless a build of the same sources exists.
fn python_component() -> PathBuf {
    let version = componentize_py_version();
    let src = repo_root().join("tests/plugins/python-add-attribute");
    let mut hash = Sha256::new();
    hash.update(version.as_bytes());
    for file in [
        src.join("app.py"),
        src.join("build.sh"),
        repo_root().join("wit/plugin.wit"),
    ] {
        hash.update(
            std::fs::read(&file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display())),
        );
    }
    let key = hex::encode(&hash.finalize()[..8]);
    let out = target_tmp().join(format!("python-add-attribute-{key}.wasm"));
    if out.exists() {
        return out;
    }
    // Build beside the final name and rename, so an interrupted build is never reused.
    let partial = target_tmp().join(format!(
        "python-add-attribute-{key}.{}.partial.wasm",
        std::process::id()
    ));
    let built = Command::new("bash")
        .arg(src.join("build.sh"))
        .arg(&partial)
        .output()
        .unwrap_or_else(|e| panic!("cannot run build.sh: {e}"));
    assert!(
        built.status.success() && partial.exists(),
        "building the Python plugin failed ({}):\n{}{}\n(componentize-py: {INSTALL})",
        built.status,
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::rename(&partial, &out).expect("move the built component into place");
    out
}

#[test]
fn python_twin_gives_the_same_output_as_the_rust_plugin() {
    let python = python_component();
    let env = [(
        "SLUICE_ADD_ATTRIBUTE_PLUGIN",
        python.clone().into_os_string(),
    )];
    for case in ["add-attribute", "chain-add-attribute-then-edit"] {
        let rust = golden::check(case, &[], false);
        let twin = golden::check(case, &env, false);
        // Both really ran the plugin they were meant to.
        assert!(
            twin.stderr
                .contains(&format!("source={}", python.display())),
            "{case}: Python plugin not loaded:\n{}",
            twin.stderr
        );
        assert!(
            rust.stderr.contains("test_add_attribute.wasm"),
            "{case}: Rust plugin not loaded:\n{}",
            rust.stderr
        );
        assert!(
            twin.output == rust.output,
            "{case}: the twins' outputs differ\nRust:\n{}\nPython:\n{}",
            rust.output,
            twin.output
        );
    }
}
