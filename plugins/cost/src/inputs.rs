//! What the plugin reads: attribute names, best first, and a reader for an attribute that
//! instrumentations spell several ways. Names after the first of each list are read only
//! with `legacy_attributes`.

use sluice_plugin_sdk::{Batch, Column, Key, ValueKind};

/// The model that served the call (the response's is what was billed).
pub const MODEL: &[&str] = &[
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.request.model",
    "llm.model_name",
];
/// Who served the call.
pub const PROVIDER: &[&str] = &[
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
];
/// Input tokens, cached ones included.
pub const INPUT: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
];
/// Output tokens, reasoning included.
pub const OUTPUT: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
];
/// Input tokens read from the prompt cache.
pub const CACHE_READ: &[&str] = &[
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
];
/// Input tokens written to the prompt cache.
pub const CACHE_WRITE: &[&str] = &[
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
];
/// Reasoning tokens (part of output).
pub const REASONING: &[&str] = &[
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
];
/// The service tier the call ran on (the response's is what was billed).
pub const SERVICE_TIER: &[&str] = &[
    "openai.response.service_tier",
    "gen_ai.openai.response.service_tier",
    "openai.request.service_tier",
    "gen_ai.openai.request.service_tier",
];
/// A cost already on the span.
pub const COST_AMOUNT: &str = "gen_ai.usage.cost.amount";
/// Who set that cost.
pub const COST_SOURCE: &str = "gen_ai.usage.cost.source";

/// One attribute that instrumentations spell several ways, read as the first name a row has.
///
/// Later names are read only while some row of interest still lacks a value, and columns
/// that no row has are not kept, so the common case costs one column read.
pub struct FirstOf {
    cols: Vec<Column>,
}

impl FirstOf {
    /// Reads `names` (best first; only the first unless `legacy`) for the given rows.
    pub fn read(batch: &Batch<'_>, names: &[&str], legacy: bool, rows: &[u32]) -> FirstOf {
        let mut cols: Vec<Column> = Vec::new();
        let names = if legacy {
            names
        } else {
            &names[..names.len().min(1)]
        };
        for name in names {
            let col = batch.column(&Key::record(*name));
            if col
                .kinds
                .iter()
                .any(|k| matches!(k, ValueKind::Str | ValueKind::Int | ValueKind::Double))
            {
                cols.push(col);
            }
            let has = |r: u32| cols.iter().any(|c| c.kind(r) != ValueKind::Absent);
            if rows.iter().all(|&r| has(r)) {
                break;
            }
        }
        FirstOf { cols }
    }

    /// Row `row`'s value as a string, from the first name that has one.
    pub fn str(&self, row: u32) -> Option<&str> {
        self.cols.iter().find_map(|c| c.str(row))
    }

    /// Row `row`'s value as a token count (int, integral double or numeric string).
    pub fn count(&self, row: u32) -> Option<u64> {
        self.cols.iter().find_map(|c| c.count(row))
    }
}
