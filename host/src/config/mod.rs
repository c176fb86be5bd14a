//! The config file: typed structs (this module), loading with `${ENV}` interpolation and
//! path-precise parse errors ([`load`]), and semantic validation that lists every problem
//! at once ([`validate`]).

mod load;
mod validate;

pub use load::{ConfigError, load_file, load_str};

use serde::Deserialize;
use std::path::PathBuf;

/// The embedded default config, used when no `--config` is given.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A whole sluice config file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Process-wide settings.
    #[serde(default)]
    pub runtime: RuntimeConfig,
    /// Where records come from in `sluice run`.
    #[serde(default)]
    pub receivers: Vec<ReceiverConfig>,
    /// The plugin chain, in order.
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
    /// Where records may go.
    #[serde(default)]
    pub destinations: Vec<DestinationConfig>,
    /// Which destinations records go to before plugins add or deny any.
    #[serde(default)]
    pub routing: RoutingConfig,
}

/// Process-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Worker threads running the plugin chain; 0 means one per core.
    #[serde(default)]
    pub workers: usize,
    /// Where compiled plugins are cached (keyed by the file's sha256). Default:
    /// `$XDG_CACHE_HOME/sluice/plugins` or `~/.cache/sluice/plugins`.
    pub cache_dir: Option<PathBuf>,
    /// Where `fail_closed` plugins put the batches they failed on.
    #[serde(default = "default_quarantine_dir")]
    pub quarantine_dir: PathBuf,
}

fn default_quarantine_dir() -> PathBuf {
    PathBuf::from("sluice-quarantine")
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            workers: 0,
            cache_dir: None,
            quarantine_dir: default_quarantine_dir(),
        }
    }
}

/// A source of records for `sluice run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
pub enum ReceiverConfig {
    /// OTLP JSON lines (or an OTLP protobuf file) read from a path, or stdin for `-`.
    File {
        /// The file, or `-` for stdin.
        path: String,
    },
}

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
#[derive(Debug, Clone, Deserialize)]
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
    /// Host capabilities granted to the plugin; none by default.
    #[serde(default)]
    pub grants: Grants,
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

/// A place records can be exported to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// The destination's unique name, used by routing and by plugins.
    pub name: String,
    /// Where the data is stored, for residency policies.
    pub region: Option<String>,
    /// Whether a third party (a vendor) operates it.
    #[serde(default)]
    pub third_party: bool,
    /// Whether it persists records.
    #[serde(default = "yes")]
    pub retains: bool,
    /// How records are delivered.
    #[serde(rename = "type")]
    pub kind: DestinationKind,
    /// For `file`: the file, or `-` for stdout.
    pub path: Option<String>,
}

fn yes() -> bool {
    true
}

/// How a destination delivers records.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// OTLP JSON lines appended to `path` (stdout for `-`).
    File,
    /// Records are counted and discarded.
    Discard,
}

/// The initial destinations of every record.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Destinations every record goes to unless a plugin denies them; all destinations when
    /// absent.
    pub default: Option<Vec<String>>,
}
