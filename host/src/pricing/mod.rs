//! `sluice pricing import`: LiteLLM's `model_prices_and_context_window.json` (the table most
//! LLM tooling reuses; the `litellm` package on PyPI ships a copy as
//! `model_prices_and_context_window_backup.json`) converted into the cost plugin's pricing
//! table format, with exact decimal prices.
//!
//! Only chat, completion and responses models with per-token prices are imported; every
//! other entry is skipped with its reason. The result is checked with the cost plugin's own
//! parser before it is written, so a table this writes is one the plugin loads.

mod decimal;
pub mod litellm;
mod render;

use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;

pub use decimal::per_mtok;

/// What an import produced.
#[derive(Debug, Clone)]
pub struct Import {
    /// The pricing table, TOML.
    pub table: String,
    /// The table's `pricing_version`: `litellm-` and the source's sha256 prefix.
    pub version: String,
    /// Models written.
    pub models: usize,
    /// Entries not written, with why (LiteLLM's key, reason).
    pub skipped: Vec<(String, String)>,
    /// Models written with a note about what sluice does not price as LiteLLM would.
    pub noted: usize,
}

impl Import {
    /// Skipped entries that are token-priced models sluice could not take (not embeddings,
    /// images and the like).
    pub fn rejected(&self) -> impl Iterator<Item = &(String, String)> {
        self.skipped
            .iter()
            .filter(|(_, why)| !why.starts_with("mode "))
    }
}

/// Converts the JSON text of LiteLLM's table; `source` names it in the table's header.
pub fn import_litellm(json: &str, source: &str) -> Result<Import, String> {
    let root: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not LiteLLM's JSON table: {e}"))?;
    let map = root
        .as_object()
        .ok_or("not LiteLLM's JSON table: not an object")?;
    let sha = hex::encode(Sha256::digest(json.as_bytes()));
    let version = format!("litellm-{}", &sha[..12]);
    let mut names: Vec<&String> = map.keys().filter(|k| *k != "sample_spec").collect();
    names.sort();

    let mut body = String::new();
    let (mut models, mut noted, mut skipped) = (0, 0, Vec::new());
    // The plugin refuses a name priced twice for one provider, case-insensitively.
    let mut seen = HashSet::new();
    for name in names {
        let converted = litellm::entry(name, &map[name.as_str()]).and_then(|e| {
            let provider = e
                .provider
                .as_deref()
                .map(sluice_plugin_cost::matching::canonical_provider);
            if !seen.insert((e.name.to_ascii_lowercase(), provider)) {
                return Err("another entry has the same name (ignoring case)".to_string());
            }
            render::entry(&mut body, &e)?;
            Ok(e)
        });
        match converted {
            Ok(e) => {
                models += 1;
                noted += usize::from(!e.notes.is_empty());
            }
            Err(why) => skipped.push((name.clone(), why)),
        }
    }
    let table = format!("{}{body}", header(source, &sha, &version, models, &skipped));
    sluice_plugin_cost::Cost::from_config(&table)
        .map_err(|e| format!("the converted table does not load in the cost plugin:\n{e}"))?;
    Ok(Import {
        table,
        version,
        models,
        skipped,
        noted,
    })
}

/// The table's opening comment and top-level keys.
fn header(
    source: &str,
    sha: &str,
    version: &str,
    models: usize,
    skipped: &[(String, String)],
) -> String {
    let rejected = skipped
        .iter()
        .filter(|(_, why)| !why.starts_with("mode "))
        .count();
    format!(
        "# sluice pricing table imported from LiteLLM's model prices by `sluice pricing import`.\n\
         # Source: {source} (sha256 {sha})\n\
         # {models} models; {rejected} token-priced entries skipped, {other} entries of other modes.\n\
         # Prices are USD per million tokens, LiteLLM's per-token prices shifted exactly (rounded\n\
         # below 1e-18 USD per token). Entries with a `# note:` differ from LiteLLM as noted.\n\
         # Format: see plugins/cost/pricing.toml.\n\n\
         pricing_version = {}\n",
        toml::Value::String(version.to_string()),
        other = skipped.len() - rejected,
    )
}

/// `sluice pricing import FILE [--output OUT]`: converts, writes the table to `output` (or
/// stdout), and returns a one-line summary for stderr.
pub fn import_file(file: &Path, output: Option<&Path>) -> Result<String, String> {
    let json = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let source = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let import = import_litellm(&json, &source)?;
    match output {
        Some(path) => std::fs::write(path, &import.table)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{}", import.table),
    }
    let rejected: Vec<String> = import
        .rejected()
        .map(|(n, why)| format!("  {n}: {why}"))
        .collect();
    let mut summary = format!(
        "imported {} models as pricing_version {:?} ({} with notes); skipped {} token-priced entries and {} of other modes",
        import.models,
        import.version,
        import.noted,
        rejected.len(),
        import.skipped.len() - rejected.len()
    );
    if !rejected.is_empty() {
        summary.push_str(":\n");
        summary.push_str(&rejected.join("\n"));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests;
