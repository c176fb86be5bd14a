//! One worker's chain of plugin instances, and what each failure policy does to a batch.

use super::batch::{BatchState, Processed};
use super::live::ChainVersion;
use crate::config::FailurePolicy;
use crate::metrics::Metrics;
use crate::otlp::{Payload, signal_name};
use crate::plugin::{CallFailure, LoadError, LoadedPlugin, PluginInstance};
use std::sync::Arc;

/// What became of a batch.
#[derive(Debug)]
pub enum ChainOutcome {
    /// Every stage passed (or failed open): route and export it.
    Processed(Processed),
    /// A `fail_closed` stage failed: export nothing; quarantine the batch as that stage
    /// received it.
    Quarantined {
        /// The failing stage.
        plugin: String,
        /// How it failed.
        failure: CallFailure,
        /// The batch as the stage received it.
        payload: Payload,
        /// Its row count.
        rows: usize,
    },
    /// A `drop` stage failed: the batch is dropped and counted.
    Dropped {
        /// The failing stage.
        plugin: String,
        /// How it failed.
        failure: CallFailure,
        /// Rows dropped.
        rows: usize,
    },
}

/// The plugin instances of one worker, in chain order.
pub struct Chain {
    stages: Vec<PluginInstance>,
    generation: u64,
    metrics: Option<Arc<Metrics>>,
}

impl Chain {
    /// One fresh instance of every plugin.
    pub fn new(
        plugins: &[Arc<LoadedPlugin>],
        metrics: Option<Arc<Metrics>>,
    ) -> Result<Self, LoadError> {
        Ok(Chain {
            stages: plugins
                .iter()
                .map(|p| p.instantiate())
                .collect::<Result<_, _>>()?,
            generation: 0,
            metrics,
        })
    }

    /// The chain version these instances belong to (0 for a chain that never reloads).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Switches to `version`, keeping the instance (and its state) of every stage whose
    /// plugin did not change and starting instances for the new ones. On failure the chain
    /// stays as it was.
    pub fn update(&mut self, version: &ChainVersion) -> Result<(), LoadError> {
        let mut old: Vec<Option<PluginInstance>> = self.stages.drain(..).map(Some).collect();
        // Each new stage with the old slot it was taken from, so a failure can put it back.
        let mut next: Vec<(Option<usize>, PluginInstance)> = Vec::new();
        let mut failure = None;
        for plugin in &version.plugins {
            let slot = old
                .iter()
                .position(|i| i.as_ref().is_some_and(|i| Arc::ptr_eq(i.plugin(), plugin)));
            match slot {
                Some(at) => next.push((Some(at), old[at].take().expect("slot just found"))),
                None => match plugin.instantiate() {
                    Ok(instance) => next.push((None, instance)),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                },
            }
        }
        if let Some(e) = failure {
            for (slot, instance) in next {
                if let Some(at) = slot {
                    old[at] = Some(instance);
                }
            }
            self.stages = old.into_iter().flatten().collect();
            return Err(e);
        }
        self.stages = next.into_iter().map(|(_, i)| i).collect();
        self.generation = version.generation;
        Ok(())
    }

    /// Runs a batch through every stage that wants its signal.
    pub fn run(&mut self, mut batch: BatchState) -> ChainOutcome {
        let signal = batch.payload().signal();
        let mut failed_open = 0;
        for stage in &mut self.stages {
            let plugin = stage.plugin().clone();
            if !plugin.info.signals.contains(&signal) || batch.row_count() == 0 {
                continue;
            }
            let started = std::time::Instant::now();
            let (back, result) = stage.process(batch);
            batch = back;
            plugin.stats.record(started.elapsed(), result.is_err());
            let counts = batch.take_counts();
            if let Some(m) = &self.metrics {
                for c in counts {
                    m.plugin_event(&plugin.name, c);
                }
            }
            if let Some(m) = &self.metrics {
                m.plugin_call(
                    &plugin.name,
                    started.elapsed(),
                    result.as_ref().err().map(|f| f.kind()),
                );
            }
            let Err(failure) = result else { continue };
            let rows = batch.row_count();
            // Never the records themselves: which plugin, which policy, how many records.
            tracing::warn!(
                plugin = %plugin.name,
                policy = plugin.policy.as_str(),
                failure = failure.kind(),
                signal = signal_name(signal),
                records = rows,
                "plugin failed on a batch: {}",
                truncate(&failure.to_string(), 300),
            );
            match plugin.policy {
                FailurePolicy::FailOpen => failed_open += 1,
                FailurePolicy::Drop => {
                    return ChainOutcome::Dropped {
                        plugin: plugin.name.clone(),
                        failure,
                        rows,
                    };
                }
                FailurePolicy::FailClosed => {
                    let payload = batch.finish().payload;
                    return ChainOutcome::Quarantined {
                        plugin: plugin.name.clone(),
                        failure,
                        payload,
                        rows,
                    };
                }
            }
        }
        let mut processed = batch.finish();
        processed.failed_open = failed_open;
        ChainOutcome::Processed(processed)
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
