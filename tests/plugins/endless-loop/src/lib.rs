//! Test plugin: never returns from a batch with a record whose attribute `test.action`
//! is `"loop"`, so the host's per-call deadline must stop it; passes every other batch.

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};

/// The plugin.
pub struct EndlessLoop {
    spins: u64,
}

impl Plugin for EndlessLoop {
    fn init(_config: &str) -> Result<Self, String> {
        Ok(EndlessLoop { spins: 0 })
    }

    fn info(&self) -> Info {
        Info::new(
            "endless-loop",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let action = batch.column(&Key::record("test.action"));
        if (0..batch.len()).any(|r| action.str(r) == Some("loop")) {
            loop {
                // black_box keeps the optimiser from proving the loop has no effect.
                self.spins = std::hint::black_box(self.spins.wrapping_add(1));
            }
        }
        Ok(())
    }
}

export_plugin!(EndlessLoop);
