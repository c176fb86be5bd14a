//! The `file` destination (and `--output`): OTLP JSON lines written to a file or stdout.

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
