//! Tools for plugin authors: `sluice plugin new` scaffolds a Rust plugin crate that builds
//! and tests on its own ([`scaffold`]); `sluice plugin test` runs one plugin on an OTLP file
//! through the real runtime and shows what it changed, record by record ([`tryout`], with the
//! record comparison in [`diff`]).

pub mod diff;
pub mod scaffold;
pub mod tryout;

use clap::{Args, Subcommand, ValueEnum};
use sluice_plugin_sdk::Signal;
use std::path::PathBuf;

/// `sluice plugin ...`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Run one plugin on an OTLP JSON-lines file, with no server, and print what it changed
    /// in each record. Exit code: 0 ok, 1 the plugin failed on a batch (or an input line is
    /// not OTLP), 2 the plugin, its settings or the input could not be loaded.
    Test(TestArgs),
    /// Create a Rust plugin crate NAME/ that builds, tests and runs under `sluice plugin test`
    /// as it is (the SDK is vendored into it).
    New(NewArgs),
}

/// `sluice plugin test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The plugin component (`.wasm`).
    pub file: PathBuf,
    /// OTLP input: JSON lines as the Collector's file exporter writes them (what `sluice
    /// process` reads), or protobuf (`.pb`, with --signal); `-` is stdin.
    #[arg(long, short)]
    pub input: String,
    /// Stage settings in the plugin-folder sidecar format: on_error, memory_mib, timeout_ms,
    /// [config] (the plugin's own config) and [grants].
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The signal of protobuf input.
    #[arg(long, value_enum)]
    pub signal: Option<SignalArg>,
    /// A destination the plugin may add or deny (repeat, or separate with commas). Every
    /// record starts on none of them, so each one the plugin adds shows in the report.
    #[arg(long = "destination", short, value_delimiter = ',')]
    pub destinations: Vec<String>,
    /// Print long values whole (otherwise they are shortened to 80 characters with `…`).
    #[arg(long)]
    pub full: bool,
}

/// `sluice plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name: the crate, the `.wasm` file and the stage are named after it
    /// (lowercase letters, digits, `-`, `_`).
    pub name: String,
    /// The directory to create NAME/ in.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// A signal on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SignalArg {
    /// Spans.
    Traces,
    /// Log records.
    Logs,
    /// Metric data points.
    Metrics,
}

impl From<SignalArg> for Signal {
    fn from(s: SignalArg) -> Signal {
        match s {
            SignalArg::Traces => Signal::Span,
            SignalArg::Logs => Signal::Log,
            SignalArg::Metrics => Signal::MetricPoint,
        }
    }
}

impl TestArgs {
    /// The run these arguments ask for.
    pub fn options(&self) -> tryout::TestOptions {
        tryout::TestOptions {
            file: self.file.clone(),
            input: self.input.clone(),
            config: self.config.clone(),
            signal: self.signal.map(Signal::from),
            destinations: self.destinations.clone(),
            full: self.full,
        }
    }
}
