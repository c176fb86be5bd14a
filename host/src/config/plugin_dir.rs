//! The plugin folder: `NN-name.wasm` stages ordered by their numeric prefix, each with an
//! optional `NN-name.toml` sidecar, and how the folder composes with the main config's
//! `[[plugins]]` into the chain that runs.
//!
//! The rules (also in the README):
//! - main-config stages come first, in config order; folder stages follow, by prefix then name;
//! - a folder stage named like a main-config stage replaces it in place (same position), and
//!   inherits every setting its sidecar does not set;
//! - a sidecar without a `.wasm` must name a `builtin`, or override a main-config stage;
//! - dot-files and editor/copy temporaries are never stages; other names that do not look
//!   like `NN-name.wasm` / `NN-name.toml` are reported as ignored.

use super::load::{Problem, parse_toml};
use super::{FailurePolicy, Grants, PluginConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `[plugin_dir]`: the folder whose files are the chain, watched while sluice runs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginDirConfig {
    /// The folder; relative paths are relative to the config file.
    pub path: PathBuf,
    /// Quiet time after the last file event before the folder is re-read, so a file still
    /// being written is not loaded half-way.
    #[serde(default = "default_debounce_ms")]
    pub debounce_ms: u64,
    /// Poll the folder at this interval instead of relying on file events (for network
    /// filesystems, where events are unreliable).
    pub poll_interval_ms: Option<u64>,
    /// The most stages the folder may add; it sizes the instance pool.
    #[serde(default = "default_max_stages")]
    pub max_stages: usize,
}

fn default_debounce_ms() -> u64 {
    200
}

fn default_max_stages() -> usize {
    16
}

/// `[trust]`: which plugin binaries may load at all.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// Hex sha256 digests of the plugin files allowed to load; empty allows any file.
    /// Built-in plugins are part of the binary and always trusted.
    #[serde(default)]
    pub plugin_sha256: Vec<String>,
}

/// A sidecar `NN-name.toml`: a stage's settings. Unset fields are inherited from the
/// main-config stage of the same name, else take their defaults.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StageSettings {
    /// A built-in plugin to run as this stage (only without a `.wasm` beside the sidecar).
    pub builtin: Option<String>,
    /// What happens to a batch the plugin fails on.
    pub on_error: Option<FailurePolicy>,
    /// The instance's memory cap in MiB.
    pub memory_mib: Option<u64>,
    /// The deadline for one `process` call, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The plugin's own config, handed to its `init`.
    pub config: Option<toml::Table>,
    /// The plugin's own config from a file (relative to the plugin folder).
    pub config_file: Option<PathBuf>,
    /// Host capabilities granted to the plugin.
    pub grants: Option<Grants>,
}

impl StageSettings {
    /// `stage` with every setting this sidecar sets replaced.
    pub fn apply(self, mut stage: PluginConfig) -> PluginConfig {
        if let Some(b) = self.builtin {
            stage.builtin = Some(b);
            stage.path = None;
        }
        stage.on_error = self.on_error.unwrap_or(stage.on_error);
        stage.memory_mib = self.memory_mib.unwrap_or(stage.memory_mib);
        stage.timeout_ms = self.timeout_ms.unwrap_or(stage.timeout_ms);
        stage.config = self.config.or(stage.config);
        stage.config_file = self.config_file.or(stage.config_file);
        stage.grants = self.grants.unwrap_or(stage.grants);
        stage
    }
}

/// One stage found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirStage {
    /// The numeric prefix.
    pub order: u64,
    /// The stage name (the file name without prefix and extension).
    pub name: String,
    /// The component file, if there is one.
    pub wasm: Option<PathBuf>,
    /// The sidecar, if there is one.
    pub sidecar: Option<PathBuf>,
}

/// What a folder holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirScan {
    /// Stages in chain order.
    pub stages: Vec<DirStage>,
    /// Files that are not stages (wrong name), for the operator to see.
    pub ignored: Vec<PathBuf>,
}

/// A folder file that cannot become a stage.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {}", list(.problems))]
pub struct StageFileError {
    /// The file at fault.
    pub file: String,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a file name is a temporary of an editor or a copy in progress, never a stage.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || [".tmp", ".swp", ".part", ".partial", ".crdownload"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Splits `NN-name.ext` into (NN, name, ext) for the extensions that make stages.
fn stage_file(file: &str) -> Option<(u64, &str, &str)> {
    let (stem, ext) = file.rsplit_once('.')?;
    if ext != "wasm" && ext != "toml" {
        return None;
    }
    let (order, name) = stem.split_once('-')?;
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    if order.is_empty()
        || !order.bytes().all(|b| b.is_ascii_digit())
        || name.is_empty()
        || !name.chars().all(valid)
    {
        return None;
    }
    Some((order.parse().ok()?, name, ext))
}

/// Lists the folder's stages.
pub fn scan(dir: &Path) -> std::io::Result<DirScan> {
    let mut stages: BTreeMap<(u64, String), DirStage> = BTreeMap::new();
    let mut ignored = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            ignored.push(path);
            continue;
        };
        if is_temporary(file) || !entry.file_type()?.is_file() && !path.is_file() {
            continue;
        }
        let Some((order, name, ext)) = stage_file(file) else {
            ignored.push(path);
            continue;
        };
        let stage = stages
            .entry((order, name.to_string()))
            .or_insert_with(|| DirStage {
                order,
                name: name.to_string(),
                wasm: None,
                sidecar: None,
            });
        if ext == "wasm" {
            stage.wasm = Some(path);
        } else {
            stage.sidecar = Some(path);
        }
    }
    ignored.sort();
    Ok(DirScan {
        stages: stages.into_values().collect(),
        ignored,
    })
}

/// Reads and parses a sidecar.
pub fn read_sidecar(path: &Path) -> Result<StageSettings, StageFileError> {
    let fail = |problems| StageFileError {
        file: path.display().to_string(),
        problems,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(vec![Problem {
            line: None,
            path: String::new(),
            message: format!("cannot read: {e}"),
        }])
    })?;
    let text = super::load::interpolate_env(&text, |n| std::env::var(n).ok()).map_err(fail)?;
    parse_toml(&text).map_err(|p| fail(vec![p]))
}

/// The chain: the main config's stages with the folder's merged in (see the module docs).
/// Every stage that comes from the folder is validated like a main-config stage.
pub fn compose(
    base: &[PluginConfig],
    scan: &DirScan,
    max_stages: usize,
) -> Result<Vec<PluginConfig>, Vec<StageFileError>> {
    let mut chain = base.to_vec();
    let mut errors = Vec::new();
    let mut added = 0;
    let mut seen = std::collections::HashSet::new();
    for stage in &scan.stages {
        let file = stage
            .wasm
            .as_ref()
            .or(stage.sidecar.as_ref())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let error = |message: String| StageFileError {
            file: file.clone(),
            problems: vec![Problem {
                line: None,
                path: String::new(),
                message,
            }],
        };
        if !seen.insert(stage.name.clone()) {
            errors.push(error(format!(
                "another file already defines stage `{}`; stage names must be unique",
                stage.name
            )));
            continue;
        }
        let settings = match &stage.sidecar {
            Some(path) => match read_sidecar(path) {
                Ok(mut s) => {
                    if let Some(f) = &s.config_file
                        && f.is_relative()
                    {
                        s.config_file = path.parent().map(|dir| dir.join(f));
                    }
                    s
                }
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            None => StageSettings::default(),
        };
        let inherited = chain.iter().position(|p| p.name == stage.name);
        if stage.wasm.is_some() && settings.builtin.is_some() {
            errors.push(error(
                "the sidecar sets `builtin` but a .wasm file sits beside it; remove one".into(),
            ));
            continue;
        }
        if stage.wasm.is_none() && settings.builtin.is_none() && inherited.is_none() {
            errors.push(error(format!(
                "no `{:02}-{}.wasm` beside this sidecar, no `builtin` in it, and no main-config stage named `{}` to override",
                stage.order, stage.name, stage.name
            )));
            continue;
        }
        let mut merged = match inherited {
            Some(i) => chain[i].clone(),
            None => PluginConfig::named(&stage.name),
        };
        if let Some(wasm) = &stage.wasm {
            merged.path = Some(wasm.clone());
            merged.builtin = None;
        }
        let merged = settings.apply(merged);
        let problems = super::validate_stage(&merged);
        if !problems.is_empty() {
            errors.push(StageFileError { file, problems });
            continue;
        }
        match inherited {
            Some(i) => chain[i] = merged,
            None => {
                added += 1;
                chain.push(merged);
            }
        }
    }
    if added > max_stages {
        errors.push(StageFileError {
            file: "plugin folder".into(),
            problems: vec![Problem {
                line: None,
                path: "plugin_dir.max_stages".into(),
                message: format!(
                    "the folder adds {added} stages, more than the {max_stages} allowed"
                ),
            }],
        });
    }
    if errors.is_empty() {
        Ok(chain)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[path = "plugin_dir_tests.rs"]
mod tests;
