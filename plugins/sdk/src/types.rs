//! Plain Rust mirrors of the WIT types, shared by guests and the native host.
//!
//! They exist so that one plugin source runs both inside Wasm (through the generated
//! bindings) and natively against the host's batch view (for benchmarks and tests).

/// The kind of telemetry record a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A trace span.
    Span,
    /// A log record.
    Log,
    /// One data point of a metric.
    MetricPoint,
}

/// Which attribute list of a row a key refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The row's resource, shared by every row of that resource.
    Resource,
    /// The row's instrumentation scope, shared by every row of that scope.
    InstrumentationScope,
    /// The row's own attributes.
    Record,
}

/// An attribute key and the attribute list it lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Which attribute list.
    pub scope: Scope,
    /// The attribute key.
    pub name: String,
}

impl Key {
    /// A key in the row's own attributes.
    pub fn record(name: impl Into<String>) -> Self {
        Key {
            scope: Scope::Record,
            name: name.into(),
        }
    }

    /// A key in the row's resource attributes.
    pub fn resource(name: impl Into<String>) -> Self {
        Key {
            scope: Scope::Resource,
            name: name.into(),
        }
    }
}

/// Many strings in one buffer: string `i` is `bytes[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedStrings {
    /// The concatenated UTF-8 bytes.
    pub bytes: Vec<u8>,
    /// Start of each string, then the end of the last one; empty when there are no strings.
    pub offsets: Vec<u32>,
}

impl PackedStrings {
    /// An empty packed list with room for `n` strings of `bytes` bytes in total.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        PackedStrings {
            bytes: Vec::with_capacity(bytes),
            offsets,
        }
    }

    /// Appends one string.
    pub fn push(&mut self, s: &str) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.bytes.extend_from_slice(s.as_bytes());
        self.offsets.push(self.bytes.len() as u32);
    }

    /// The number of strings.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// String `i`, or `None` when out of range or not valid UTF-8.
    pub fn get(&self, i: usize) -> Option<&str> {
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        std::str::from_utf8(self.bytes.get(start..end)?).ok()
    }

    /// Every string in order (invalid UTF-8 reads as empty).
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// Checks that the offsets are well formed and every string is UTF-8.
    pub fn validate(&self) -> Result<(), String> {
        if self.offsets.is_empty() {
            return if self.bytes.is_empty() {
                Ok(())
            } else {
                Err("packed strings: bytes without offsets".into())
            };
        }
        if self.offsets[0] != 0 {
            return Err("packed strings: offsets must start at 0".into());
        }
        for (i, w) in self.offsets.windows(2).enumerate() {
            if w[1] < w[0] {
                return Err(format!("packed strings: offset {} decreases", i + 1));
            }
        }
        if *self.offsets.last().unwrap_or(&0) as usize != self.bytes.len() {
            return Err("packed strings: last offset must equal the byte length".into());
        }
        for i in 0..self.len() {
            let (s, e) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            if std::str::from_utf8(&self.bytes[s..e]).is_err() {
                return Err(format!("packed strings: string {i} is not valid UTF-8"));
            }
        }
        Ok(())
    }

    /// Checks these strings as the argument of a `replace-texts` call for `ids`, when `known`
    /// texts were listed by the last `texts` call: well formed, one string per id, every id
    /// one of those texts. The host and the native test batch both check with this, so a
    /// plugin sees the same error in its native tests as in sluice.
    pub fn check_replacement(&self, ids: &[u32], known: usize) -> Result<(), String> {
        self.validate().map_err(|e| format!("replace-texts: {e}"))?;
        if self.len() != ids.len() {
            return Err(format!(
                "replace-texts: {} ids but {} strings",
                ids.len(),
                self.len()
            ));
        }
        if let Some(bad) = ids.iter().find(|id| **id as usize >= known) {
            return Err(format!(
                "replace-texts: unknown text id {bad} (call `texts` first; ids last for one call)"
            ));
        }
        Ok(())
    }
}

impl<S: AsRef<str>> FromIterator<S> for PackedStrings {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut p = PackedStrings::with_capacity(0, 0);
        for s in iter {
            p.push(s.as_ref());
        }
        p
    }
}

/// The type of one row's value in a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ValueKind {
    /// No value (read) or leave unchanged (write).
    #[default]
    Absent,
    /// In the `strings` lane.
    Str,
    /// In the `ints` lane.
    Int,
    /// In the `doubles` lane.
    Double,
    /// In the `bools` lane.
    Boolean,
    /// Bytes, array or map: in no lane.
    Other,
}

/// One attribute across the batch; see the WIT `column` record for the lane rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// Per row: which lane holds the value.
    pub kinds: Vec<ValueKind>,
    /// One string per row, or empty.
    pub strings: PackedStrings,
    /// One integer per row, or empty.
    pub ints: Vec<i64>,
    /// One double per row, or empty.
    pub doubles: Vec<f64>,
    /// One bool per row, or empty.
    pub bools: Vec<bool>,
}

/// Where a string leaf sits in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOrigin {
    /// A resource attribute (shared by the resource's rows).
    ResourceAttribute,
    /// An instrumentation scope attribute (shared by the scope's rows).
    ScopeAttribute,
    /// The row's own attributes, at any depth.
    Attribute,
    /// Span name or metric name.
    Name,
    /// Log body, at any depth.
    Body,
    /// Span event name or attribute.
    Event,
    /// Span link attribute.
    Link,
    /// Span status message.
    StatusMessage,
}

/// String leaves with ids for `replace_texts`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    /// Leaf ids.
    pub ids: Vec<u32>,
    /// The row of each leaf.
    pub rows: Vec<u32>,
    /// Where each leaf sits.
    pub origins: Vec<TextOrigin>,
    /// Attribute key path of each leaf.
    pub keys: PackedStrings,
    /// The leaf strings.
    pub strings: PackedStrings,
}

/// A configured destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Unique name.
    pub name: String,
    /// Region, when configured.
    pub region: Option<String>,
    /// Operated by a third party.
    pub third_party: bool,
    /// Persists records.
    pub retains: bool,
}

/// What a plugin says about itself at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// The signals it wants.
    pub signals: Vec<Signal>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `replace-texts` argument is refused, naming what is wrong, unless it is one well
    /// formed string per listed text.
    #[test]
    fn replacement_is_one_valid_string_per_listed_text() {
        let two: PackedStrings = ["a", "b"].into_iter().collect();
        assert_eq!(two.check_replacement(&[0, 2], 3), Ok(()));
        assert_eq!(
            two.check_replacement(&[0], 3),
            Err("replace-texts: 1 ids but 2 strings".into())
        );
        let unknown = two.check_replacement(&[0, 3], 3).unwrap_err();
        assert!(
            unknown.starts_with("replace-texts: unknown text id 3 "),
            "{unknown}"
        );
        let broken = PackedStrings {
            bytes: vec![0xff],
            offsets: vec![0, 1],
        };
        assert_eq!(
            broken.check_replacement(&[0], 1),
            Err("replace-texts: packed strings: string 0 is not valid UTF-8".into())
        );
    }
}
