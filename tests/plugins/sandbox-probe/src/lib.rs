//! Test plugin: on every batch, tries each capability the sandbox withholds unless granted
//! and writes what happened onto every record:
//!
//! - `probe.env`: the value of the environment variable its config names (the whole config
//!   text, trimmed; `SLUICE_PROBE_VAR` when empty), or `denied`;
//! - `probe.fs`: `ok` if it can list the directory `/probe`, else the error kind;
//! - `probe.clock`: seconds since the Unix epoch (0 when the clock is frozen);
//! - `probe.net`: the error kind of a TCP connect to 127.0.0.1:9 (`ok` if it connects).

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};

/// The plugin.
pub struct SandboxProbe {
    var: String,
}

fn probe(var: &str) -> [(&'static str, String); 4] {
    let env = std::env::var(var).unwrap_or_else(|_| "denied".into());
    let fs = match std::fs::read_dir("/probe") {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().to_string())
        .unwrap_or_else(|_| "0".into());
    let net = match std::net::TcpStream::connect("127.0.0.1:9") {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    [
        ("probe.env", env),
        ("probe.fs", fs),
        ("probe.clock", clock),
        ("probe.net", net),
    ]
}

impl Plugin for SandboxProbe {
    fn init(config: &str) -> Result<Self, String> {
        let var = match config.trim() {
            "" => "SLUICE_PROBE_VAR",
            name => name,
        };
        Ok(SandboxProbe {
            var: var.to_string(),
        })
    }

    fn info(&self) -> Info {
        Info::new(
            "sandbox-probe",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        for (key, value) in probe(&self.var) {
            let mut out = batch.column_builder();
            for row in 0..batch.len() {
                out.set_str(row, value.as_str());
            }
            batch.set_column(&Key::record(key), out.finish())?;
        }
        Ok(())
    }
}

export_plugin!(SandboxProbe);
