//! Test plugin: traps (a Rust panic, which aborts the Wasm instance) on any batch with a
//! record whose attribute `test.action` is `"trap"`; passes every other batch. It first
//! records an edit, so a test can prove that a failed call's edits never apply.

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};

/// The plugin.
pub struct Trap;

impl Plugin for Trap {
    fn init(_config: &str) -> Result<Self, String> {
        Ok(Trap)
    }

    fn info(&self) -> Info {
        Info::new(
            "trap",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let action = batch.column(&Key::record("test.action"));
        let mut mark = batch.column_builder();
        for row in 0..batch.len() {
            mark.set_bool(row, true);
        }
        batch.set_column(&Key::record("test.touched"), mark.finish())?;
        if (0..batch.len()).any(|r| action.str(r) == Some("trap")) {
            panic!("asked to trap");
        }
        if (0..batch.len()).any(|r| action.str(r) == Some("error")) {
            return Err("asked to fail".to_string());
        }
        Ok(())
    }
}

export_plugin!(Trap);
