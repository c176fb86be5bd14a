//! Builds every guest crate (built-in and test-only plugins) as a `wasm32-wasip2`
//! component, in release, into a target dir of its own so it never contends with the
//! host build's lock, and tells the library where the files are.
//!
//! The nested cargo is the same toolchain (`$CARGO`), so `rust-toolchain.toml` governs both.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (cargo package, constant name) of every guest crate.
const BUILTIN: &[(&str, &str)] = &[
    ("sluice-plugin-cost", "COST"),
    ("sluice-plugin-redact", "REDACT"),
    ("sluice-plugin-residency", "RESIDENCY"),
    ("sluice-plugin-eval-sample", "EVAL_SAMPLE"),
];
const TEST: &[(&str, &str)] = &[
    ("test-passthrough", "PASSTHROUGH"),
    ("test-add-attribute", "ADD_ATTRIBUTE"),
    ("test-edit", "EDIT"),
    ("test-trap", "TRAP"),
    ("test-endless-loop", "ENDLESS_LOOP"),
    ("test-memory-hog", "MEMORY_HOG"),
    ("test-bad-config", "BAD_CONFIG"),
    ("test-sandbox-probe", "SANDBOX_PROBE"),
    ("test-token-cost", "TOKEN_COST"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("artifacts/ sits in the workspace root")
        .to_path_buf();
    for dir in [
        "wit",
        "plugins",
        "tests/plugins",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-env-changed=SLUICE_GUEST_TARGET_DIR");

    let target_dir = env::var_os("SLUICE_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("wasm-guests")))
        .unwrap_or_else(|| root.join("target").join("wasm-guests"));

    build_guests(&root, &target_dir);

    let out_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut code = String::new();
    code.push_str("/// Built-in plugin components, embedded in the binary.\npub mod builtin {\n");
    for (pkg, name) in BUILTIN {
        let file = wasm_file(&out_dir, pkg);
        writeln!(
            code,
            "    /// The `{pkg}` component.\n    pub const {name}: &[u8] = include_bytes!({:?});",
            file.display()
        )
        .unwrap();
    }
    code.push_str("}\n/// Paths of the test-only plugin components.\npub mod test_plugins {\n");
    for (pkg, name) in TEST {
        let file = wasm_file(&out_dir, pkg);
        writeln!(
            code,
            "    /// The `{pkg}` component.\n    pub const {name}: &str = {:?};",
            file.display()
        )
        .unwrap();
    }
    code.push_str("}\n");
    let gen_path = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("artifacts.rs");
    std::fs::write(&gen_path, code).expect("write artifacts.rs");
}

fn wasm_file(out_dir: &Path, pkg: &str) -> PathBuf {
    let file = out_dir.join(format!("{}.wasm", pkg.replace('-', "_")));
    assert!(
        file.exists(),
        "guest build did not produce {}",
        file.display()
    );
    file
}

fn build_guests(root: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    for (pkg, _) in BUILTIN.iter().chain(TEST) {
        cmd.args(["-p", pkg]);
    }
    // The outer build's flags, wrappers (clippy) and target must not leak into the guests;
    // their own flags come from `.cargo/config.toml` (`simd128`).
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_PATH",
    ] {
        cmd.env_remove(var);
    }
    // Small guests: no debug info, but keep function names so traps show a readable backtrace.
    // Whole-program optimisation: the guests run under Cranelift, which inlines nothing
    // across functions, so what LLVM inlines here is all the inlining they get (the redaction
    // scan is 5-20 % faster inside Wasm; a cold build of all guests takes 10-30 s longer on
    // 2 cores, see BENCHMARKS.md).
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    let status = cmd
        .status()
        .expect("failed to run cargo for the Wasm guests");
    assert!(
        status.success(),
        "building the Wasm plugins failed (see above). If the error is about a missing `core` \
         or `std` for wasm32-wasip2, run `rustup target add wasm32-wasip2`."
    );
}
