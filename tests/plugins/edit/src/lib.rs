//! Test plugin: every edit kind of the contract, driven by rules in its config, so golden
//! tests can cover set, remove, replace-texts, drop and add/deny destination through a real
//! component.
//!
//! ```toml
//! [[rules]]
//! when = { key = "llm.tenant", equals = "acme" }   # optional: rows whose record attribute matches
//! set = { key = "env", value = "prod", scope = "resource" }  # scope: record (default), resource, scope
//! remove = "debug.payload"
//! replace = { find = "hunter2", with = "[REDACTED]" }  # in every string leaf of the rows
//! drop = true
//! add_destination = "evals"
//! deny_destination = "vendor"
//! count = "matched"                                # a plugin counter, + matching rows
//! labels = { rule = "acme" }
//! ```

use serde::Deserialize;
use sluice_plugin_sdk::{Batch, Info, Key, PackedStrings, Plugin, Scope, Signal, export_plugin};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    when: Option<When>,
    set: Option<Set>,
    remove: Option<String>,
    replace: Option<Replace>,
    #[serde(default)]
    drop: bool,
    add_destination: Option<String>,
    deny_destination: Option<String>,
    /// A plugin counter incremented by the number of matching rows, labelled with `labels`.
    count: Option<String>,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct When {
    key: String,
    equals: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Set {
    key: String,
    value: toml::Value,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    find: String,
    with: String,
}

/// The plugin.
pub struct Edit {
    config: Config,
}

fn scope_of(name: Option<&str>) -> Result<Scope, String> {
    match name.unwrap_or("record") {
        "record" => Ok(Scope::Record),
        "resource" => Ok(Scope::Resource),
        "scope" => Ok(Scope::InstrumentationScope),
        other => Err(format!(
            "rules[].set.scope: unknown scope `{other}`, expected record, resource or scope"
        )),
    }
}

impl Plugin for Edit {
    fn init(config: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(config).map_err(|e| format!("edit: {e}"))?;
        for rule in &config.rules {
            if let Some(set) = &rule.set {
                scope_of(set.scope.as_deref())?;
            }
        }
        Ok(Edit { config })
    }

    fn info(&self) -> Info {
        Info::new(
            "edit",
            "0.1.0",
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        for rule in &self.config.rules {
            let rows: Vec<u32> = match &rule.when {
                None => (0..batch.len()).collect(),
                Some(w) => {
                    let col = batch.column(&Key::record(w.key.as_str()));
                    (0..batch.len())
                        .filter(|r| col.str(*r) == Some(w.equals.as_str()))
                        .collect()
                }
            };
            if rows.is_empty() {
                continue;
            }
            if let Some(set) = &rule.set {
                let mut out = batch.column_builder();
                for &r in &rows {
                    match &set.value {
                        toml::Value::String(s) => out.set_str(r, s.as_str()),
                        toml::Value::Integer(i) => out.set_int(r, *i),
                        toml::Value::Float(f) => out.set_double(r, *f),
                        toml::Value::Boolean(b) => out.set_bool(r, *b),
                        other => {
                            return Err(format!(
                                "set.value: unsupported type {}",
                                other.type_str()
                            ));
                        }
                    }
                }
                let key = Key {
                    scope: scope_of(set.scope.as_deref())?,
                    name: set.key.clone(),
                };
                batch.set_column(&key, out.finish())?;
            }
            if let Some(key) = &rule.remove {
                batch.remove(&Key::record(key.as_str()), &rows)?;
            }
            if let Some(name) = &rule.count {
                let labels: Vec<(&str, &str)> = rule
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                batch.count(name, &labels, rows.len() as u64)?;
            }
            if let Some(rep) = &rule.replace {
                let texts = batch.texts(&rows)?;
                let mut ids = Vec::new();
                let mut strings = PackedStrings::default();
                for (i, s) in texts.strings.iter().enumerate() {
                    if s.contains(rep.find.as_str()) {
                        ids.push(texts.ids[i]);
                        strings.push(&s.replace(rep.find.as_str(), &rep.with));
                    }
                }
                batch.replace_texts(&ids, strings)?;
            }
            if rule.drop {
                batch.drop_rows(&rows)?;
            }
            if let Some(d) = &rule.add_destination {
                batch.add_destination(&rows, d)?;
            }
            if let Some(d) = &rule.deny_destination {
                batch.deny_destination(&rows, d)?;
            }
        }
        Ok(())
    }
}

export_plugin!(Edit);
