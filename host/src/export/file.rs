//! The `file` destination (and `--output`): OTLP JSON lines appended to a file or stdout.

use crate::otlp::{Payload, json};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// A JSON-lines writer, opened on first use so an unused destination creates no file.
pub struct JsonLinesSink {
    target: String,
    out: Option<Box<dyn Write + Send>>,
}

impl JsonLinesSink {
    /// A sink for a path, or stdout for `-`.
    pub fn new(target: impl Into<String>) -> Self {
        JsonLinesSink {
            target: target.into(),
            out: None,
        }
    }

    /// Appends one payload as a line.
    pub fn write(&mut self, payload: &Payload) -> std::io::Result<()> {
        if self.out.is_none() {
            self.out = Some(if self.target == "-" {
                Box::new(BufWriter::new(std::io::stdout()))
            } else {
                let path = PathBuf::from(&self.target);
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)?;
                }
                Box::new(BufWriter::new(
                    File::options().create(true).append(true).open(&path)?,
                ))
            });
        }
        let out = self.out.as_mut().expect("opened above");
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
