//! Model matching: from what a span says (`bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0`)
//! to a pricing-table entry (`claude-3-5-sonnet`).
//!
//! Names are compared case-insensitively. The full name is tried first, then ever more
//! general forms: routing prefixes (`azure/`, `vertex_ai/`, `models/`) are dropped one
//! segment at a time, then Bedrock's region and vendor prefixes (`us.`, `anthropic.`); at
//! each of those levels the deployment version (`-v2:0`, `@20241022`), then a dated snapshot
//! suffix (`-2024-08-06`, `-20241022`, `-0613`, `-08-2024`, `-001`) or `-latest` is dropped.
//! The first form that names an entry wins, so an entry for a specific snapshot or a
//! regional endpoint beats the general one. Nothing else is guessed: a name that none of
//! these forms finds is unpriced.

use std::collections::HashMap;

use crate::config::Model;

/// Bedrock's geographic inference-profile prefixes.
const REGIONS: &[&str] = &[
    "us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global",
];
/// Model vendors as they prefix Bedrock model ids.
const VENDORS: &[&str] = &[
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
    "qwen",
    "writer",
];

/// The canonical form of a provider name, so that the span's `gen_ai.provider.name`
/// (`gcp.vertex_ai`), a legacy `gen_ai.system` (`vertex_ai`) and the table (`google`) agree.
pub fn canonical_provider(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "gcp.gemini" | "gemini" | "gcp.vertex_ai" | "vertex_ai" | "vertex" | "gcp.gen_ai"
        | "google_genai" => "google",
        "aws.bedrock" | "bedrock" | "bedrock_converse" | "aws" => "bedrock",
        "azure.ai.openai" | "azure.ai.inference" | "az.ai.openai" | "az.ai.inference"
        | "azure_ai" => "azure",
        "mistral_ai" | "mistralai" => "mistral",
        "x_ai" | "x.ai" => "xai",
        "together_ai" | "togetherai" => "together",
        "cohere_chat" => "cohere",
        _ => return lower,
    };
    canonical.to_string()
}

/// An index of the table's names (and aliases), lower-cased.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    names: HashMap<String, Vec<u32>>,
    providers: Vec<Option<String>>,
    ambiguous: bool,
}

impl Matcher {
    /// Indexes a table; a name given twice for the same provider is an error.
    pub fn build(models: &[Model]) -> Result<Matcher, Vec<String>> {
        let mut m = Matcher {
            providers: models.iter().map(|e| e.provider.clone()).collect(),
            ..Matcher::default()
        };
        let mut errors = Vec::new();
        for (i, entry) in models.iter().enumerate() {
            let names = std::iter::once(("name".to_string(), &entry.name)).chain(
                entry
                    .aliases
                    .iter()
                    .enumerate()
                    .map(|(j, a)| (format!("aliases[{j}]"), a)),
            );
            for (field, name) in names {
                let ids = m.names.entry(name.to_ascii_lowercase()).or_default();
                if let Some(&other) = ids
                    .iter()
                    .find(|&&o| models[o as usize].provider == entry.provider)
                {
                    errors.push(format!(
                        "models[{i}].{field}: {name:?} is already priced by models[{other}]"
                    ));
                    continue;
                }
                ids.push(i as u32);
                m.ambiguous |= ids.len() > 1;
            }
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }

    /// Whether some name is priced for several providers, so a span's provider matters.
    pub fn needs_provider(&self) -> bool {
        self.ambiguous
    }

    /// The table entry for a span's model name and provider, if any.
    pub fn find(&self, model: &str, provider: Option<&str>) -> Option<u32> {
        let lower = model.trim().to_ascii_lowercase();
        let mut hint = provider
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(canonical_provider);
        let mut rest = lower.as_str();
        loop {
            if let Some(id) = self.find_segment(rest, hint.as_deref()) {
                return Some(id);
            }
            let (head, tail) = rest.split_once('/')?;
            // A routing prefix such as `groq/` says who serves the model when the span does not.
            hint = hint.or_else(|| Some(canonical_provider(head)));
            rest = tail;
        }
    }

    fn find_segment(&self, segment: &str, hint: Option<&str>) -> Option<u32> {
        let without_region = REGIONS
            .iter()
            .find_map(|r| segment.strip_prefix(r)?.strip_prefix('.'));
        let regional = without_region.unwrap_or(segment);
        let without_vendor = VENDORS
            .iter()
            .find_map(|v| regional.strip_prefix(v)?.strip_prefix('.'));
        let levels = [Some(segment), without_region, without_vendor];
        for (level, name) in levels.into_iter().enumerate() {
            let Some(name) = name else { continue };
            // Bedrock ids may end in a bare `-v1` only once their vendor prefix is known.
            if let Some(id) = self.find_snapshot(name, hint, level == 2) {
                return Some(id);
            }
        }
        None
    }

    fn find_snapshot(&self, name: &str, hint: Option<&str>, bedrock_id: bool) -> Option<u32> {
        let mut forms = [Some(name), None, None];
        forms[1] = strip_deployment_version(name, bedrock_id).filter(|f| *f != name);
        let base = forms[1].unwrap_or(name);
        forms[2] = strip_snapshot(base).or_else(|| base.strip_suffix("-latest"));
        forms
            .into_iter()
            .flatten()
            .find_map(|f| self.lookup(f, hint))
    }

    fn lookup(&self, name: &str, hint: Option<&str>) -> Option<u32> {
        let ids = self.names.get(name)?;
        if ids.len() == 1 {
            return Some(ids[0]);
        }
        // Several providers price this name: the span's provider's entry, else the one
        // without a provider, else the first listed.
        let provider_of = |id: &&u32| self.providers[**id as usize].as_deref();
        hint.and_then(|h| ids.iter().find(|id| provider_of(id) == Some(h)))
            .or_else(|| ids.iter().find(|id| provider_of(id).is_none()))
            .or(ids.first())
            .copied()
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Drops a trailing `-v<digits>`.
fn strip_v(name: &str) -> Option<&str> {
    let (head, tail) = name.rsplit_once("-v")?;
    all_digits(tail).then_some(head)
}

/// Drops a deployment version: Vertex's `@20241022` (and a `-v2` before it), Bedrock's `:0`
/// (and a `-v1` before it), or a bare Bedrock `-v1`.
fn strip_deployment_version(name: &str, bedrock_id: bool) -> Option<&str> {
    if let Some((head, _)) = name.split_once('@') {
        return Some(strip_v(head).unwrap_or(head));
    }
    if let Some((head, tail)) = name.rsplit_once(':') {
        return all_digits(tail).then(|| strip_v(head).unwrap_or(head));
    }
    if bedrock_id { strip_v(name) } else { None }
}

/// Drops one dated-snapshot suffix: `-2024-08-06`, `-20241022`, `-08-2024`, `-0613`, `-001`.
fn strip_snapshot(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let tail_is = |pattern: &[u8]| {
        b.len() > pattern.len()
            && b[b.len() - pattern.len()..]
                .iter()
                .zip(pattern)
                .all(|(c, p)| match p {
                    b'9' => c.is_ascii_digit(),
                    _ => c == p,
                })
    };
    // Longest pattern first, so `-2024-08-06` is not read as `-06`.
    ["-9999-99-99", "-99999999", "-99-9999", "-9999", "-999"]
        .into_iter()
        .find(|p| tail_is(p.as_bytes()))
        .map(|p| &name[..name.len() - p.len()])
}

#[cfg(test)]
mod tests;
