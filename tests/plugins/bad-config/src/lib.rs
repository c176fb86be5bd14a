//! Test plugin: its config must be `threshold = <number>`; anything else is refused with a
//! message naming the field, which the host must report verbatim.

use sluice_plugin_sdk::{Batch, Info, Plugin, Signal, export_plugin};

/// The plugin.
pub struct BadConfig;

impl Plugin for BadConfig {
    fn init(config: &str) -> Result<Self, String> {
        let value = config
            .trim()
            .strip_prefix("threshold")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .ok_or_else(|| "bad-config: missing field `threshold`".to_string())?;
        value.trim().parse::<f64>().map(|_| BadConfig).map_err(|_| {
            format!(
                "bad-config: field `threshold`: expected a number, got `{}`",
                value.trim()
            )
        })
    }

    fn info(&self) -> Info {
        Info::new("bad-config", "0.1.0", &[Signal::Span])
    }

    fn process(&mut self, _batch: &mut Batch<'_>) -> Result<(), String> {
        Ok(())
    }
}

export_plugin!(BadConfig);
