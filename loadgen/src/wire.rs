//! Counting records in encoded OTLP requests without decoding them: a protobuf field walker
//! that only descends into resources (for the tenant and the send stamp) and counts spans,
//! log records and metric data points. Cheap enough that the capture receiver takes little
//! CPU from the process under test.

use crate::attrs::STAMP_KEY;
use crate::pool::Signal;

/// The bytes are not valid protobuf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError;

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("malformed protobuf")
    }
}

impl std::error::Error for WireError {}

/// A field's value.
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    Varint(u64),
    Len(&'a [u8]),
    Fixed,
}

/// The fields of one message, in order.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf, pos: 0 }
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, WireError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or(WireError)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(WireError)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(WireError)?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn field(&mut self) -> Result<(u32, Field<'a>), WireError> {
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => self.take(8).map(|_| Field::Fixed)?,
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| WireError)?;
                Field::Len(self.take(n)?)
            }
            5 => self.take(4).map(|_| Field::Fixed)?,
            _ => return Err(WireError),
        };
        Ok(((key >> 3) as u32, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        (self.pos < self.buf.len()).then(|| self.field())
    }
}

/// The length-delimited values of field `number` in `buf`.
fn each<'a>(
    buf: &'a [u8],
    number: u32,
    mut f: impl FnMut(&'a [u8]) -> Result<(), WireError>,
) -> Result<(), WireError> {
    for field in fields(buf) {
        if let (n, Field::Len(b)) = field?
            && n == number
        {
            f(b)?;
        }
    }
    Ok(())
}

/// What one resource block of a request holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Block<'a> {
    /// The value of the tenant attribute, if the resource has it as a string.
    pub tenant: Option<&'a str>,
    /// The send stamp (ns since the Unix epoch), if the resource has one.
    pub stamp_ns: Option<u64>,
    /// Spans, log records or metric data points in the block.
    pub records: u64,
}

/// A string attribute of a `Resource` message.
fn resource_attr<'a>(resource: &'a [u8], key: &str) -> Result<Option<&'a str>, WireError> {
    let mut found = None;
    each(resource, 1, |kv| {
        let (mut k, mut v) = (None, None);
        for field in fields(kv) {
            match field? {
                (1, Field::Len(b)) => k = Some(b),
                (2, Field::Len(b)) => v = Some(b),
                _ => {}
            }
        }
        if k == Some(key.as_bytes()) {
            each(v.unwrap_or_default(), 1, |s| {
                found = std::str::from_utf8(s).ok();
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(found)
}

/// Records in one `ScopeSpans` / `ScopeLogs` / `ScopeMetrics` message.
fn scope_records(signal: Signal, scope: &[u8]) -> Result<u64, WireError> {
    let mut n = 0;
    each(scope, 2, |item| {
        match signal {
            Signal::Traces | Signal::Logs => n += 1,
            // Metric: gauge 5, sum 7, histogram 9, exponential histogram 10, summary 11;
            // each holds its data points in field 1.
            Signal::Metrics => {
                for field in fields(item) {
                    if let (5 | 7 | 9 | 10 | 11, Field::Len(data)) = field? {
                        each(data, 1, |_| {
                            n += 1;
                            Ok(())
                        })?;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Walks an `Export{Trace,Logs,Metrics}ServiceRequest`, calling `f` once per resource
/// block with its tenant (the string resource attribute `tenant_key`), stamp and records.
pub fn walk<'a>(
    signal: Signal,
    request: &'a [u8],
    tenant_key: &str,
    mut f: impl FnMut(Block<'a>),
) -> Result<(), WireError> {
    each(request, 1, |block| {
        let mut out = Block::default();
        for field in fields(block) {
            match field? {
                (1, Field::Len(resource)) => {
                    out.tenant = resource_attr(resource, tenant_key)?;
                    out.stamp_ns = resource_attr(resource, STAMP_KEY)?.and_then(|s| s.parse().ok());
                }
                (2, Field::Len(scope)) => out.records += scope_records(signal, scope)?,
                _ => {}
            }
        }
        f(out);
        Ok(())
    })
}

/// The `rejected_*` count of an `Export*ServiceResponse`'s partial success (0 if none).
pub fn rejected(response: &[u8]) -> u64 {
    let mut n = 0;
    let _ = each(response, 1, |partial| {
        for field in fields(partial) {
            if let (1, Field::Varint(v)) = field? {
                n = v;
            }
        }
        Ok(())
    });
    n
}
