//! `sluice plugin test`: one plugin, loaded through the real runtime with the settings of a
//! sidecar file, run on an OTLP file batch by batch (one batch per input line and signal, as
//! `sluice process` makes them), and a report of what it changed in each record.

use super::diff::{self, Display, Fields};
use crate::config::plugin_dir::{StageFileError, read_sidecar};
use crate::config::{Config, PluginConfig};
use crate::filemode::{self, InputFormat};
use crate::otlp::signal_name;
use crate::pipeline::BatchState;
use crate::pipeline::rows;
use crate::plugin::{CallFailure, LoadError, LoadedPlugin, Runtime, RuntimeOptions};
use crate::router::{Destinations, Route};
use sluice_plugin_sdk::Signal;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// What to run.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// The plugin component.
    pub file: PathBuf,
    /// The input file (`-` is stdin).
    pub input: String,
    /// A sidecar-format settings file.
    pub config: Option<PathBuf>,
    /// The signal of protobuf input.
    pub signal: Option<Signal>,
    /// Destinations the plugin may add or deny; every record starts on none of them.
    pub destinations: Vec<String>,
    /// Print long values whole.
    pub full: bool,
}

/// Why a test run could not start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The sidecar cannot be read or parsed.
    #[error(transparent)]
    Sidecar(#[from] StageFileError),
    /// The sidecar asks for something `plugin test` cannot do.
    #[error("{file}: {message}")]
    Settings {
        /// The sidecar.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The `--destination` list is unusable.
    #[error("--destination: {0}")]
    Destinations(String),
    /// The input cannot be opened.
    #[error("{0}")]
    Input(String),
    /// The component file cannot be read.
    #[error("cannot read {file}: {error}")]
    Read {
        /// The component file.
        file: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The component does not load (compile, contract, init).
    #[error("{file}: {error}")]
    Load {
        /// The component file.
        file: String,
        /// Why (the message names the plugin and the failure).
        error: LoadError,
    },
    /// The Wasm engine does not start.
    #[error("cannot start the plugin runtime: {0}")]
    Runtime(String),
    /// The report cannot be written.
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
}

/// What a run found, for the summary line and the exit code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records read.
    pub records_in: usize,
    /// Records the plugin edited (or re-routed) and kept.
    pub changed: usize,
    /// Records the plugin dropped.
    pub dropped: usize,
    /// Records it left as they were (including those of signals it does not take).
    pub unchanged: usize,
    /// Records of signals the plugin does not take (never handed to it).
    pub passed_by: usize,
    /// Records in batches the plugin failed on.
    pub in_failed_batches: usize,
    /// Batches the plugin failed on.
    pub failures: usize,
    /// Input lines that are not valid OTLP.
    pub malformed: usize,
    /// Whether some value was shortened for display.
    pub truncated: bool,
}

impl Report {
    /// Whether the plugin failed on a batch or an input line could not be read (exit code 1).
    pub fn failed(&self) -> bool {
        self.failures + self.malformed > 0
    }

    /// The summary line.
    pub fn summary(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        let mut s = format!(
            "summary: {} in, {} changed, {} dropped, {} unchanged",
            plural(self.records_in, "record", "records"),
            self.changed,
            self.dropped,
            self.unchanged
        );
        if self.in_failed_batches > 0 {
            s += &format!(", {} in failed batches", self.in_failed_batches);
        }
        if self.passed_by > 0 {
            s += &format!(" ({} of signals the plugin does not take)", self.passed_by);
        }
        if self.failures > 0 {
            s += &format!(
                "; the plugin failed on {}",
                plural(self.failures, "batch", "batches")
            );
        }
        if self.malformed > 0 {
            s += &format!(
                "; {} not valid OTLP",
                plural(self.malformed, "input line", "input lines")
            );
        }
        s
    }
}

/// The stage `plugin test` runs: defaults, named after the file, with the sidecar applied.
fn stage(options: &TestOptions) -> Result<PluginConfig, TestError> {
    let name = options
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("plugin");
    let mut stage = PluginConfig::named(name);
    stage.path = Some(options.file.clone());
    let Some(sidecar) = &options.config else {
        return Ok(stage);
    };
    let settings = read_sidecar(sidecar)?;
    if settings.builtin.is_some() {
        return Err(TestError::Settings {
            file: sidecar.display().to_string(),
            message: format!(
                "`builtin` is set, but `sluice plugin test` runs the component it is given ({}); remove `builtin`",
                options.file.display()
            ),
        });
    }
    let stage = settings.apply(stage);
    let problems = crate::config::validate_stage(&stage);
    if !problems.is_empty() {
        return Err(TestError::Sidecar(StageFileError {
            file: sidecar.display().to_string(),
            problems,
        }));
    }
    Ok(stage)
}

/// The destinations the plugin may name; every record starts on none, so each `add` shows.
fn destinations(names: &[String]) -> Result<Destinations, TestError> {
    let mut text = String::from("[routing]\ndefault = []\n");
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if name.trim().is_empty() {
            return Err(TestError::Destinations("a name must not be empty".into()));
        }
        if !seen.insert(name) {
            return Err(TestError::Destinations(format!("`{name}` is listed twice")));
        }
        let quoted = toml::Value::String(name.clone()).to_string();
        text += &format!("[[destinations]]\nname = {quoted}\ntype = \"discard\"\n");
    }
    if names.len() > 64 {
        return Err(TestError::Destinations(format!(
            "{} destinations is more than the 64 allowed",
            names.len()
        )));
    }
    let config: Config =
        toml::from_str(&text).map_err(|e| TestError::Destinations(e.message().to_string()))?;
    Ok(Destinations::from_config(&config))
}

fn signals(list: &[Signal]) -> String {
    match list.is_empty() {
        true => "no signals".into(),
        false => list
            .iter()
            .map(|s| signal_name(*s))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Runs the plugin on the input and writes the report to `out`.
pub fn run(options: &TestOptions, out: &mut dyn Write) -> Result<Report, TestError> {
    let stage = stage(options)?;
    let destinations = Arc::new(destinations(&options.destinations)?);
    let file = options.file.display().to_string();
    std::fs::File::open(&options.file).map_err(|error| TestError::Read {
        file: file.clone(),
        error,
    })?;
    let inputs = filemode::read_input(&options.input, InputFormat::Auto, options.signal)
        .map_err(TestError::Input)?;
    let runtime = Runtime::new(RuntimeOptions {
        max_instances: 4,
        ..RuntimeOptions::default()
    })
    .map_err(|e| TestError::Runtime(format!("{e:#}")))?;
    let load = |error| TestError::Load {
        file: file.clone(),
        error,
    };
    let plugin = LoadedPlugin::load(&runtime, &stage, destinations.clone()).map_err(load)?;
    let mut instance = plugin.instantiate().map_err(load)?;
    let display = Display {
        truncate: !options.full,
    };
    writeln!(
        out,
        "plugin {} {} from {file} (takes {}; on_error = {})",
        plugin.info.name,
        plugin.info.version,
        signals(&plugin.info.signals),
        stage.on_error.as_str()
    )?;
    let mut report = Report::default();
    for (origin, payload) in inputs {
        let at = format!("line {}", origin.line);
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                report.malformed += 1;
                writeln!(out, "{at}: not valid OTLP, skipped: {e}")?;
                continue;
            }
        };
        let locs = rows::index(&payload);
        let n = locs.len();
        report.records_in += n;
        if !plugin.info.signals.contains(&payload.signal()) {
            report.passed_by += n;
            report.unchanged += n;
            continue;
        }
        if n == 0 {
            continue;
        }
        let before = payload.clone();
        let batch = BatchState::new(payload, destinations.clone());
        let start: Vec<Route> = batch.routes().to_vec();
        let (batch, result) = instance.process(batch);
        if let Err(failure) = result {
            report.failures += 1;
            report.in_failed_batches += n;
            writeln!(
                out,
                "{at}: the plugin failed on this batch ({}); none of its edits apply: {}{}",
                match n {
                    1 => "1 record".to_string(),
                    n => format!("{n} records"),
                },
                failure.to_string().trim_end(),
                hint(&failure, &stage)
            )?;
            continue;
        }
        // Rows still alive, by their index in the batch as it arrived, with their route now.
        let mut alive: Vec<Option<Route>> = vec![None; n];
        for (row, origin) in batch.origins().iter().enumerate() {
            alive[*origin as usize] = Some(batch.routes()[row]);
        }
        let after = batch.payload();
        for (i, loc) in locs.iter().enumerate() {
            // A dropped record goes nowhere, so what else the call did to it does not matter.
            let lines = match alive[i] {
                None => {
                    report.dropped += 1;
                    vec!["x dropped".to_string()]
                }
                Some(route) => {
                    let mut lines = diff::lines(
                        &Fields::of(&before, *loc),
                        &Fields::of(after, *loc),
                        display,
                        &mut report.truncated,
                    );
                    lines.extend(route_lines(start[i], route, &destinations));
                    if lines.is_empty() {
                        report.unchanged += 1;
                        continue;
                    }
                    report.changed += 1;
                    lines
                }
            };
            writeln!(out, "{at}, {}", diff::title(&before, *loc, i, display))?;
            for line in lines {
                writeln!(out, "  {line}")?;
            }
        }
    }
    writeln!(out, "{}", report.summary())?;
    if report.truncated {
        writeln!(
            out,
            "(values longer than {} characters are shortened with …; --full prints them whole)",
            diff::DISPLAY_CHARS
        )?;
    }
    Ok(report)
}

/// `+ destination d` for each destination added, `- destination d (denied)` for each denied.
fn route_lines(before: Route, after: Route, destinations: &Destinations) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, d) in destinations.list().iter().enumerate() {
        let bit = 1u64 << i;
        if after.allowed & bit != 0 && before.allowed & bit == 0 {
            lines.push(format!("+ destination {}", d.name));
        }
    }
    for (i, d) in destinations.list().iter().enumerate() {
        let bit = 1u64 << i;
        if after.denied & bit != 0 && before.denied & bit == 0 {
            lines.push(format!("- destination {} (denied)", d.name));
        }
    }
    lines
}

/// What to do next after a failure, when there is something useful to say.
fn hint(failure: &CallFailure, stage: &PluginConfig) -> String {
    match failure {
        CallFailure::Trap(_) if !stage.grants.stdio => {
            " (a Rust panic traps: set `stdio = true` under [grants] in the --config file to see its message)".into()
        }
        CallFailure::Error(m) if m.contains("unknown destination") => {
            " (name each destination the plugin may add or deny with --destination)".into()
        }
        CallFailure::Timeout { .. } => " (raise `timeout_ms` in the --config file if it needs longer)".into(),
        CallFailure::OutOfMemory { .. } => " (raise `memory_mib` in the --config file if it needs more)".into(),
        _ => String::new(),
    }
}
