//! Plugin counters (`count` in `wit/plugin.wit`): the rules for names and labels, shared by
//! the host and the SDK's test batch so both refuse the same things with the same message.

/// One counter increment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// The counter's name (the `event` label).
    pub name: String,
    /// Its labels, in the order given.
    pub labels: Vec<(String, String)>,
    /// How much to add.
    pub value: u64,
}

/// The most labels one counter may carry.
pub const MAX_LABELS: usize = 8;
/// The longest label value, in bytes.
pub const MAX_VALUE_BYTES: usize = 128;

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Checks a `count` call's name and labels; the message says what is wrong.
pub fn check(name: &str, labels: &[(&str, &str)]) -> Result<(), String> {
    if !is_name(name) {
        return Err(format!(
            "count: `{name}` is not a counter name (lowercase [a-z][a-z0-9_]*, at most 64 bytes)"
        ));
    }
    if labels.len() > MAX_LABELS {
        return Err(format!(
            "count: {} labels on `{name}`, at most {MAX_LABELS}",
            labels.len()
        ));
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if !is_name(k) || *k == "plugin" || *k == "event" {
            return Err(format!(
                "count: label key `{k}` of `{name}` must be lowercase [a-z][a-z0-9_]* and not `plugin` or `event`"
            ));
        }
        if labels[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(format!("count: label `{k}` given twice on `{name}`"));
        }
        if v.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "count: label `{k}` of `{name}` is {} bytes, at most {MAX_VALUE_BYTES}",
                v.len()
            ));
        }
    }
    Ok(())
}

impl Count {
    /// A checked increment.
    pub fn new(name: &str, labels: &[(&str, &str)], value: u64) -> Result<Count, String> {
        check(name, labels)?;
        Ok(Count {
            name: name.to_string(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_checked() {
        assert!(Count::new("denied", &[("rule", "region"), ("tenant", "acme")], 3).is_ok());
        for (name, labels, needle) in [
            ("Denied", vec![], "not a counter name"),
            ("denied", vec![("plugin", "x")], "not `plugin` or `event`"),
            ("denied", vec![("a", "1"), ("a", "2")], "given twice"),
            ("denied", vec![("v", &*"x".repeat(129))], "at most 128"),
        ] {
            let err = Count::new(name, &labels, 1).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
