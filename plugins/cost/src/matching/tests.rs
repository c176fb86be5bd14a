//! Model-name matching.

use super::*;
use crate::config::parse;

const TABLE: &str = r#"
pricing_version = "v"
[[models]]
name = "gpt-4o"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "gpt-4o-2024-05-13"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "gpt-4"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "claude-3-5-sonnet"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "claude-sonnet-4-5"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "us.anthropic.claude-sonnet-4-5"
aliases = ["eu.anthropic.claude-sonnet-4-5"]
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "gemini-2.0-flash"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "nova-pro"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "j2-mid"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "command-r"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
provider = "together_ai"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "mistral-large"
input_per_mtok = 1
output_per_mtok = 1
"#;

fn matcher() -> (Matcher, Vec<String>) {
    let t = parse(TABLE).unwrap();
    (
        Matcher::build(&t.models).unwrap(),
        t.models.into_iter().map(|m| m.name).collect(),
    )
}

fn find(model: &str) -> Option<String> {
    let (m, names) = matcher();
    m.find(model, None).map(|i| names[i as usize].clone())
}

#[test]
fn exact_and_case_insensitive() {
    assert_eq!(find("gpt-4o").as_deref(), Some("gpt-4o"));
    assert_eq!(find("  GPT-4O ").as_deref(), Some("gpt-4o"));
    assert_eq!(
        find("meta-llama/llama-3.3-70b-instruct-turbo").as_deref(),
        Some("meta-llama/Llama-3.3-70B-Instruct-Turbo")
    );
}

#[test]
fn dated_snapshots() {
    for (model, entry) in [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4-0613", "gpt-4"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("command-r-08-2024", "command-r"),
        ("mistral-large-2411", "mistral-large"),
        ("mistral-large-latest", "mistral-large"),
    ] {
        assert_eq!(find(model).as_deref(), Some(entry), "{model}");
    }
    // A snapshot with prices of its own is matched exactly, not stripped.
    assert_eq!(
        find("gpt-4o-2024-05-13").as_deref(),
        Some("gpt-4o-2024-05-13")
    );
}

#[test]
fn provider_prefixes_and_regional_variants() {
    for (model, entry) in [
        ("azure/gpt-4o", "gpt-4o"),
        ("openai/gpt-4o-2024-11-20", "gpt-4o"),
        (
            "vertex_ai/claude-3-5-sonnet-v2@20241022",
            "claude-3-5-sonnet",
        ),
        (
            "publishers/anthropic/models/claude-sonnet-4-5@20250929",
            "claude-sonnet-4-5",
        ),
        ("models/gemini-2.0-flash", "gemini-2.0-flash"),
        (
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet",
        ),
        (
            "apac.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "claude-3-5-sonnet",
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        // A regional endpoint with prices of its own wins over the general entry.
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us.anthropic.claude-sonnet-4-5",
        ),
        (
            "bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us.anthropic.claude-sonnet-4-5",
        ),
        ("amazon.nova-pro-v1:0", "nova-pro"),
        ("us.amazon.nova-pro-v1:0", "nova-pro"),
        ("ai21.j2-mid-v1", "j2-mid"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
            "nova-pro",
        ),
        (
            "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        ),
    ] {
        assert_eq!(find(model).as_deref(), Some(entry), "{model}");
    }
}

#[test]
fn nothing_else_is_guessed() {
    for model in [
        "gpt-4o-mini",
        "gpt-4o-audio-preview-2024-12-17",
        "my-azure-deployment",
        "gpt",
        "claude-sonnet-4",
        "mistral-large-2411:free",
        "j2-mid-v1",
        "",
        "/",
        "us.",
    ] {
        assert_eq!(find(model), None, "{model}");
    }
}

#[test]
fn providers_are_canonical() {
    for (given, canonical) in [
        ("gcp.vertex_ai", "google"),
        ("gcp.gemini", "google"),
        ("aws.bedrock", "bedrock"),
        ("azure.ai.openai", "azure"),
        ("mistral_ai", "mistral"),
        ("x_ai", "xai"),
        ("Together_AI", "together"),
        ("OpenAI", "openai"),
        ("groq", "groq"),
    ] {
        assert_eq!(canonical_provider(given), canonical);
    }
}

#[test]
fn suffix_strippers() {
    assert_eq!(strip_snapshot("gpt-4o-2024-08-06"), Some("gpt-4o"));
    assert_eq!(strip_snapshot("mixtral-8x7b-32768"), None);
    assert_eq!(strip_snapshot("claude-2"), None);
    assert_eq!(strip_snapshot("-2024"), None);
    assert_eq!(strip_deployment_version("x-v2:0", false), Some("x"));
    assert_eq!(strip_deployment_version("x:free", false), None);
    assert_eq!(strip_deployment_version("x-v1", false), None);
    assert_eq!(strip_deployment_version("x-v1", true), Some("x"));
    assert_eq!(strip_deployment_version("deepseek-v3", false), None);
}
