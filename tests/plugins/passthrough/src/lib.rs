//! Test plugin: wants every signal and changes nothing. The baseline of the benchmarks.

use sluice_plugin_sdk::{Batch, Info, Plugin, Signal, export_plugin};

/// The plugin.
pub struct Passthrough;

impl Plugin for Passthrough {
    fn init(_config: &str) -> Result<Self, String> {
        Ok(Passthrough)
    }

    fn info(&self) -> Info {
        Info::new(
            "passthrough",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, _batch: &mut Batch<'_>) -> Result<(), String> {
        Ok(())
    }
}

export_plugin!(Passthrough);
