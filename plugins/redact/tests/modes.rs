//! What the plugin writes: markers, content modes (keep / redact / hash / preview / drop),
//! the sibling hash, JSON content, blobs and the count attribute.

mod support;

use sha2::{Digest, Sha256};
use sluice_plugin_redact::Redact;
use sluice_plugin_redact::content::preview;
use sluice_plugin_sdk::{Plugin, Scope, TextOrigin};
use support::FakeBatch;

const MSG_KEY: &str = "gen_ai.input.messages";

/// One row with one record attribute leaf; runs the plugin; returns the batch and leaf.
fn run_attr(config: &str, key: &str, text: &str) -> (FakeBatch, usize) {
    let mut batch = FakeBatch::default();
    let row = batch.row();
    let leaf = batch.leaf(row, TextOrigin::Attribute, key, key, text);
    batch.run(&mut Redact::init(config).expect("config"));
    (batch, leaf)
}

#[test]
fn a_secret_becomes_a_marker_naming_its_rule() {
    let (b, l) = run_attr("", "app.message", "using AKIAQN7HVA5NKFPGHUSJ for upload");
    assert_eq!(b.out(l), "using [REDACTED:aws_access_key] for upload");
}

#[test]
fn the_marker_format_is_configurable() {
    let (b, l) = run_attr(
        r#"marker = "<<{rule}>>""#,
        "x",
        "token ghp_R8x2Kd9QwLm4Tz7Vb1Nc6Hy3Pj5Fs0Ga2Ue8",
    );
    assert_eq!(b.out(l), "token <<github_token>>");
}

#[test]
fn a_sensitive_key_redacts_the_whole_value() {
    let (b, l) = run_attr("", "http.request.header.authorization", "Bearer abc");
    assert_eq!(b.out(l), "[REDACTED:sensitive_key]");
    let (b, l) = run_attr("", "db.password", "${DB_PASSWORD}");
    assert_eq!(b.out(l), "${DB_PASSWORD}", "a placeholder is left alone");
    let (b, l) = run_attr("", "gen_ai.usage.input_tokens_detail", "1024 tokens");
    assert_eq!(b.out(l), "1024 tokens");
}

#[test]
fn clean_text_is_untouched_and_not_rewritten() {
    let (b, l) = run_attr(
        "",
        "app.message",
        "request 3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e done",
    );
    assert!(b.replaced.is_empty(), "nothing replaced: {:?}", b.replaced);
    assert_eq!(
        b.out(l),
        "request 3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e done"
    );
}

#[test]
fn preview_cuts_redacts_and_hashes_into_a_sibling() {
    let text = format!(
        "email me at jane.roe@example.com {}",
        "lorem ipsum ".repeat(60)
    );
    let (b, l) = run_attr("preview_chars = 50", "gen_ai.prompt", &text);
    let out = b.out(l);
    assert!(
        out.starts_with("email me at [REDACTED:email] lorem"),
        "{out}"
    );
    let redacted = text.replace("jane.roe@example.com", "[REDACTED:email]");
    let dropped = redacted.chars().count() - 50;
    assert!(
        out.ends_with(&format!("…[truncated {dropped} chars]")),
        "{out}"
    );
    let expected = hex::encode(Sha256::digest(redacted.as_bytes()));
    assert_eq!(
        b.written(0, "gen_ai.prompt.sha256"),
        Some(expected),
        "hash of the redacted text"
    );
}

#[test]
fn preview_never_cuts_a_marker_in_half() {
    let cut = preview("abc [REDACTED:email] tail", 10).unwrap();
    assert_eq!(cut, "abc …[truncated 21 chars]");
    assert_eq!(preview("short", 10), None);
}

#[test]
fn json_content_is_redacted_inside_and_stays_valid() {
    let doc = serde_json::json!([
        {"role": "user", "parts": [{"type": "text", "content": "my key is AKIAQN7HVA5NKFPGHUSJ \"quoted\"\n"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"password": "Winter2024!", "q": "x"}}]}
    ])
    .to_string();
    let (b, l) = run_attr("", MSG_KEY, &doc);
    let out: serde_json::Value = serde_json::from_str(b.out(l)).expect("valid JSON");
    assert_eq!(
        out[0]["parts"][0]["content"],
        "my key is [REDACTED:aws_access_key] \"quoted\"\n"
    );
    assert_eq!(
        out[1]["parts"][0]["arguments"]["password"],
        "[REDACTED:sensitive_key]"
    );
    assert_eq!(out[1]["parts"][0]["arguments"]["q"], "x");
    assert!(b.written(0, "gen_ai.input.messages.sha256").is_some());
}

#[test]
fn json_preview_cuts_inside_strings() {
    let long = "word ".repeat(200);
    let doc = serde_json::json!([{"role": "user", "content": long}]).to_string();
    let (b, l) = run_attr("preview_chars = 100", MSG_KEY, &doc);
    let out: serde_json::Value = serde_json::from_str(b.out(l)).expect("valid JSON");
    let content = out[0]["content"].as_str().unwrap();
    assert!(content.starts_with("word word"));
    assert!(content.ends_with("…[truncated 900 chars]"), "{content}");
    assert_eq!(out[0]["role"], "user", "short strings are kept");
}

#[test]
fn base64_blobs_in_content_become_hash_and_size() {
    let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
    let b64 = {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in bytes.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            }
        }
        s
    };
    let text = format!("see data:image/png;base64,{b64} thanks");
    let (b, l) = run_attr("content_mode = \"redact\"", MSG_KEY, &text);
    let digest = hex::encode(&Sha256::digest(&bytes)[..8]);
    assert_eq!(
        b.out(l),
        format!("see data:image/png;base64,[BLOB sha256:{digest} size:300] thanks")
    );
}

#[test]
fn hash_mode_replaces_the_value() {
    let (b, l) = run_attr("content_mode = \"hash\"", "gen_ai.completion", "hello");
    assert_eq!(
        b.out(l),
        format!("sha256:{}", hex::encode(Sha256::digest(b"hello")))
    );
    assert_eq!(b.written(0, "gen_ai.completion.sha256"), None);
}

#[test]
fn keep_mode_leaves_even_secrets() {
    let config = "[attributes]\n\"gen_ai.prompt\" = \"keep\"\n";
    let (b, l) = run_attr(config, "gen_ai.prompt", "AKIAQN7HVA5NKFPGHUSJ");
    assert_eq!(b.out(l), "AKIAQN7HVA5NKFPGHUSJ");
    assert!(b.writes.is_empty());
}

#[test]
fn redact_mode_on_a_sensitive_key_scans_instead() {
    let config = "[attributes]\n\"password_hint\" = \"redact\"\n\"app.password\" = \"redact\"\n";
    let (b, l) = run_attr(config, "app.password", "first pet, no digits");
    assert_eq!(b.out(l), "first pet, no digits");
}

#[test]
fn drop_removes_a_top_level_attribute_and_empties_a_nested_one() {
    let config = "[attributes]\n\"user.email\" = \"drop\"\n\"req.body.note\" = \"drop\"\n";
    let mut batch = FakeBatch::default();
    let row = batch.row();
    batch.leaf(
        row,
        TextOrigin::Attribute,
        "user.email",
        "user.email",
        "a@b.example",
    );
    let nested = batch.leaf(
        row,
        TextOrigin::Attribute,
        "req.body",
        "req.body.note",
        "secret note",
    );
    batch.run(&mut Redact::init(config).unwrap());
    assert_eq!(batch.removed.len(), 1);
    assert_eq!(batch.removed[0].0.name, "user.email");
    assert_eq!(batch.removed[0].0.scope, Scope::Record);
    assert_eq!(batch.removed[0].1, vec![0]);
    assert_eq!(batch.out(nested), "");
}

#[test]
fn the_count_attribute_counts_secrets_per_record() {
    let mut batch = FakeBatch::default();
    let (r0, r1) = (batch.row(), batch.row());
    batch.leaf(r0, TextOrigin::Body, "", "", "a@b.example and c@d.example");
    batch.leaf(r0, TextOrigin::Attribute, "password", "password", "hunter2");
    batch.leaf(r1, TextOrigin::Body, "", "", "nothing here");
    batch.run(&mut Redact::init("count_attribute = true").unwrap());
    assert_eq!(
        batch.written(r0, "sluice.redaction.count").as_deref(),
        Some("3")
    );
    assert_eq!(batch.written(r1, "sluice.redaction.count"), None);
}

#[test]
fn every_origin_is_scanned() {
    let mut batch = FakeBatch::default();
    let row = batch.row();
    let origins = [
        TextOrigin::ResourceAttribute,
        TextOrigin::ScopeAttribute,
        TextOrigin::Attribute,
        TextOrigin::Name,
        TextOrigin::Body,
        TextOrigin::Event,
        TextOrigin::Link,
        TextOrigin::StatusMessage,
    ];
    let leaves: Vec<usize> = origins
        .iter()
        .map(|&o| batch.leaf(row, o, "note", "note", "key AKIAQN7HVA5NKFPGHUSJ"))
        .collect();
    batch.run(&mut Redact::init("").unwrap());
    for (o, l) in origins.iter().zip(leaves) {
        assert_eq!(batch.out(l), "key [REDACTED:aws_access_key]", "{o:?}");
    }
}
