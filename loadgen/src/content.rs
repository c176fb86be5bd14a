//! The raw material of generated telemetry: prose of a given size, fake secrets in real
//! formats, and a skewed (Zipf) choice of tenants.

use rand::Rng;
use rand::rngs::StdRng;
use std::sync::LazyLock;

/// Words prompts and answers are made of: the vocabulary of a support / coding assistant.
const VOCAB: &str = "\
    the a to of and in is for that with on your this it can be you we are as from by not or \
    if when order invoice refund account customer billing subscription plan upgrade cancel \
    shipment tracking delivery address payment card error request response timeout retry \
    server client database query index table column latency deploy cluster container \
    function variable return value string integer list map async await thread lock memory \
    cache token model prompt context document section policy warranty product feature \
    release version configure install update check verify confirm explain summarize \
    translate compare analyze suggest because however therefore please thanks today \
    yesterday week month quickly carefully available expected missing duplicate pending \
    approved rejected";

static WORDS: LazyLock<Vec<&str>> = LazyLock::new(|| VOCAB.split_whitespace().collect());

/// Appends sentences of prose to `out` until it holds at least `len` more bytes.
pub fn prose(rng: &mut StdRng, len: usize, out: &mut String) {
    let end = out.len() + len;
    while out.len() < end {
        let words = rng.random_range(6..18);
        for i in 0..words {
            let w = WORDS[rng.random_range(0..WORDS.len())];
            if i == 0 {
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push_str(if rng.random_bool(0.1) { "? " } else { ". " });
    }
}

/// A prose string of about `len` bytes.
pub fn prose_of(rng: &mut StdRng, len: usize) -> String {
    let mut s = String::with_capacity(len + 128);
    prose(rng, len, &mut s);
    s
}

/// LLMs called: (provider, requested model, model the response names, server).
pub const MODELS: &[(&str, &str, &str, &str)] = &[
    ("openai", "gpt-4o", "gpt-4o-2024-08-06", "api.openai.com"),
    (
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "api.openai.com",
    ),
    ("openai", "gpt-4.1", "gpt-4.1-2025-04-14", "api.openai.com"),
    (
        "anthropic",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "api.anthropic.com",
    ),
    (
        "anthropic",
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        "api.anthropic.com",
    ),
    (
        "gcp.gemini",
        "gemini-2.5-flash",
        "gemini-2.5-flash",
        "generativelanguage.googleapis.com",
    ),
    (
        "mistral_ai",
        "mistral-small-2503",
        "mistral-small-2503",
        "api.mistral.ai",
    ),
];

/// Tools an agent calls.
pub const TOOLS: &[&str] = &[
    "lookup_order",
    "search_docs",
    "get_weather",
    "run_sql",
    "create_ticket",
];

/// A size drawn log-uniformly from `min..=max` bytes (many small, some large).
pub fn log_uniform(rng: &mut StdRng, min: usize, max: usize) -> usize {
    let (lo, hi) = ((min.max(1)) as f64, (max.max(min).max(1)) as f64);
    (lo * (hi / lo).powf(rng.random::<f64>())).round() as usize
}

fn chars(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A FAKE secret in a real format (an OpenAI project key, an AWS access key id, a GitHub
/// token, an Anthropic key, or a password assignment), inside a sentence that leaks it.
/// Every one contains the marker `FAKE`, so no real credential can ever be generated.
pub fn fake_secret(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0 => format!(
            "My key is sk-proj-FAKE{} and it stopped working.",
            chars(rng, ALNUM, 44)
        ),
        1 => format!(
            "Use AKIAFAKE{} with the default region.",
            chars(rng, BASE32, 12)
        ),
        2 => format!("export GITHUB_TOKEN=ghp_FAKE{}", chars(rng, ALNUM, 32)),
        3 => format!(
            "The header was x-api-key: sk-ant-api03-FAKE{}",
            chars(rng, ALNUM, 40)
        ),
        _ => format!("db password={}FAKE!", chars(rng, ALNUM, 12)),
    }
}

/// Tenants `tenant-0000`.. with Zipf-distributed popularity: tenant `k` (0-based) is chosen
/// with probability proportional to `1 / (k + 1)^s`.
#[derive(Debug, Clone)]
pub struct Tenants {
    names: Vec<String>,
    cdf: Vec<f64>,
}

impl Tenants {
    /// `n` tenants (at least one) with exponent `s` (0 is uniform; ~1 is typical).
    pub fn new(n: usize, s: f64) -> Tenants {
        let n = n.max(1);
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 0..n {
            sum += 1.0 / ((k + 1) as f64).powf(s);
            cdf.push(sum);
        }
        cdf.iter_mut().for_each(|c| *c /= sum);
        let names = (0..n).map(|k| format!("tenant-{k:04}")).collect();
        Tenants { names, cdf }
    }

    /// Draws a tenant.
    pub fn pick(&self, rng: &mut StdRng) -> &str {
        let u = rng.random::<f64>();
        let i = self
            .cdf
            .partition_point(|&c| c < u)
            .min(self.names.len() - 1);
        &self.names[i]
    }

    /// The `k`-th most popular tenant.
    pub fn name(&self, k: usize) -> &str {
        &self.names[k.min(self.names.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zipf_is_skewed_and_secrets_are_fake() {
        let mut rng = StdRng::seed_from_u64(7);
        let t = Tenants::new(1000, 1.1);
        let top = (0..10_000)
            .filter(|_| t.pick(&mut rng) == t.name(0))
            .count();
        assert!(
            top > 1000,
            "the top tenant should get well over 1/1000: {top}"
        );
        for _ in 0..50 {
            assert!(fake_secret(&mut rng).contains("FAKE"));
        }
        let s = log_uniform(&mut rng, 512, 8192);
        assert!((512..=8192).contains(&s));
        assert!(prose_of(&mut rng, 600).len() >= 600);
    }
}
