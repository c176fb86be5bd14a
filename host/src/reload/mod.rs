//! Hot reload: re-reading the main config's `[[plugins]]` and the plugin folder, loading
//! what changed off the hot path, and swapping the new chain in between batches — or, if
//! anything about the new chain fails, keeping the running one and saying why.
//!
//! A reload is all or nothing: the running chain is always a state the operator declared
//! in full (the folder and config as they were at some moment), never a mix of the old and
//! the parts of the new that happened to load.

pub mod listing;
pub mod status;
mod watch;

pub use status::{ChainView, PluginStatus};
pub use watch::{Watch, WatchError, watch};

use crate::config::plugin_dir::{self, StageFileError};
use crate::config::{self, Config, PluginConfig};
use crate::metrics::Metrics;
use crate::pipeline::live::LiveChain;
use crate::plugin::{LoadedPlugin, Runtime};
use crate::router::Destinations;
use status::{Refusal, ReloadReport, unix_ms};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Builds the chain a config and its plugin folder declare (used at start and on reload).
pub fn declared_chain(config: &Config) -> Result<Vec<PluginConfig>, Vec<StageFileError>> {
    let Some(dir) = &config.plugin_dir else {
        return Ok(config.plugins.clone());
    };
    let scan = plugin_dir::scan(&dir.path).map_err(|e| {
        vec![StageFileError {
            file: dir.path.display().to_string(),
            problems: vec![config::Problem {
                line: None,
                path: "plugin_dir.path".into(),
                message: format!("cannot read the plugin folder: {e}"),
            }],
        }]
    })?;
    plugin_dir::compose(&config.plugins, &scan, dir.max_stages)
}

/// Everything a reload needs; lives on the watcher's thread.
pub struct Reloader {
    /// The engine plugins are compiled on.
    pub runtime: Arc<Runtime>,
    /// The destinations plugins see.
    pub destinations: Arc<Destinations>,
    /// The chain workers run.
    pub live: Arc<LiveChain>,
    /// What `/plugins` shows.
    pub status: Arc<PluginStatus>,
    /// Reload counters.
    pub metrics: Arc<Metrics>,
    /// The main config file, when sluice was started with one.
    pub config_path: Option<PathBuf>,
    /// The config in force.
    pub config: Config,
    /// The main config's text as last read, to see whether it changed.
    config_text: Option<String>,
}

impl Reloader {
    /// A reloader for a pipeline started from `config` (read from `config_path`, if any).
    pub fn new(
        runtime: Arc<Runtime>,
        destinations: Arc<Destinations>,
        live: Arc<LiveChain>,
        status: Arc<PluginStatus>,
        metrics: Arc<Metrics>,
        config: Config,
        config_path: Option<PathBuf>,
    ) -> Self {
        let config_text = config_path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok());
        status.set_live(live.current());
        Reloader {
            runtime,
            destinations,
            live,
            status,
            metrics,
            config_path,
            config,
            config_text,
        }
    }

    /// Re-reads the config and folder and swaps in the chain they declare if it differs
    /// from the running one and loads in full. `since` is when the change was seen.
    pub fn reload(&mut self, since: Instant) -> ReloadReport {
        let mut refused = Vec::new();
        let mut needs_restart = Vec::new();
        if let Err(r) = self.reread_config(&mut needs_restart) {
            refused.push(r);
        }
        let declared = if refused.is_empty() {
            declared_chain(&self.config).map_err(|errors| {
                refused.extend(errors.into_iter().map(|e| Refusal {
                    file: e.file.clone(),
                    reason: e.to_string(),
                }))
            })
        } else {
            Err(())
        };
        let running = self.live.current();
        let mut next = Vec::new();
        if let Ok(declared) = declared {
            for stage in &declared {
                match LoadedPlugin::load_or_reuse(
                    &self.runtime,
                    stage,
                    self.destinations.clone(),
                    &running.plugins,
                ) {
                    Ok(p) => next.push(p),
                    Err(e) => refused.push(Refusal {
                        file: stage_origin(stage, self.config_path.as_ref()),
                        reason: e.to_string(),
                    }),
                }
            }
        }
        let outcome = if !refused.is_empty() {
            for r in &refused {
                // File names and loader messages only; a plugin's own init message is its
                // author's text about its config, not record content.
                tracing::error!(file = %r.file, "plugin reload refused; the running chain stays: {}", r.reason);
            }
            "refused"
        } else if next.len() == running.plugins.len()
            && next
                .iter()
                .zip(&running.plugins)
                .all(|(a, b)| Arc::ptr_eq(a, b))
        {
            "unchanged"
        } else {
            log_changes(&running.plugins, &next);
            let generation = self.live.publish(next);
            tracing::info!(
                generation,
                took_ms = since.elapsed().as_millis() as u64,
                "plugin chain swapped"
            );
            "applied"
        };
        for note in &needs_restart {
            tracing::warn!("config change not applied until restart: {note}");
        }
        let generation = self.live.generation();
        self.metrics.plugin_reload(outcome, generation);
        let report = ReloadReport {
            at_ms: unix_ms(SystemTime::now()),
            outcome: outcome.into(),
            generation,
            refused,
            needs_restart,
            took_ms: since.elapsed().as_millis() as u64,
        };
        let live = (outcome == "applied").then(|| self.live.current());
        self.status
            .reloaded(report.clone(), self.ignored_files(), live);
        report
    }

    /// Reads the main config again if its text changed; `[[plugins]]` changes apply, other
    /// sections are noted as needing a restart.
    fn reread_config(&mut self, needs_restart: &mut Vec<String>) -> Result<(), Refusal> {
        let Some(path) = &self.config_path else {
            return Ok(());
        };
        let refusal = |reason: String| Refusal {
            file: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| refusal(format!("cannot read the config: {e}")))?;
        if self.config_text.as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        let base = path.parent().map(PathBuf::from).unwrap_or_default();
        let new = config::load_str(&text, &path.display().to_string(), &base)
            .map_err(|e| refusal(e.to_string()))?;
        needs_restart.extend(restart_only_changes(
            self.config_text.as_deref().unwrap_or(""),
            &text,
        ));
        // Only the plugin chain is live-reloadable; everything else keeps its running value.
        self.config.plugins = new.plugins;
        self.config_text = Some(text);
        Ok(())
    }

    /// The files outside the plugin folder whose change means a reload: the main config and
    /// every stage's `config_file`.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let stages = declared_chain(&self.config).unwrap_or_else(|_| self.config.plugins.clone());
        self.config_path
            .iter()
            .cloned()
            .chain(stages.into_iter().filter_map(|s| s.config_file))
            .collect()
    }

    fn ignored_files(&self) -> Vec<String> {
        let Some(dir) = &self.config.plugin_dir else {
            return Vec::new();
        };
        plugin_dir::scan(&dir.path)
            .map(|s| s.ignored.iter().map(|p| p.display().to_string()).collect())
            .unwrap_or_default()
    }
}

/// The top-level config sections, other than `plugins`, whose text changed.
fn restart_only_changes(old: &str, new: &str) -> Vec<String> {
    let parse = |t: &str| t.parse::<toml::Table>().unwrap_or_default();
    let (old, new) = (parse(old), parse(new));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "plugins" && old.get(*k) != new.get(*k))
        .map(|k| format!("`{k}` changed"))
        .collect()
}

fn stage_origin(stage: &PluginConfig, config_path: Option<&PathBuf>) -> String {
    match (&stage.path, &stage.builtin, config_path) {
        (Some(p), _, _) => p.display().to_string(),
        (None, Some(b), Some(c)) => format!("{} (builtin:{b})", c.display()),
        (None, Some(b), None) => format!("builtin:{b}"),
        (None, None, _) => stage.name.clone(),
    }
}

fn log_changes(old: &[Arc<LoadedPlugin>], new: &[Arc<LoadedPlugin>]) {
    for p in new {
        match old.iter().find(|o| o.name == p.name) {
            Some(o) if Arc::ptr_eq(o, p) => {}
            Some(o) => {
                tracing::info!(stage = %p.name, source = %p.source, sha256 = %p.sha256, version = %p.info.version, previous_sha256 = %o.sha256, "plugin replaced")
            }
            None => {
                tracing::info!(stage = %p.name, source = %p.source, sha256 = %p.sha256, version = %p.info.version, "plugin added")
            }
        }
    }
    for o in old {
        if !new.iter().any(|p| p.name == o.name) {
            tracing::info!(stage = %o.name, source = %o.source, "plugin removed");
        }
    }
}

#[cfg(test)]
#[path = "reload_tests.rs"]
mod tests;
