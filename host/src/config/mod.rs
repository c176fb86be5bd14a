//! The config file: typed structs (this module), loading with `${ENV}` interpolation and
//! path-precise parse errors ([`load`]), and semantic validation that lists every problem
//! at once ([`validate`]).

pub mod io;
mod load;
pub mod plugin_dir;
mod plugins;
mod validate;

pub use io::*;
pub use load::{ConfigError, Problem, load_file, load_str};
pub use plugin_dir::{PluginDirConfig, TrustConfig};
pub use plugins::*;

use serde::Deserialize;
use std::path::PathBuf;

/// The problems of one stage's settings, by field name (as a sidecar would show them).
pub fn validate_stage(stage: &PluginConfig) -> Vec<Problem> {
    validate::stage(stage, &|field: &str| field.to_string())
}

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
    /// A watched folder of plugin files that extends (and may override) `plugins`.
    pub plugin_dir: Option<PluginDirConfig>,
    /// Which plugin binaries may load.
    #[serde(default)]
    pub trust: TrustConfig,
    /// Hold spans by trace id before the chain, so plugins see whole traces.
    pub trace_buffer: Option<crate::tracebuf::TraceBufferConfig>,
    /// Where records may go.
    #[serde(default)]
    pub destinations: Vec<DestinationConfig>,
    /// Which destinations records go to before plugins add or deny any.
    #[serde(default)]
    pub routing: RoutingConfig,
    /// Where tenant identity comes from.
    #[serde(default)]
    pub tenancy: TenancyConfig,
    /// The admin endpoint (`/metrics`, `/healthz`, `/readyz`) of `sluice run`.
    #[serde(default)]
    pub admin: AdminConfig,
    /// LLM spend metrics and `/cost/top`.
    #[serde(default)]
    pub spend: crate::spend::SpendConfig,
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
    /// Which profiler learns the names of the plugins' compiled functions, so that
    /// `perf` attributes time inside Wasm to them. Off by default.
    #[serde(default)]
    pub profiler: Profiler,
}

/// A native profiler wasmtime can describe its compiled code to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profiler {
    /// No profiler (compiled code shows as anonymous addresses).
    #[default]
    None,
    /// `/tmp/perf-PID.map`, which `perf report` reads for the functions' names.
    PerfMap,
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
            profiler: Profiler::None,
        }
    }
}
