//! What the running chain is and how the last reload went, for `/plugins`, `/readyz` and
//! `sluice plugins`. Holds names, digests and error messages about files, never records.

use crate::pipeline::live::ChainVersion;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// One stage of the running chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageView {
    /// Position in the chain, from 1.
    pub order: usize,
    /// The stage name.
    pub stage: String,
    /// The plugin's own name and version, from its `init`.
    pub plugin: String,
    /// The plugin's version.
    pub version: String,
    /// `builtin:NAME` or the file.
    pub source: String,
    /// The component's sha256.
    pub sha256: String,
    /// When it was loaded, in milliseconds since the Unix epoch.
    pub loaded_at_ms: u64,
    /// `process` calls since it was loaded.
    pub calls: u64,
    /// Failed calls since it was loaded.
    pub failures: u64,
    /// Upper bound on the 99th-percentile call latency, in microseconds.
    pub p99_us: Option<u64>,
}

/// A file (or the main config) a reload refused, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refusal {
    /// The file at fault.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// How the last reload went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReloadReport {
    /// When it finished, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// `applied` (a new chain is live), `unchanged`, or `refused` (the running chain stays).
    pub outcome: String,
    /// The live generation after it.
    pub generation: u64,
    /// What was refused.
    pub refused: Vec<Refusal>,
    /// Changes seen but not applied (they need a restart).
    pub needs_restart: Vec<String>,
    /// Time from the file event to the outcome, in milliseconds.
    pub took_ms: u64,
}

/// The whole picture, as `/plugins` serves it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ChainView {
    /// The live generation (1 at start, +1 per applied reload).
    pub generation: u64,
    /// The running stages in order.
    pub stages: Vec<StageView>,
    /// The last reload, if any happened.
    pub last_reload: Option<ReloadReport>,
    /// Files in the plugin folder that are not stages.
    pub ignored: Vec<String>,
    /// Reloads applied and refused since start.
    pub applied: u64,
    /// Reloads refused since start.
    pub refused: u64,
}

/// Shared between the reloader (writes) and the admin endpoint (reads).
#[derive(Default)]
pub struct PluginStatus {
    inner: Mutex<ChainView>,
    live: Mutex<Option<std::sync::Arc<ChainVersion>>>,
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl PluginStatus {
    /// Records the version now live.
    pub fn set_live(&self, version: std::sync::Arc<ChainVersion>) {
        self.lock().generation = version.generation;
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(version);
    }

    /// Records a reload's outcome, with the chain it made live when it applied one: both
    /// under one lock, so `/plugins` never shows a new generation beside the previous
    /// reload's report.
    pub fn reloaded(
        &self,
        report: ReloadReport,
        ignored: Vec<String>,
        live: Option<std::sync::Arc<ChainVersion>>,
    ) {
        let mut v = self.lock();
        if let Some(version) = live {
            v.generation = version.generation;
            *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Some(version);
        }
        match report.outcome.as_str() {
            "applied" => v.applied += 1,
            "refused" => v.refused += 1,
            _ => {}
        }
        v.ignored = ignored;
        v.last_reload = Some(report);
    }

    /// The current picture, with live call statistics.
    pub fn view(&self) -> ChainView {
        // Both under the state lock (the order `reloaded` takes them in): one consistent
        // picture of generation, report and stages.
        let state = self.lock();
        let mut view = state.clone();
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
        drop(state);
        if let Some(version) = live {
            view.stages = version
                .plugins
                .iter()
                .enumerate()
                .map(|(i, p)| StageView {
                    order: i + 1,
                    stage: p.name.clone(),
                    plugin: p.info.name.clone(),
                    version: p.info.version.clone(),
                    source: p.source.to_string(),
                    sha256: p.sha256.clone(),
                    loaded_at_ms: unix_ms(p.loaded_at),
                    calls: p.stats.calls(),
                    failures: p.stats.failures(),
                    p99_us: p.stats.p99().map(|d| d.as_micros() as u64),
                })
                .collect();
        }
        view
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChainView> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
