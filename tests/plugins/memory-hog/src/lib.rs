//! Test plugin: allocates until the host's memory cap stops it on a batch with a record
//! whose attribute `test.action` is `"oom"`; passes every other batch.

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};

/// The plugin.
pub struct MemoryHog {
    hoard: Vec<Vec<u8>>,
}

impl Plugin for MemoryHog {
    fn init(_config: &str) -> Result<Self, String> {
        Ok(MemoryHog { hoard: Vec::new() })
    }

    fn info(&self) -> Info {
        Info::new(
            "memory-hog",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let action = batch.column(&Key::record("test.action"));
        if (0..batch.len()).any(|r| action.str(r) == Some("oom")) {
            loop {
                // Touch every page so the memory is really committed.
                self.hoard.push(vec![1u8; 1 << 20]);
            }
        }
        Ok(())
    }
}

export_plugin!(MemoryHog);
