//! `sluice plugin new`: a Rust plugin crate that builds, tests and runs under
//! `sluice plugin test` out of the box, with no checkout of the sluice repository: the SDK and
//! the contract are embedded in the binary and written into the crate.

use std::path::{Path, PathBuf};

/// The SDK's sources, by file name, as this binary was built with them.
const SDK_SOURCES: &[(&str, &str)] = &[
    ("api.rs", include_str!("../../../plugins/sdk/src/api.rs")),
    (
        "batch.rs",
        include_str!("../../../plugins/sdk/src/batch.rs"),
    ),
    (
        "column.rs",
        include_str!("../../../plugins/sdk/src/column.rs"),
    ),
    (
        "counters.rs",
        include_str!("../../../plugins/sdk/src/counters.rs"),
    ),
    (
        "digest.rs",
        include_str!("../../../plugins/sdk/src/digest.rs"),
    ),
    (
        "guest.rs",
        include_str!("../../../plugins/sdk/src/guest.rs"),
    ),
    ("lib.rs", include_str!("../../../plugins/sdk/src/lib.rs")),
    (
        "testing.rs",
        include_str!("../../../plugins/sdk/src/testing.rs"),
    ),
    (
        "types.rs",
        include_str!("../../../plugins/sdk/src/types.rs"),
    ),
];

/// The contract the SDK's bindings are generated from.
const WIT: &str = include_str!("../../../wit/plugin.wit");

/// The workspace manifest: edition, rust-version, license and the wit-bindgen dependency the
/// SDK is built with here, so the vendored copy is built the same way.
const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");

const CARGO_TOML: &str = include_str!("template/Cargo.toml.in");
const LIB_RS: &str = include_str!("template/lib.rs.in");
const SIDECAR: &str = include_str!("template/sidecar.toml.in");
const README: &str = include_str!("template/README.md.in");
const TOOLCHAIN: &str = include_str!("template/rust-toolchain.toml.in");
const SDK_CARGO_TOML: &str = include_str!("template/sdk-Cargo.toml.in");
const GITIGNORE: &str = include_str!("template/gitignore.in");
const SAMPLE: &str = include_str!("template/sample.jsonl");

/// Why a crate could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name cannot be a crate (or stage) name.
    #[error("`{name}` cannot be a plugin name: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why not.
        reason: String,
    },
    /// The crate's directory exists already.
    #[error("{} already exists; choose another name or --dir (nothing was written)", .0.display())]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("cannot write {}: {error}", .path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The manifest embedded at build time lacks a setting (a bug in this build).
    #[error("the embedded workspace manifest has no usable `{0}`")]
    Manifest(&'static str),
}

/// Words a crate cannot be named: Rust keywords (cargo refuses them), the crates a program
/// links implicitly, cargo's own directory names, names of the scaffold's dependencies (the
/// library names would clash) and Windows device names.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "union",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "std",
    "test",
    "proc_macro",
    "build",
    "deps",
    "examples",
    "incremental",
    "serde",
    "toml",
    "sluice_plugin_sdk",
    "con",
    "prn",
    "aux",
    "nul",
    "com1",
    "com2",
    "com3",
    "com4",
    "com5",
    "com6",
    "com7",
    "com8",
    "com9",
    "lpt1",
    "lpt2",
    "lpt3",
    "lpt4",
    "lpt5",
    "lpt6",
    "lpt7",
    "lpt8",
    "lpt9",
];

/// Checks a plugin name: it becomes the package name, the library name (`-` as `_`), the
/// `.wasm` file name and the stage name, so it follows the strictest of their rules.
pub fn validate_name(name: &str) -> Result<(), ScaffoldError> {
    let invalid = |reason: &str| ScaffoldError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > 64 {
        return Err(invalid("it is longer than 64 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid("it must start with a lowercase ASCII letter"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return Err(invalid(&format!(
            "`{c}` is not allowed; use lowercase ASCII letters, digits, `-` and `_`"
        )));
    }
    if name.ends_with(['-', '_']) {
        return Err(invalid("it must end with a letter or a digit"));
    }
    if RESERVED.contains(&name.replace('-', "_").as_str()) {
        return Err(invalid(
            "it is reserved (a Rust keyword, a standard or dependency crate, or a name cargo or Windows keeps for itself)",
        ));
    }
    Ok(())
}

/// The plugin type's name: the crate name in CamelCase, kept clear of the names the
/// template uses.
fn type_name(name: &str) -> String {
    let camel: String = name
        .split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect();
    const TAKEN: &[&str] = &[
        "Batch",
        "Config",
        "Deserialize",
        "Info",
        "Key",
        "Plugin",
        "Signal",
        "TestBatch",
        "TestRecord",
        "Value",
        "Self",
    ];
    match TAKEN.contains(&camel.as_str()) {
        true => format!("{camel}Plugin"),
        false => camel,
    }
}

/// The settings the vendored crates inherit from this workspace.
struct Workspace {
    edition: String,
    rust_version: String,
    license: String,
    repository: String,
    wit_bindgen: String,
    sha2: String,
    hmac: String,
}

fn workspace() -> Result<Workspace, ScaffoldError> {
    let manifest: toml::Table =
        toml::from_str(WORKSPACE_MANIFEST).map_err(|_| ScaffoldError::Manifest("Cargo.toml"))?;
    let ws = manifest
        .get("workspace")
        .and_then(|w| w.as_table())
        .ok_or(ScaffoldError::Manifest("workspace"))?;
    let package = ws
        .get("package")
        .and_then(|p| p.as_table())
        .ok_or(ScaffoldError::Manifest("workspace.package"))?;
    let field = |key: &'static str| {
        package
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or(ScaffoldError::Manifest(key))
    };
    let dependency = |name: &str, at: &'static str| {
        ws.get("dependencies")
            .and_then(|d| d.get(name))
            .map(inline)
            .ok_or(ScaffoldError::Manifest(at))
    };
    Ok(Workspace {
        edition: field("edition")?,
        rust_version: field("rust-version")?,
        license: field("license")?,
        repository: field("repository")?,
        wit_bindgen: dependency("wit-bindgen", "workspace.dependencies.wit-bindgen")?,
        sha2: dependency("sha2", "workspace.dependencies.sha2")?,
        hmac: dependency("hmac", "workspace.dependencies.hmac")?,
    })
}

/// A TOML value on one line (inline tables stay inline).
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let fields: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// What `create` wrote.
#[derive(Debug)]
pub struct Created {
    /// The crate's directory.
    pub dir: PathBuf,
    /// The `.wasm` file a release build produces, relative to the crate.
    pub wasm: String,
    /// The sidecar file, relative to the crate.
    pub sidecar: String,
}

/// Creates the crate `name` in `parent` (created if missing); refuses an existing directory.
pub fn create(name: &str, parent: &Path) -> Result<Created, ScaffoldError> {
    validate_name(name)?;
    let ws = workspace()?;
    let dir = parent.join(name);
    let crate_name = name.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{Type}}", &type_name(name))
            .replace("{{edition}}", &ws.edition)
            .replace("{{rust_version}}", &ws.rust_version)
            .replace("{{license}}", &ws.license)
            .replace("{{repository}}", &ws.repository)
            .replace("{{wit_bindgen}}", &ws.wit_bindgen)
            .replace("{{sha2}}", &ws.sha2)
            .replace("{{hmac}}", &ws.hmac)
            .replace("{{sluice_version}}", env!("CARGO_PKG_VERSION"))
    };
    let mut files: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), fill(CARGO_TOML)),
        ("rust-toolchain.toml".into(), fill(TOOLCHAIN)),
        (".gitignore".into(), GITIGNORE.to_string()),
        ("README.md".into(), fill(README)),
        (format!("{name}.toml").into(), fill(SIDECAR)),
        ("sample.jsonl".into(), SAMPLE.to_string()),
        ("src/lib.rs".into(), fill(LIB_RS)),
        ("sluice-plugin-sdk/Cargo.toml".into(), fill(SDK_CARGO_TOML)),
        ("sluice-plugin-sdk/wit/plugin.wit".into(), WIT.to_string()),
    ];
    for (file, text) in SDK_SOURCES {
        files.push((
            Path::new("sluice-plugin-sdk/src").join(file),
            text.to_string(),
        ));
    }

    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ScaffoldError::Write { path, error }
    };
    std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    // `create_dir` (not `_all`) fails if the directory exists, even if it appeared just now.
    if let Err(e) = std::fs::create_dir(&dir) {
        return Err(match e.kind() {
            std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(dir),
            _ => write_err(&dir)(e),
        });
    }
    let written = files.iter().try_for_each(|(file, text)| {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_err(parent))?;
        }
        std::fs::write(&path, text).map_err(write_err(&path))
    });
    if let Err(e) = written {
        // Leave nothing half-made behind: the directory is ours, created above.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok(Created {
        dir,
        wasm: format!("target/wasm32-wasip2/release/{crate_name}.wasm"),
        sidecar: format!("{name}.toml"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_crate_rules() {
        for ok in ["redact-keys", "my_plugin", "p2", "a"] {
            validate_name(ok).unwrap();
        }
        for (bad, why) in [
            ("", "empty"),
            ("2fast", "start with a lowercase"),
            ("My-Plugin", "start with a lowercase"),
            ("my plugin", "` ` is not allowed"),
            ("../evil", "start with a lowercase"),
            ("a/b", "`/` is not allowed"),
            ("trailing-", "end with"),
            ("test", "reserved"),
            ("self", "reserved"),
            ("sluice-plugin-sdk", "reserved"),
            ("serde", "reserved"),
        ] {
            let err = validate_name(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(validate_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn type_names_are_camel_case_and_clear_of_the_template() {
        assert_eq!(type_name("redact-keys_v2"), "RedactKeysV2");
        assert_eq!(type_name("config"), "ConfigPlugin");
        assert_eq!(type_name("plugin"), "PluginPlugin");
    }

    #[test]
    fn every_sdk_source_file_is_vendored() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = SDK_SOURCES.iter().map(|(f, _)| *f).collect();
        assert_eq!(on_disk, embedded, "update SDK_SOURCES in scaffold.rs");
    }

    #[test]
    fn the_vendored_sdk_manifest_matches_the_sdk() {
        // The template lists the SDK's dependencies by hand: none on every target, sha2 and
        // hmac natively, wit-bindgen on wasm32.
        let sdk: toml::Table =
            toml::from_str(include_str!("../../../plugins/sdk/Cargo.toml")).unwrap();
        assert_eq!(sdk["dependencies"].as_table().map(|t| t.len()), Some(0));
        let target = sdk["target"].as_table().unwrap();
        let keys: Vec<&String> = target.keys().collect();
        let (native, wasm) = (
            "cfg(not(target_arch = \"wasm32\"))",
            "cfg(target_arch = \"wasm32\")",
        );
        assert_eq!(keys, [native, wasm]);
        let deps = |cfg: &str| -> Vec<String> {
            let t = target[cfg]["dependencies"].as_table().unwrap();
            t.keys().cloned().collect()
        };
        assert_eq!(deps(native), ["hmac", "sha2"]);
        assert_eq!(deps(wasm), ["wit-bindgen"]);
        let ws = workspace().unwrap();
        assert!(
            ws.wit_bindgen.contains("version = \"0."),
            "{}",
            ws.wit_bindgen
        );
        let manifest: toml::Table = toml::from_str(
            &SDK_CARGO_TOML
                .replace("{{wit_bindgen}}", &ws.wit_bindgen)
                .replace("{{sha2}}", &ws.sha2)
                .replace("{{hmac}}", &ws.hmac)
                .replace("{{sluice_version}}", "0.1.0"),
        )
        .unwrap();
        assert_eq!(
            manifest["package"]["name"].as_str(),
            Some("sluice-plugin-sdk")
        );
    }

    #[test]
    fn refuses_an_existing_directory_and_writes_a_crate() {
        let tmp = tempfile::tempdir().unwrap();
        let created = create("stamp-team", tmp.path()).unwrap();
        assert_eq!(created.wasm, "target/wasm32-wasip2/release/stamp_team.wasm");
        let lib = std::fs::read_to_string(created.dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct StampTeam"));
        assert!(!lib.contains("{{"), "unfilled placeholder in lib.rs");
        for file in [
            "Cargo.toml",
            "README.md",
            "stamp-team.toml",
            "sluice-plugin-sdk/Cargo.toml",
        ] {
            let text = std::fs::read_to_string(created.dir.join(file)).unwrap();
            assert!(!text.contains("{{"), "unfilled placeholder in {file}");
            if file.ends_with(".toml") {
                text.parse::<toml::Table>().unwrap();
            }
        }
        let err = create("stamp-team", tmp.path()).unwrap_err();
        assert!(matches!(err, ScaffoldError::Exists(_)), "{err}");
    }
}
