//! Where the first version fell short: content on span events (GenAI content events) gets
//! its hash too, the keys of a structured log body count like attribute keys, and the
//! opt-in `sluice.redaction.rules` names the rules that fired, never a value.

mod support;

use sha2::{Digest, Sha256};
use sluice_plugin_redact::Redact;
use sluice_plugin_sdk::{Plugin, TextOrigin};
use support::FakeBatch;

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn content_on_a_span_event_is_previewed_and_hashed_onto_the_span() {
    let messages = serde_json::json!([
        {"role": "user", "parts": [{"type": "text", "content": "my key is AKIAQN7HVA5NKFPGHUSJ"}]}
    ])
    .to_string();
    let mut batch = FakeBatch::default();
    let row = batch.row();
    // `gen_ai.client.inference.operation.details` carries the messages as event attributes.
    batch.leaf(
        row,
        TextOrigin::Event,
        "",
        "",
        "gen_ai.client.inference.operation.details",
    );
    let leaf = batch.leaf(
        row,
        TextOrigin::Event,
        "",
        "gen_ai.input.messages",
        &messages,
    );
    batch.run(&mut Redact::init("").unwrap());
    let out = batch.out(leaf);
    assert!(out.contains("[REDACTED:aws_access_key]"), "{out}");
    let redacted = messages.replace("AKIAQN7HVA5NKFPGHUSJ", "[REDACTED:aws_access_key]");
    assert_eq!(
        batch.written(row, "gen_ai.input.messages.sha256"),
        Some(sha(&redacted)),
        "the hash of the redacted event value lands on the span"
    );
}

#[test]
fn several_values_of_one_content_key_in_a_span_give_their_hashes_in_order() {
    let mut batch = FakeBatch::default();
    let row = batch.row();
    batch.leaf(
        row,
        TextOrigin::Attribute,
        "gen_ai.prompt",
        "gen_ai.prompt",
        "first",
    );
    batch.leaf(row, TextOrigin::Event, "", "gen_ai.prompt", "second");
    batch.leaf(row, TextOrigin::Event, "", "gen_ai.prompt", "third");
    let other = batch.row();
    batch.leaf(other, TextOrigin::Event, "", "gen_ai.prompt", "alone");
    batch.run(&mut Redact::init("").unwrap());
    assert_eq!(
        batch.written(row, "gen_ai.prompt.sha256"),
        Some(format!(
            "{},{},{}",
            sha("first"),
            sha("second"),
            sha("third")
        ))
    );
    assert_eq!(
        batch.written(other, "gen_ai.prompt.sha256"),
        Some(sha("alone"))
    );
}

#[test]
fn a_structured_log_body_has_sensitive_keys_too() {
    let mut batch = FakeBatch::default();
    let row = batch.row();
    // A map body `{"user": "bob", "password": "hunter2"}`: its leaves carry key paths.
    let user = batch.leaf(row, TextOrigin::Body, "", "user", "bob");
    let pw = batch.leaf(row, TextOrigin::Body, "", "password", "hunter2");
    let plain = batch.leaf(row, TextOrigin::Body, "", "", "password is hunter2!");
    batch.run(&mut Redact::init("").unwrap());
    assert_eq!(batch.out(user), "bob");
    assert_eq!(batch.out(pw), "[REDACTED:sensitive_key]");
    assert_eq!(batch.out(plain), "password is [REDACTED:password_prose]!");
}

#[test]
fn the_rules_attribute_names_the_rules_that_fired_and_nothing_else() {
    let mut batch = FakeBatch::default();
    let (r0, r1, r2) = (batch.row(), batch.row(), batch.row());
    batch.leaf(
        r0,
        TextOrigin::Body,
        "",
        "",
        "mail a@b.example, key AKIAQN7HVA5NKFPGHUSJ, again c@d.example",
    );
    batch.leaf(
        r0,
        TextOrigin::Attribute,
        "db.password",
        "db.password",
        "Tundra8841!",
    );
    batch.leaf(r1, TextOrigin::Body, "", "", "nothing to see");
    batch.leaf(
        r2,
        TextOrigin::Event,
        "",
        "exception.message",
        "ghp_R8x2Kd9QwLm4Tz7Vb1Nc6Hy3Pj5Fs0Ga2Ue8",
    );
    batch.run(&mut Redact::init("rules_attribute = true\ncount_attribute = true").unwrap());
    assert_eq!(
        batch.written(r0, "sluice.redaction.rules").as_deref(),
        Some("aws_access_key,email,sensitive_key")
    );
    assert_eq!(
        batch.written(r0, "sluice.redaction.count").as_deref(),
        Some("4")
    );
    assert_eq!(batch.written(r1, "sluice.redaction.rules"), None);
    assert_eq!(
        batch.written(r2, "sluice.redaction.rules").as_deref(),
        Some("github_token")
    );
}

#[test]
fn the_rules_attribute_is_off_by_default() {
    let mut batch = FakeBatch::default();
    let row = batch.row();
    batch.leaf(row, TextOrigin::Body, "", "", "mail a@b.example");
    batch.run(&mut Redact::init("").unwrap());
    assert_eq!(batch.written(row, "sluice.redaction.rules"), None);
    assert!(batch.writes.is_empty());
}

#[test]
fn a_leaf_that_is_not_utf8_fails_the_batch_instead_of_passing_unredacted() {
    // The contract promises UTF-8; a host bug must not let a secret through.
    let mut batch = FakeBatch::default();
    let row = batch.row();
    batch.leaf(row, TextOrigin::Body, "", "", "token=abc123def");
    batch.corrupt_utf8 = true;
    let err = Redact::init("")
        .unwrap()
        .process(&mut sluice_plugin_sdk::Batch::new(&mut batch))
        .unwrap_err();
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn secrets_per_rule_are_counted_for_the_hosts_metrics() {
    use sluice_plugin_sdk::Signal;
    use sluice_plugin_sdk::testing::{TestBatch, TestRecord};
    let mut batch = TestBatch::new(Signal::Log)
        .record(TestRecord::new().body("mail a@b.example and c@d.example"))
        .record(
            TestRecord::new()
                .body("key AKIAQN7HVA5NKFPGHUSJ")
                .attribute("db.password", "Tundra8841!"),
        )
        .record(TestRecord::new().body("nothing here"));
    let mut plugin = Redact::init("").unwrap();
    batch.process(&mut plugin).unwrap();
    let mut got: Vec<(String, String, u64)> = batch
        .counts()
        .iter()
        .map(|c| {
            assert_eq!(c.labels.len(), 1);
            (c.name.clone(), c.labels[0].1.clone(), c.value)
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, u64)> =
        [("aws_access_key", 1), ("email", 2), ("sensitive_key", 1)]
            .iter()
            .map(|(r, n)| ("redacted".to_string(), r.to_string(), *n))
            .collect();
    assert_eq!(got, want);
    assert!(batch.counts().iter().all(|c| c.labels[0].0 == "rule"));
    // A batch without secrets counts nothing.
    let mut clean = TestBatch::new(Signal::Log).record(TestRecord::new().body("hello"));
    clean.process(&mut plugin).unwrap();
    assert!(clean.counts().is_empty());
}
