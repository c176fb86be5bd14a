//! sluice against LiteLLM on LiteLLM's own table: `sluice pricing import` converts the
//! `model_prices_and_context_window_backup.json` that the `litellm` package ships, the real
//! `sluice process` prices spans with the built-in cost plugin configured with that table,
//! and `litellm.cost_per_token` prices the same tokens (in a throwaway venv, `venv.rs`).
//! Every model priced by both must agree within 1e-9 relative.
//!
//! Token semantics agree: LiteLLM's `prompt_tokens` includes `cache_read_input_tokens` and
//! `cache_creation_input_tokens` (checked by the cases with cached tokens), as
//! `gen_ai.usage.input_tokens` includes them in the OpenTelemetry conventions.
//!
//! Left out of the comparison, and listed: models whose entry has off-peak prices
//! (LiteLLM's price depends on the hour; sluice imports the standard one), and providers
//! whose LiteLLM cost path starts an OAuth login (`github_copilot`, `chatgpt`). And one case
//! where LiteLLM's code does not apply its own table: its `perplexity` calculator ignores the
//! long-context and cache-write prices the entries list (sluice applies them), so perplexity
//! models are compared only on the cases without those.
//!
//! Service tiers (`flex`, `priority`) are compared where an entry prices them. Where LiteLLM
//! charges a tier case exactly its standard price although its table lists the tier (its
//! `fireworks_ai` calculator takes no service tier, for one), the case is listed, not failed:
//! sluice applies the table.

#[path = "litellm_prices/spans.rs"]
mod spans;
mod support;
#[path = "litellm_prices/venv.rs"]
mod venv;

use serde_json::{Value, json};
use spans::{Case, config, sluice_costs, spans};
use std::collections::BTreeMap;
use support::{run_sluice, temp_dir};

/// Token counts of each case: prompt (cache included), completion, cache read, cache write.
/// The last crosses every long-context threshold LiteLLM lists (128k, 200k, 272k).
const CASES: &[(u64, u64, u64, u64)] = &[
    (1000, 200, 0, 0),
    (5000, 700, 3000, 0),
    (20_000, 1000, 4000, 1500),
    (300_000, 2000, 100_000, 0),
];
/// Providers whose LiteLLM cost path tries to log in over the network.
const LOGIN_PROVIDERS: &[&str] = &["github_copilot", "chatgpt"];
const TOLERANCE: f64 = 1e-9;

/// Service tiers compared where an entry prices them (as `openai.response.service_tier`).
const SERVICE_TIERS: &[&str] = &["flex", "priority"];

/// The cached and the long-context case at each service tier the entry prices.
fn service_tier_cases(model: &str, entry: &Value) -> Vec<Case> {
    let keys = entry.as_object().into_iter().flat_map(|o| o.keys());
    let priced: Vec<&str> = SERVICE_TIERS
        .iter()
        .copied()
        .filter(|tier| {
            keys.clone()
                .any(|k| k.contains("cost") && k.ends_with(&format!("_{tier}")))
        })
        .collect();
    let cases = [CASES[1], CASES[3]];
    priced
        .into_iter()
        .flat_map(|tier| cases.map(|tokens| (tier, tokens)))
        .filter(|(_, tokens)| !litellm_ignores_its_table(entry, *tokens))
        .map(|(tier, tokens)| Case {
            model: model.to_string(),
            tokens,
            service_tier: Some(tier),
        })
        .collect()
}

/// Whether LiteLLM's cost code skips a price its table gives for this case (see the docs).
fn litellm_ignores_its_table(
    entry: &Value,
    (prompt, _, _, cache_write): (u64, u64, u64, u64),
) -> bool {
    entry["litellm_provider"] == "perplexity" && (prompt > 128_000 || cache_write > 0)
}

#[test]
fn sluice_prices_litellms_models_as_litellm_does() {
    let dir = temp_dir();
    let table_json = venv::cost_py(&["--table"], "").trim().to_string();
    let table_path = dir.path().join("pricing.toml");
    let import = run_sluice(
        dir.path(),
        &[
            "pricing",
            "import",
            &table_json,
            "--output",
            table_path.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    import.assert_code(0);
    // The summary lists the token-priced entries the import skipped, and why.
    eprintln!("{}", import.stderr.trim_end());
    let table = std::fs::read_to_string(&table_path).expect("the import wrote the table");

    // Every imported model, less the ones LiteLLM cannot price without the clock or a login.
    let litellm: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&table_json).expect("read LiteLLM's table"))
            .expect("JSON");
    let imported = table
        .lines()
        .filter_map(|l| l.strip_prefix("name = "))
        .map(|n| {
            toml::from_str::<toml::Table>(&format!("n = {n}")).expect("a TOML string")["n"]
                .as_str()
                .unwrap()
                .to_string()
        });
    let (mut models, mut left_out) = (Vec::new(), Vec::new());
    for name in imported {
        let entry = &litellm[&name];
        let provider = entry["litellm_provider"].as_str().unwrap_or_default();
        if entry.get("off_peak_pricing").is_some() || LOGIN_PROVIDERS.contains(&provider) {
            left_out.push(name);
        } else {
            models.push(name);
        }
    }
    let cases: Vec<Case> = models
        .iter()
        .flat_map(|m| {
            let entry = &litellm[m];
            CASES
                .iter()
                .filter(move |&&tokens| !litellm_ignores_its_table(entry, tokens))
                .map(|&tokens| Case {
                    model: m.clone(),
                    tokens,
                    service_tier: None,
                })
                .chain(service_tier_cases(m, entry))
        })
        .collect();

    // LiteLLM's prices.
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| {
            let (prompt, completion, cache_read, cache_write) = c.tokens;
            json!({"model": c.model, "prompt": prompt, "completion": completion,
                   "cache_read": cache_read, "cache_write": cache_write,
                   "service_tier": c.service_tier})
        })
        .collect();
    let answers: Vec<Value> =
        serde_json::from_str(&venv::cost_py(&[], &Value::Array(requests).to_string()))
            .expect("cost.py JSON");
    assert_eq!(answers.len(), cases.len());

    // sluice's prices, through the real binary and the real Wasm plugin.
    std::fs::write(dir.path().join("spans.jsonl"), spans(&cases)).expect("write spans");
    std::fs::write(dir.path().join("sluice.toml"), config(&table)).expect("write config");
    let run = run_sluice(
        dir.path(),
        &[
            "process",
            "--config",
            "sluice.toml",
            "--input",
            "spans.jsonl",
            "--output",
            "-",
        ],
        &[],
    );
    run.assert_code(0);
    let ours = sluice_costs(&run.stdout);
    assert_eq!(ours.len(), cases.len(), "every span comes back");

    // LiteLLM's standard price of each (model, tokens), to tell a service tier it ignored.
    let standard: BTreeMap<(&str, _), f64> = cases
        .iter()
        .zip(&answers)
        .filter(|(c, _)| c.service_tier.is_none())
        .filter_map(|(c, a)| Some(((c.model.as_str(), c.tokens), a["cost"].as_f64()?)))
        .collect();
    let (mut compared, mut unpriced, mut litellm_cannot, mut mismatches) = (
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
        Vec::new(),
    );
    let mut tier_ignored = BTreeMap::new();
    for (i, (case, answer)) in cases.iter().zip(&answers).enumerate() {
        let Some(theirs) = answer["cost"].as_f64() else {
            litellm_cannot.insert(
                case.model.clone(),
                answer["error"].as_str().unwrap_or("?").to_string(),
            );
            continue;
        };
        let Some(ours) = ours[&(i as u64)] else {
            unpriced.insert(case.model.clone(), ());
            continue;
        };
        let relative = (ours - theirs).abs() / theirs.abs().max(f64::MIN_POSITIVE);
        let differs = ours != theirs && relative > TOLERANCE;
        let at_standard = standard.get(&(case.model.as_str(), case.tokens)) == Some(&theirs);
        if differs && case.service_tier.is_some() && at_standard {
            // LiteLLM charged the standard price although its table prices the tier.
            tier_ignored.insert(case.model.clone(), case.service_tier);
            continue;
        }
        *compared.entry(case.model.clone()).or_insert(0) += 1;
        if differs {
            mismatches.push(format!(
                "{} {:?} {:?}: sluice {ours:e}, litellm {theirs:e}",
                case.model, case.tokens, case.service_tier
            ));
        }
    }
    eprintln!(
        "compared {} models ({} cases); left out {} (off-peak prices or a login): {:?}",
        compared.len(),
        compared.values().sum::<usize>(),
        left_out.len(),
        left_out
    );
    eprintln!(
        "litellm cannot price {} of them: {:?}",
        litellm_cannot.len(),
        litellm_cannot.keys()
    );
    eprintln!(
        "litellm's code ignores its own service-tier prices for {}: {:?}",
        tier_ignored.len(),
        tier_ignored
    );
    eprintln!(
        "sluice cannot price {}: {:?}",
        unpriced.len(),
        unpriced.keys()
    );
    assert!(
        mismatches.is_empty(),
        "{} cases differ by more than {TOLERANCE} relative:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        unpriced.is_empty(),
        "sluice cannot price models it imported: {:?}",
        unpriced.keys()
    );
    assert!(
        compared.len() >= 100,
        "only {} models compared",
        compared.len()
    );
}
