//! Plugin stages: which component, its failure policy, its limits and what it is granted.

use serde::Deserialize;
use std::path::PathBuf;

/// What happens to a batch when a plugin fails on it (trap, deadline, memory, error).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// The batch goes nowhere and is written to the quarantine directory for `sluice replay`.
    #[default]
    FailClosed,
    /// The batch passes on as the plugin received it.
    FailOpen,
    /// The batch is dropped and counted.
    Drop,
}

impl FailurePolicy {
    /// The policy's config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::FailClosed => "fail_closed",
            FailurePolicy::FailOpen => "fail_open",
            FailurePolicy::Drop => "drop",
        }
    }
}

/// One stage of the plugin chain.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The stage's name, unique in the chain; used in logs and metrics.
    pub name: String,
    /// A built-in plugin by name (e.g. `cost`); exclusive with `path`.
    pub builtin: Option<String>,
    /// A plugin component file; relative paths are relative to the config file.
    pub path: Option<PathBuf>,
    /// What happens to a batch the plugin fails on.
    #[serde(default)]
    pub on_error: FailurePolicy,
    /// The instance's memory cap in MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u64,
    /// The deadline for one `process` call, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The plugin's own config, handed to its `init` as a TOML string. A built-in plugin's
    /// default config is used when this is absent.
    pub config: Option<toml::Table>,
    /// The plugin's own config from a TOML file (relative paths are relative to the config
    /// file); keys of `config` override the file's top-level keys. `sluice run` watches it:
    /// an edit reloads the stage, like an edit of `config`.
    pub config_file: Option<PathBuf>,
    /// Host capabilities granted to the plugin; none by default.
    #[serde(default)]
    pub grants: Grants,
}

impl PluginConfig {
    /// A stage with every setting at its default and no component yet.
    pub fn named(name: &str) -> Self {
        PluginConfig {
            name: name.to_string(),
            builtin: None,
            path: None,
            on_error: FailurePolicy::default(),
            memory_mib: default_memory_mib(),
            timeout_ms: default_timeout_ms(),
            config: None,
            config_file: None,
            grants: Grants::default(),
        }
    }
}

fn default_memory_mib() -> u64 {
    64
}

fn default_timeout_ms() -> u64 {
    1000
}

/// Capabilities a plugin gets only when the config grants them.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Outbound TCP/UDP and name lookups.
    #[serde(default)]
    pub network: bool,
    /// The real wall and monotonic clocks (otherwise both read as zero).
    #[serde(default)]
    pub clock: bool,
    /// The plugin's stdout/stderr go to sluice's stderr (otherwise discarded, since a plugin
    /// could print record content).
    #[serde(default)]
    pub stdio: bool,
    /// Environment variables passed through by name.
    #[serde(default)]
    pub env: Vec<String>,
    /// Host directories made visible to the plugin.
    #[serde(default)]
    pub dirs: Vec<DirGrant>,
}

/// A host directory made visible to a plugin.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the plugin sees it.
    pub guest: String,
    /// Whether the plugin may write to it.
    #[serde(default)]
    pub writable: bool,
}
