//! Writing imported entries as a sluice pricing table (the format documented in
//! `plugins/cost/pricing.toml`).

use std::fmt::Write;

use super::decimal::per_mtok;
use super::litellm::{Entry, Prices, Schedule};

/// A TOML basic string, escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The price lines of one level; a price LiteLLM does not give is left out.
fn prices(out: &mut String, p: &Prices) -> Result<(), String> {
    let fields = [
        ("input_per_mtok", p.input),
        ("output_per_mtok", p.output),
        ("cache_read_per_mtok", p.cache_read),
        ("cache_write_per_mtok", p.cache_write),
    ];
    for (field, value) in fields {
        if let Some(v) = value {
            let text = per_mtok(v).map_err(|e| format!("{field}: {e}"))?;
            let _ = writeln!(out, "{field} = \"{text}\"");
        }
    }
    Ok(())
}

/// A schedule's long-context tiers under `header` (`models.tiers` or a service tier's).
fn tiers(out: &mut String, header: &str, s: &Schedule) -> Result<(), String> {
    for (above, p) in &s.tiers {
        let _ = writeln!(out, "[[{header}]]\nabove_input_tokens = {above}");
        prices(out, p)?;
    }
    Ok(())
}

/// One `[[models]]` entry, its notes as comments above it.
pub fn entry(out: &mut String, e: &Entry) -> Result<(), String> {
    let mut text = String::new();
    text.push('\n');
    for note in &e.notes {
        let _ = writeln!(text, "# note: {note}");
    }
    let _ = writeln!(text, "[[models]]\nname = {}", quoted(&e.name));
    if let Some(p) = &e.provider {
        let _ = writeln!(text, "provider = {}", quoted(p));
    }
    prices(&mut text, &e.standard.base)?;
    tiers(&mut text, "models.tiers", &e.standard)?;
    for (name, s) in &e.service_tiers {
        let _ = writeln!(text, "[models.service_tiers.{name}]");
        prices(&mut text, &s.base)?;
        tiers(&mut text, &format!("models.service_tiers.{name}.tiers"), s)?;
    }
    // Only a complete entry is written: an unconvertible price skips the whole model.
    out.push_str(&text);
    Ok(())
}
