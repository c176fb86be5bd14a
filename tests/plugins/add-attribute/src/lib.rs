//! Test plugin: sets one attribute on every record. Its config is two lines,
//! `key = "..."` and `value = "..."`, parsed by hand so that its Python twin
//! (`tests/plugins/python-add-attribute`) can mirror it exactly.

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};

/// The plugin.
pub struct AddAttribute {
    key: Key,
    value: String,
}

fn field(config: &str, name: &str) -> Result<String, String> {
    for line in config.lines() {
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == name
        {
            let v = v.trim();
            return v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string)
                .ok_or_else(|| format!("`{name}` must be a quoted string"));
        }
    }
    Err(format!("missing field `{name}`"))
}

impl Plugin for AddAttribute {
    fn init(config: &str) -> Result<Self, String> {
        Ok(AddAttribute {
            key: Key::record(field(config, "key")?),
            value: field(config, "value")?,
        })
    }

    fn info(&self) -> Info {
        Info::new(
            "add-attribute",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let mut out = batch.column_builder();
        for row in 0..batch.len() {
            out.set_str(row, self.value.as_str());
        }
        batch.set_column(&self.key, out.finish())
    }
}

export_plugin!(AddAttribute);
