//! The local quarantine of `fail_closed` plugins: each failed batch in a file of its own,
//! readable by the owner only, holding a metadata line and the batch as OTLP JSON.

use crate::otlp::{Payload, json, signal_name};
use crate::plugin::CallFailure;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The quarantine directory.
#[derive(Debug)]
pub struct Quarantine {
    dir: PathBuf,
    seq: AtomicU64,
}

impl Quarantine {
    /// A quarantine in `dir`, created (mode 0700) on first use.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Quarantine {
            dir: dir.into(),
            seq: AtomicU64::new(0),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one failed batch and logs where (or why not; never the records); returns the
    /// file.
    pub fn put(
        &self,
        plugin: &str,
        failure: &CallFailure,
        payload: &Payload,
        rows: usize,
    ) -> std::io::Result<PathBuf> {
        let written = self.write(plugin, failure, payload, rows);
        match &written {
            Ok(path) => {
                tracing::warn!(plugin, records = rows, file = %path.display(), "batch quarantined")
            }
            Err(e) => {
                tracing::error!(plugin, records = rows, dir = %self.dir.display(), "cannot write the quarantine: {e}")
            }
        }
        written
    }

    fn write(
        &self,
        plugin: &str,
        failure: &CallFailure,
        payload: &Payload,
        rows: usize,
    ) -> std::io::Result<PathBuf> {
        use std::os::unix::fs::OpenOptionsExt;
        crate::plugin::create_private_dir(&self.dir)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let safe: String = plugin
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.dir.join(format!(
            "{}-{}-{seq:06}-{safe}.jsonl",
            now.as_millis(),
            std::process::id()
        ));
        let meta = serde_json::json!({ "sluice_quarantine": {
            "version": 1,
            "plugin": plugin,
            "failure": failure.kind(),
            "reason": failure.to_string(),
            "signal": signal_name(payload.signal()),
            "records": rows,
            "at_unix_ms": now.as_millis() as u64,
        }});
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        writeln!(file, "{meta}")?;
        writeln!(file, "{}", json::encode_line(payload))?;
        file.sync_all()?;
        Ok(path)
    }
}
