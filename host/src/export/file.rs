//! The `file` destination (and `--output`): OTLP JSON lines written to a file or stdout.

use super::{ExportBatch, ExportError, Exporter};
use crate::otlp::{Payload, json};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// A JSON-lines writer, opened on first use so an unused destination creates no file.
pub struct JsonLinesSink {
    target: String,
    append: bool,
    out: Option<Box<dyn Write + Send>>,
}

impl JsonLinesSink {
    /// A sink appending to a path (a destination keeps what earlier runs wrote), or stdout
    /// for `-`.
    pub fn appending(target: impl Into<String>) -> Self {
        JsonLinesSink {
            target: target.into(),
            append: true,
            out: None,
        }
    }

    /// A sink replacing a file's content (`--output`, like a shell redirect), or stdout for `-`.
    pub fn replacing(target: impl Into<String>) -> Self {
        JsonLinesSink {
            target: target.into(),
            append: false,
            out: None,
        }
    }

    fn open(&self) -> std::io::Result<Box<dyn Write + Send>> {
        if self.target == "-" {
            return Ok(Box::new(BufWriter::new(std::io::stdout())));
        }
        let path = PathBuf::from(&self.target);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut options = File::options();
        options.create(true);
        if self.append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        Ok(Box::new(BufWriter::new(options.open(&path)?)))
    }

    /// Writes one payload as a line.
    pub fn write(&mut self, payload: &Payload) -> std::io::Result<()> {
        let out = match &mut self.out {
            Some(out) => out,
            None => self.out.insert(self.open()?),
        };
        out.write_all(json::encode_line(payload).as_bytes())?;
        out.write_all(b"\n")
    }

    /// Flushes buffered lines.
    pub fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }

    /// The path or `-`.
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// The `file` destination as an [`Exporter`]: one JSON-lines file, or one per tenant when the
/// path contains `{tenant}`. Writes are serialised, so a destination with one queue worker
/// writes batches in the order they were queued.
pub struct FileExporter {
    template: String,
    sinks: std::sync::Mutex<std::collections::HashMap<String, JsonLinesSink>>,
}

impl FileExporter {
    /// An exporter appending to `path` (a template when it contains `{tenant}`).
    pub fn new(path: &str) -> Self {
        FileExporter {
            template: path.to_string(),
            sinks: Default::default(),
        }
    }
}

/// Replaces `{tenant}` with a file-name-safe form of the tenant id, so a tenant id cannot
/// climb out of the directory (`../`) or name another file.
pub fn tenant_path(template: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) if template.contains("{tenant}") => {
            let safe: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let safe = if safe.is_empty() || safe.chars().all(|c| c == '.') {
                "_".to_string()
            } else {
                safe
            };
            template.replace("{tenant}", &safe)
        }
        _ => template.to_string(),
    }
}

#[async_trait::async_trait]
impl Exporter for FileExporter {
    async fn export(&self, batch: &ExportBatch) -> Result<(), ExportError> {
        let path = tenant_path(&self.template, batch.tenant.as_deref());
        let mut sinks = self
            .sinks
            .lock()
            .map_err(|_| ExportError::permanent("file sink lock poisoned"))?;
        let sink = sinks
            .entry(path.clone())
            .or_insert_with(|| JsonLinesSink::appending(path.clone()));
        // A full disk may clear; anything else about a local file will not. Flushed per
        // batch: a record counted as exported is in the file (handed to the OS), where a
        // reader tailing it sees it.
        let payload = batch
            .payload
            .decoded()
            .map_err(|e| ExportError::permanent(format!("queued records do not decode: {e}")))?;
        sink.write(&payload)
            .and_then(|()| sink.flush())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::Interrupted => {
                    ExportError::retryable(format!("{path}: {e}"))
                }
                _ => ExportError::permanent(format!("{path}: {e}")),
            })
    }

    async fn flush(&self) -> Result<(), ExportError> {
        let mut sinks = self
            .sinks
            .lock()
            .map_err(|_| ExportError::permanent("file sink lock poisoned"))?;
        for sink in sinks.values_mut() {
            sink.flush()
                .map_err(|e| ExportError::permanent(format!("{}: {e}", sink.target())))?;
        }
        Ok(())
    }
}

/// The `discard` destination: records are counted as exported and dropped.
pub struct DiscardExporter;

#[async_trait::async_trait]
impl Exporter for DiscardExporter {
    async fn export(&self, _batch: &ExportBatch) -> Result<(), ExportError> {
        Ok(())
    }
}
