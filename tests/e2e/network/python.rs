//! The OpenTelemetry Python SDK as the OTLP client: a venv with the official SDK and OTLP
//! exporters, built once under the cargo target dir (reused while the pins are unchanged),
//! and `send.py`, which sends spans, logs and metric points through them.

use crate::support::repo_root;
use std::path::PathBuf;
use std::process::Command;

/// The packages, pinned.
const PACKAGES: &[&str] = &[
    "opentelemetry-sdk==1.45.2",
    "opentelemetry-exporter-otlp-proto-grpc==1.45.2",
    "opentelemetry-exporter-otlp-proto-http==1.45.2",
];

/// The venv's python (created on first use).
pub fn python() -> PathBuf {
    crate::support::venv::python("py-otel", PACKAGES)
}

/// The venv's python running `script` (a path from the repo root), with no OTEL_* or proxy
/// variable of the caller's environment: the SDK, gRPC and requests read them, and none may
/// redirect or change the client.
pub fn script(script: &str) -> Command {
    let mut cmd = Command::new(python());
    cmd.arg(repo_root().join(script));
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy().to_ascii_lowercase();
        if name.starts_with("otel_") || name.ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// One run of `send.py`.
pub struct Send {
    /// The receiver's base URL (`http://127.0.0.1:port`).
    pub endpoint: String,
    /// `grpc` or `http`.
    pub protocol: &'static str,
    /// The run id: a prefix of every record's `test.id`.
    pub run: String,
    /// Request headers, `name=value`.
    pub headers: Vec<String>,
    /// Extra resource attributes, `key=value`.
    pub resource: Vec<String>,
    /// How many spans, log records and metric points.
    pub counts: (usize, usize, usize),
}

/// What `send.py` did.
#[derive(Debug)]
pub struct Sent {
    /// Whether every export succeeded.
    pub ok: bool,
    /// What it printed (its stderr has the exporters' error logs).
    pub output: String,
}

impl Send {
    /// Sends to `endpoint` over `protocol` as the holder of `key` (no header when empty).
    pub fn new(endpoint: String, protocol: &'static str, run: &str, key: &str) -> Send {
        let headers = if key.is_empty() {
            vec![]
        } else {
            vec![format!("authorization=Bearer {key}")]
        };
        Send {
            endpoint,
            protocol,
            run: run.into(),
            headers,
            resource: vec![],
            counts: (5, 5, 3),
        }
    }

    /// Adds a resource attribute.
    pub fn resource(mut self, kv: &str) -> Send {
        self.resource.push(kv.into());
        self
    }

    /// The `test.id`s of every record it sends, by signal, sorted like the capture's records.
    pub fn ids(&self) -> Vec<(&'static str, String)> {
        let (spans, logs, points) = self.counts;
        let mut ids: Vec<(&'static str, String)> = (0..logs)
            .map(|i| ("logs", format!("{}-log-{i}", self.run)))
            .chain((0..points).map(|i| ("metrics", format!("{}-metric-{i}", self.run))))
            .chain((0..spans).map(|i| ("traces", format!("{}-span-{i}", self.run))))
            .collect();
        ids.sort();
        ids
    }

    /// How many records it sends.
    pub fn total(&self) -> usize {
        self.counts.0 + self.counts.1 + self.counts.2
    }

    /// Runs `send.py`.
    pub fn run(&self) -> Sent {
        let mut cmd = script("tests/e2e/network/send.py");
        cmd.args([
            "--endpoint",
            &self.endpoint,
            "--protocol",
            self.protocol,
            "--run",
            &self.run,
            "--timeout",
            "10",
        ])
        .args([
            "--spans",
            &self.counts.0.to_string(),
            "--logs",
            &self.counts.1.to_string(),
        ])
        .args(["--metrics", &self.counts.2.to_string()]);
        for h in &self.headers {
            cmd.args(["--header", h]);
        }
        for r in &self.resource {
            cmd.args(["--resource", r]);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run send.py: {e}"));
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Sent {
            ok: out.status.success(),
            output,
        }
    }

    /// Runs `send.py` and panics unless every export succeeded.
    pub fn run_ok(&self) {
        let sent = self.run();
        assert!(
            sent.ok,
            "send.py ({} to {}) failed:\n{}",
            self.protocol, self.endpoint, sent.output
        );
    }
}
