//! Always-pick rules: compiled from the config, evaluated per row on columns (and, for array
//! attributes and error evidence, on the rows' string leaves).

use crate::config::{RuleConfig, ScopeName};
use sluice_plugin_sdk::{Column, Key, TextOrigin, Texts, ValueKind};
use std::collections::HashMap;

/// Attribute evidence of an error the contract can show: the span status code is not
/// carried, so these stand in for it (see the crate docs).
pub const ERROR_TYPE: &str = "error.type";
/// Set by Zipkin / Jaeger translations and some SDK bridges: `ERROR` on failed spans.
pub const OTEL_STATUS_CODE: &str = "otel.status_code";
/// The span's own status code, as the host's intrinsic field (`unset`, `ok`, `error`).
pub const STATUS_CODE: &str = "@status.code";
/// Set on exception log records (and copied onto spans by some instrumentations).
pub const EXCEPTION_TYPE: &str = "exception.type";

/// A value `equals` compares to.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A string attribute equal to this.
    Str(String),
    /// An int or double attribute numerically equal to this.
    Number(f64),
    /// A bool attribute equal to this.
    Bool(bool),
}

/// What a rule looks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The attribute equals a value.
    Equals(Expected),
    /// The attribute is present (any type).
    Exists,
    /// An array attribute has an element equal to this, or a string attribute has it as a word.
    Contains(String),
    /// The attribute is a number (int, double or numeric string) above this.
    Above(f64),
    /// The attribute is a string (or int) equal to one of these.
    AnyOf(Vec<String>),
    /// Error evidence: `error.type` or `exception.type` present, `otel.status_code` = `ERROR`,
    /// and with `texts`, a status message (the spec allows one only on ERROR) or an
    /// `exception` span event.
    Error {
        /// Whether string leaves (status messages, events) are read.
        texts: bool,
    },
    /// End minus start above this many nanoseconds.
    LatencyAbove(i64),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// `rule:<name>`, as written on picked records.
    pub reason: String,
    /// The attribute the condition reads, when it reads one.
    pub key: Option<Key>,
    /// What it looks for.
    pub condition: Condition,
}

const CONDITIONS: &str =
    "`equals`, `exists`, `contains`, `above`, `any_of`, `error` or `latency_above_ms`";

impl Rule {
    /// Validates one rule, pushing each problem (with its field path) onto `errors`.
    pub fn compile(
        path: &str,
        raw: &RuleConfig,
        start_attribute: &Option<String>,
        end_attribute: &Option<String>,
        errors: &mut Vec<String>,
    ) -> Option<Rule> {
        let given: Vec<&str> = [
            ("equals", raw.equals.is_some()),
            ("exists", raw.exists.is_some()),
            ("contains", raw.contains.is_some()),
            ("above", raw.above.is_some()),
            ("any_of", raw.any_of.is_some()),
            ("error", raw.error.is_some()),
            ("latency_above_ms", raw.latency_above_ms.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        let [which] = given.as_slice() else {
            let found = if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            };
            errors.push(format!(
                "{path}: set exactly one of {CONDITIONS} (found: {found})"
            ));
            return None;
        };
        let reads_attribute = !matches!(*which, "error" | "latency_above_ms");
        let before = errors.len();
        if reads_attribute {
            match raw.attribute.as_deref() {
                None => errors.push(format!("{path}.attribute: required with `{which}`")),
                Some("") => errors.push(format!("{path}.attribute: must not be empty")),
                Some(_) => {}
            }
        } else {
            if raw.attribute.is_some() {
                errors.push(format!("{path}.attribute: not used with `{which}`"));
            }
            if raw.scope.is_some() {
                errors.push(format!("{path}.scope: not used with `{which}`"));
            }
        }
        if raw.texts.is_some() && *which != "error" {
            errors.push(format!("{path}.texts: only used with `error`"));
        }
        let condition = match *which {
            "equals" => match raw.equals.as_ref() {
                Some(toml::Value::String(s)) => Condition::Equals(Expected::Str(s.clone())),
                Some(toml::Value::Integer(i)) => Condition::Equals(Expected::Number(*i as f64)),
                Some(toml::Value::Float(f)) if f.is_finite() => {
                    Condition::Equals(Expected::Number(*f))
                }
                Some(toml::Value::Boolean(b)) => Condition::Equals(Expected::Bool(*b)),
                _ => {
                    errors.push(format!(
                        "{path}.equals: must be a string, a finite number or a boolean"
                    ));
                    return None;
                }
            },
            "exists" => {
                if raw.exists != Some(true) {
                    errors.push(format!(
                        "{path}.exists: must be true (a missing attribute picks nothing)"
                    ));
                }
                Condition::Exists
            }
            "contains" => {
                let v = raw.contains.clone().unwrap_or_default();
                if v.is_empty() {
                    errors.push(format!("{path}.contains: must not be empty"));
                }
                Condition::Contains(v)
            }
            "above" => {
                let v = raw.above.unwrap_or_default();
                if !v.is_finite() {
                    errors.push(format!("{path}.above: must be a finite number"));
                }
                Condition::Above(v)
            }
            "any_of" => {
                let v = raw.any_of.clone().unwrap_or_default();
                if v.is_empty() {
                    errors.push(format!("{path}.any_of: must list at least one value"));
                }
                Condition::AnyOf(v)
            }
            "error" => {
                if raw.error != Some(true) {
                    errors.push(format!("{path}.error: must be true"));
                }
                Condition::Error {
                    texts: raw.texts.unwrap_or(true),
                }
            }
            _ => {
                let ms = raw.latency_above_ms.unwrap_or_default();
                if start_attribute.is_none() || end_attribute.is_none() {
                    errors.push(format!(
                        "{path}.latency_above_ms: needs `time.start_attribute` and `time.end_attribute` (`@start_time_unix_nano` and `@time_unix_nano` are the span's own)"
                    ));
                }
                Condition::LatencyAbove(
                    i64::try_from(ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX),
                )
            }
        };
        if errors.len() > before {
            return None;
        }
        let key = raw.attribute.as_ref().filter(|_| reads_attribute).map(|a| {
            match raw.scope.unwrap_or(ScopeName::Record) {
                ScopeName::Record => Key::record(a.as_str()),
                ScopeName::Resource => Key::resource(a.as_str()),
            }
        });
        Some(Rule {
            name: raw.name.clone(),
            reason: format!("rule:{}", raw.name),
            key,
            condition,
        })
    }

    /// Whether this rule reads string leaves for `row`, given its column there.
    pub fn needs_texts(&self, column: Option<&Column>, row: u32) -> bool {
        match &self.condition {
            Condition::Error { texts } => *texts,
            // Arrays are not carried in columns: their elements are string leaves.
            Condition::Contains(_) => {
                self.key
                    .as_ref()
                    .is_some_and(|k| k.scope == sluice_plugin_sdk::Scope::Record)
                    && column.is_some_and(|c| c.kind(row) == ValueKind::Other)
            }
            _ => false,
        }
    }
}

/// The parts of a column's row value as text, for matching strata and `any_of`.
pub fn text_of(column: &Column, row: u32) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match column.kind(row) {
        ValueKind::Str => column.str(row).map(Cow::Borrowed),
        ValueKind::Int => column.int(row).map(|i| Cow::Owned(i.to_string())),
        ValueKind::Boolean => column.bool(row).map(|b| Cow::Owned(b.to_string())),
        ValueKind::Double => column.double(row).map(|d| Cow::Owned(d.to_string())),
        _ => None,
    }
}

/// Whether `word` is one of the words of `text`, split at anything but letters, digits and
/// `_ . : -` (so `["stop","content_filter"]` and `stop, content_filter` both contain it).
pub fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
        .any(|w| w == word)
}

/// What the rows' string leaves showed: per rule, per row, whether its text evidence matched.
#[derive(Debug, Default)]
pub struct TextFacts {
    /// Rows with a status message or an `exception` event.
    pub error: Vec<bool>,
    /// Per rule index (only `contains` rules), rows whose array attribute has the element.
    pub contains: HashMap<usize, Vec<bool>>,
}

impl TextFacts {
    /// Scans leaves once for every rule's text evidence.
    pub fn scan(texts: &Texts, rules: &[Rule], rows: u32) -> TextFacts {
        let n = rows as usize;
        let mut facts = TextFacts {
            error: vec![false; n],
            contains: HashMap::new(),
        };
        let wanted: Vec<(usize, &str, &str)> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match (&r.condition, &r.key) {
                (Condition::Contains(v), Some(k)) => Some((i, k.name.as_str(), v.as_str())),
                _ => None,
            })
            .collect();
        for (i, ..) in &wanted {
            facts.contains.insert(*i, vec![false; n]);
        }
        for leaf in 0..texts.ids.len() {
            let row = texts.rows[leaf] as usize;
            if row >= n {
                continue;
            }
            let key = texts.keys.get(leaf).unwrap_or("");
            let text = texts.strings.get(leaf).unwrap_or("");
            match texts.origins[leaf] {
                TextOrigin::StatusMessage => facts.error[row] |= !text.is_empty(),
                // An event's name is the leaf with an empty key path.
                TextOrigin::Event if key.is_empty() && text == "exception" => {
                    facts.error[row] = true
                }
                TextOrigin::Attribute => {
                    for (i, name, value) in &wanted {
                        if key == *name
                            && text == *value
                            && let Some(hits) = facts.contains.get_mut(i)
                        {
                            hits[row] = true;
                        }
                    }
                }
                _ => {}
            }
        }
        facts
    }
}

/// Everything a rule may look at for the rows of a batch.
pub struct Evidence<'a> {
    /// Columns by key (keys no row has are missing).
    pub columns: &'a HashMap<Key, Column>,
    /// String-leaf evidence (empty when no texts were read).
    pub texts: &'a TextFacts,
    /// Per row, the start time (Unix ns) when known.
    pub start: &'a [Option<i64>],
    /// Per row, the end time (Unix ns) when known.
    pub end: &'a [Option<i64>],
}

impl Evidence<'_> {
    fn column(&self, key: &Key) -> Option<&Column> {
        self.columns.get(key)
    }

    fn error_attributes(&self, row: u32) -> bool {
        let present = |name: &str| {
            self.column(&Key::record(name))
                .is_some_and(|c| c.kind(row) != ValueKind::Absent)
        };
        let is_error = |name: &str| {
            self.column(&Key::record(name))
                .and_then(|c| c.str(row))
                .is_some_and(|s| s.eq_ignore_ascii_case("error"))
        };
        let status = is_error(STATUS_CODE) || is_error(OTEL_STATUS_CODE);
        status || present(ERROR_TYPE) || present(EXCEPTION_TYPE)
    }
}

impl Rule {
    /// Whether rule number `index` (this one) matches `row`.
    pub fn matches(&self, index: usize, row: u32, ev: &Evidence<'_>) -> bool {
        let column = self.key.as_ref().and_then(|k| ev.column(k));
        let r = row as usize;
        match &self.condition {
            Condition::Error { texts } => {
                ev.error_attributes(row)
                    || (*texts && ev.texts.error.get(r).copied().unwrap_or(false))
            }
            Condition::LatencyAbove(limit) => match (ev.start[r], ev.end[r]) {
                (Some(s), Some(e)) => e.saturating_sub(s) > *limit,
                _ => false,
            },
            Condition::Contains(word) => {
                let in_array = ev
                    .texts
                    .contains
                    .get(&index)
                    .and_then(|hits| hits.get(r))
                    .copied()
                    .unwrap_or(false);
                in_array
                    || column
                        .and_then(|c| c.str(row))
                        .is_some_and(|s| has_word(s, word))
            }
            cond => {
                let Some(c) = column else { return false };
                match cond {
                    Condition::Exists => c.kind(row) != ValueKind::Absent,
                    Condition::Above(limit) => c.number(row).is_some_and(|v| v > *limit),
                    Condition::AnyOf(values) => {
                        text_of(c, row).is_some_and(|v| values.iter().any(|x| *x == v))
                    }
                    Condition::Equals(Expected::Str(s)) => c.str(row) == Some(s.as_str()),
                    Condition::Equals(Expected::Bool(b)) => c.bool(row) == Some(*b),
                    Condition::Equals(Expected::Number(x)) => match c.kind(row) {
                        ValueKind::Int | ValueKind::Double => c.number(row) == Some(*x),
                        _ => false,
                    },
                    _ => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use sluice_plugin_sdk::{ColumnBuilder, PackedStrings};

    fn rules(toml: &str) -> Result<Vec<Rule>, String> {
        let s = parse(&format!("destination = \"e\"\nrate = 0.0\n{toml}"))?.compile()?;
        Ok(s.rules)
    }

    #[test]
    fn a_rule_needs_exactly_one_condition_and_the_right_fields() {
        let err = rules("[[rules]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(
            err,
            format!("rules[0]: set exactly one of {CONDITIONS} (found: none)")
        );
        let err = rules("[[rules]]\nname = \"a\"\nattribute = \"x\"\nexists = true\nabove = 1\n")
            .unwrap_err();
        assert_eq!(
            err,
            format!("rules[0]: set exactly one of {CONDITIONS} (found: exists, above)")
        );
        let err = rules("[[rules]]\nname = \"a\"\nequals = 1\n").unwrap_err();
        assert_eq!(err, "rules[0].attribute: required with `equals`");
        let err = rules("[[rules]]\nname = \"a\"\nerror = true\nattribute = \"x\"\n").unwrap_err();
        assert_eq!(err, "rules[0].attribute: not used with `error`");
        let err = rules("[[rules]]\nname = \"a\"\nattribute = \"x\"\nequals = [1]\n").unwrap_err();
        assert_eq!(
            err,
            "rules[0].equals: must be a string, a finite number or a boolean"
        );
        let err = rules("[[rules]]\nname = \"a\"\nlatency_above_ms = 100\n").unwrap_err();
        assert!(err.starts_with("rules[0].latency_above_ms: needs `time.start_attribute`"));
        let err = rules(
            "[[rules]]\nname = \"a b\"\nerror = true\n[[rules]]\nname = \"c\"\nerror = true\n[[rules]]\nname = \"c\"\nerror = true\ntexts = false\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "rules[0].name: `a b` must be letters, digits, `_`, `-` or `.`; rules[2].name: `c` is used twice"
        );
        let err =
            rules("[[rules]]\nname = \"a\"\nattribute = \"x\"\nexists = false\n").unwrap_err();
        assert!(err.starts_with("rules[0].exists: must be true"), "{err}");
    }

    fn column(f: impl FnOnce(&mut ColumnBuilder)) -> Column {
        let mut b = ColumnBuilder::new(4);
        f(&mut b);
        b.finish()
    }

    #[test]
    fn conditions_match_typed_values() {
        let rs = rules(concat!(
            "[[rules]]\nname = \"down\"\nattribute = \"feedback\"\nequals = \"thumbs_down\"\n",
            "[[rules]]\nname = \"flag\"\nattribute = \"safety\"\nequals = true\n",
            "[[rules]]\nname = \"cost\"\nattribute = \"cost\"\nabove = 0.5\n",
            "[[rules]]\nname = \"tool\"\nattribute = \"gen_ai.tool.name\"\nany_of = [\"shell\", \"sql\"]\n",
            "[[rules]]\nname = \"refusal\"\nattribute = \"gen_ai.response.finish_reasons\"\ncontains = \"content_filter\"\n",
            "[[rules]]\nname = \"seen\"\nattribute = \"x\"\nscope = \"resource\"\nexists = true\n",
            "[[rules]]\nname = \"three\"\nattribute = \"n\"\nequals = 3\n",
        ))
        .unwrap();
        let mut columns = HashMap::new();
        columns.insert(
            Key::record("feedback"),
            column(|b| {
                b.set_str(0, "thumbs_down");
                b.set_str(1, "thumbs_up");
            }),
        );
        columns.insert(
            Key::record("safety"),
            column(|b| {
                b.set_bool(0, true);
                b.set_str(1, "true");
            }),
        );
        columns.insert(
            Key::record("cost"),
            column(|b| {
                b.set_double(0, 0.51);
                b.set_int(1, 1);
                b.set_str(2, "0.75");
                b.set_double(3, 0.5);
            }),
        );
        columns.insert(
            Key::record("gen_ai.tool.name"),
            column(|b| {
                b.set_str(2, "sql");
                b.set_str(3, "sql_read");
            }),
        );
        columns.insert(
            Key::record("gen_ai.response.finish_reasons"),
            column(|b| b.set_str(1, "[\"stop\", \"content_filter\"]")),
        );
        columns.insert(Key::resource("x"), column(|b| b.set_int(3, 0)));
        columns.insert(
            Key::record("n"),
            column(|b| {
                b.set_int(0, 3);
                b.set_double(1, 3.0);
                b.set_str(2, "3");
            }),
        );
        let facts = TextFacts::default();
        let none = [None; 4];
        let ev = Evidence {
            columns: &columns,
            texts: &facts,
            start: &none,
            end: &none,
        };
        let hits = |name: &str| -> Vec<u32> {
            let (i, r) = rs.iter().enumerate().find(|(_, r)| r.name == name).unwrap();
            (0..4).filter(|row| r.matches(i, *row, &ev)).collect()
        };
        assert_eq!(hits("down"), vec![0]);
        assert_eq!(hits("flag"), vec![0], "a string `true` is not the boolean");
        assert_eq!(hits("cost"), vec![0, 1, 2], "strictly above");
        assert_eq!(hits("tool"), vec![2]);
        assert_eq!(hits("refusal"), vec![1]);
        assert_eq!(hits("seen"), vec![3]);
        assert_eq!(hits("three"), vec![0, 1]);
        assert_eq!(rs[0].reason, "rule:down");
    }

    #[test]
    fn error_and_array_evidence_comes_from_attributes_and_string_leaves() {
        let rs = rules(concat!(
            "[[rules]]\nname = \"error\"\nerror = true\n",
            "[[rules]]\nname = \"refusal\"\nattribute = \"gen_ai.response.finish_reasons\"\ncontains = \"content_filter\"\n",
            "[[rules]]\nname = \"error_attrs\"\nerror = true\ntexts = false\n",
            "[[rules]]\nname = \"slow\"\nlatency_above_ms = 1000\n[time]\nstart_attribute = \"s\"\nend_attribute = \"e\"\n",
        ))
        .unwrap();
        let mut columns = HashMap::new();
        columns.insert(Key::record(ERROR_TYPE), column(|b| b.set_str(0, "timeout")));
        columns.insert(
            Key::record(OTEL_STATUS_CODE),
            column(|b| b.set_str(1, "Error")),
        );
        let texts = Texts {
            ids: vec![0, 1, 2, 3],
            rows: vec![2, 3, 3, 1],
            origins: vec![
                TextOrigin::StatusMessage,
                TextOrigin::Event,
                TextOrigin::Attribute,
                TextOrigin::Event,
            ],
            keys: ["", "", "gen_ai.response.finish_reasons", "exception.type"]
                .into_iter()
                .collect::<PackedStrings>(),
            strings: ["boom", "exception", "content_filter", "exception"]
                .into_iter()
                .collect(),
        };
        let facts = TextFacts::scan(&texts, &rs, 4);
        assert_eq!(facts.error, vec![false, false, true, true]);
        let start = [Some(0), Some(0), None, Some(5)];
        let end = [
            Some(1_000_000_000),
            Some(1_000_000_001),
            Some(9_000_000_000),
            None,
        ];
        let ev = Evidence {
            columns: &columns,
            texts: &facts,
            start: &start,
            end: &end,
        };
        let hits =
            |i: usize| -> Vec<u32> { (0..4).filter(|row| rs[i].matches(i, *row, &ev)).collect() };
        assert_eq!(hits(0), vec![0, 1, 2, 3]);
        assert_eq!(hits(1), vec![3]);
        assert_eq!(hits(2), vec![0, 1]);
        assert_eq!(hits(3), vec![1]);
    }

    #[test]
    fn words_split_lists_and_json() {
        assert!(has_word("content_filter", "content_filter"));
        assert!(has_word("[\"stop\",\"content_filter\"]", "content_filter"));
        assert!(has_word("stop, content_filter", "content_filter"));
        assert!(!has_word("content_filtered", "content_filter"));
    }
}
