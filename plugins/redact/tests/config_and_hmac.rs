//! Config validation (every error names its field) and per-tenant HMAC markers.

mod support;

use sluice_plugin_redact::Redact;
use sluice_plugin_redact::marker::HmacKey;
use sluice_plugin_sdk::{Plugin, TextOrigin};
use support::FakeBatch;

fn err(config: &str) -> String {
    match Redact::init(config) {
        Ok(_) => panic!("config accepted: {config}"),
        Err(e) => e,
    }
}

#[test]
fn the_default_config_and_an_empty_one_load() {
    Redact::init(include_str!("../default.toml")).expect("default.toml");
    Redact::init("").expect("empty config");
}

#[test]
fn an_invalid_custom_regex_names_its_field() {
    let config = r#"
[[custom_rules]]
name = "a"
regex = "A[0-9]+"
[[custom_rules]]
name = "b"
regex = "B[0-9]+"
[[custom_rules]]
name = "c"
regex = "C[0-9"
"#;
    let e = err(config);
    assert!(
        e.starts_with("redact: custom_rules[2].regex: invalid regex: "),
        "{e}"
    );
}

#[test]
fn unknown_names_fields_and_values_are_refused() {
    let e = err(r#"disable = ["email", "no_such_rule"]"#);
    assert!(
        e.starts_with("redact: disable[1]: unknown rule \"no_such_rule\", expected one of "),
        "{e}"
    );
    let e = err(r#"enable = ["nope"]"#);
    assert!(e.contains("enable[0]: unknown rule \"nope\""), "{e}");
    let e = err("colour = 1");
    assert!(
        e.starts_with("redact: ") && e.contains("unknown field `colour`"),
        "{e}"
    );
    let e = err(r#"groups = ["secrets"]"#);
    assert!(e.contains("groups[0]: unknown group \"secrets\""), "{e}");
    let e = err("[attributes]\n\"gen_ai.prompt\" = \"shred\"\n");
    assert!(
        e.contains("attributes.gen_ai.prompt") && e.contains("shred"),
        "{e}"
    );
    let e = err("[[custom_rules]]\nname = \"x\"\nregex = \"x\"\nvalidator = \"mod11\"\n");
    assert!(
        e.contains("custom_rules[0].validator: unknown validator \"mod11\""),
        "{e}"
    );
    let e = err("[[custom_rules]]\nname = \"email\"\nregex = \"x\"\n");
    assert!(
        e.contains("custom_rules[0].name: \"email\" is a built-in rule's name"),
        "{e}"
    );
    let e = err(r#"allow = ["("]"#);
    assert!(e.contains("allow[0]: invalid regex"), "{e}");
    let e = err(r#"marker = "[{rule}:{hmac}]""#);
    assert!(e.contains("marker: unknown placeholder `{hmac}`"), "{e}");
    let e = err(r#"hmac_marker = "[{rule}]""#);
    assert!(e.contains("hmac_marker: must contain {hmac}"), "{e}");
    let e = err("preview_chars = 0");
    assert!(e.contains("preview_chars: must be at least 1"), "{e}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = err("disable = [\"x\"]\npreview_chars = 0\n");
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(e.lines().all(|l| l.starts_with("redact: ")), "{e}");
}

#[test]
fn a_short_tenant_key_is_refused_without_echoing_it() {
    let e = err("[[tenant_keys]]\ntenant = \"acme\"\nkey = \"tooshort\"\nversion = 1\n");
    assert!(
        e.contains("tenant_keys[0].key: must be at least 16 bytes, got 8"),
        "{e}"
    );
    assert!(!e.contains("tooshort"), "the key must not be echoed: {e}");
}

#[test]
fn rules_go_on_and_off_by_name_and_group() {
    let mut r = Redact::init(r#"enable = ["ip_address"]"#).unwrap();
    assert_eq!(
        r.redact_str("from 10.1.2.3").unwrap().0,
        "from [REDACTED:ip_address]"
    );
    let mut r = Redact::init("").unwrap();
    assert_eq!(
        r.redact_str("from 10.1.2.3"),
        None,
        "ip_address is off by default"
    );
    let mut r = Redact::init(r#"groups = ["credentials"]"#).unwrap();
    assert_eq!(r.redact_str("mail a@b.example"), None, "pii off");
    let mut r = Redact::init(r#"disable = ["email"]"#).unwrap();
    assert_eq!(r.redact_str("mail a@b.example"), None);
    assert!(r.redact_str("AKIAQN7HVA5NKFPGHUSJ").is_some());
}

#[test]
fn custom_rules_with_a_group_and_the_luhn_validator() {
    let config = r#"
[[custom_rules]]
name = "employee_id"
regex = "\\bEMP-[0-9]{6}\\b"
[[custom_rules]]
name = "account"
regex = "acct:([0-9]{8})"
validator = "luhn"
"#;
    let mut r = Redact::init(config).unwrap();
    assert_eq!(
        r.redact_str("by EMP-004211").unwrap().0,
        "by [REDACTED:employee_id]"
    );
    assert_eq!(
        r.redact_str("acct:12345674").unwrap().0,
        "acct:[REDACTED:account]"
    );
    assert_eq!(r.redact_str("acct:12345678"), None, "fails Luhn");
}

#[test]
fn the_allow_list_keeps_matching_secrets() {
    let mut r = Redact::init(r#"allow = ["@example\\.com$"]"#).unwrap();
    assert_eq!(r.redact_str("to jane@example.com"), None);
    assert!(r.redact_str("to jane@corp.example.org").is_some());
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    let key = HmacKey::new(&[0x0b; 20]);
    assert_eq!(
        hex::encode(key.mac(b"Hi There")),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    // A key longer than a block is hashed first (RFC 4231 test case 6).
    let key = HmacKey::new(&[0xaa; 131]);
    assert_eq!(
        hex::encode(key.mac(b"Test Using Larger Than Block-Size Key - Hash Key First")),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

const TENANTS: &str = r#"
[[tenant_keys]]
tenant = "acme"
key = "acme-key-0123456789abcdef"
version = 2
[[tenant_keys]]
tenant = "globex"
key = "globex-key-0123456789abcdef"
version = 1
"#;

/// Redacts `text` in a body of one row per tenant; returns each row's output.
fn per_tenant(text: &str, tenants: &[Option<&str>]) -> Vec<String> {
    let mut batch = FakeBatch::default();
    let leaves: Vec<usize> = tenants
        .iter()
        .map(|t| {
            let row = batch.row();
            if let Some(t) = t {
                batch.resource[row as usize].insert("tenant.id".into(), t.to_string());
            }
            batch.leaf(row, TextOrigin::Body, "", "", text)
        })
        .collect();
    batch.run(&mut Redact::init(TENANTS).unwrap());
    leaves.iter().map(|&l| batch.out(l).to_string()).collect()
}

#[test]
fn equal_secrets_correlate_within_a_tenant_only() {
    let secret = "AKIAQN7HVA5NKFPGHUSJ";
    let out = per_tenant(
        &format!("key {secret}"),
        &[
            Some("acme"),
            Some("acme"),
            Some("globex"),
            None,
            Some("initech"),
        ],
    );
    let mac = hex::encode(&HmacKey::new(b"acme-key-0123456789abcdef").mac(secret.as_bytes())[..8]);
    assert_eq!(
        out[0],
        format!("key [REDACTED:aws_access_key:hmac:v2:{mac}]")
    );
    assert_eq!(out[0], out[1], "same secret, same tenant: same marker");
    assert!(out[2].starts_with("key [REDACTED:aws_access_key:hmac:v1:"));
    assert_ne!(out[0], out[2], "another tenant's marker differs");
    assert_eq!(
        out[3], "key [REDACTED:aws_access_key]",
        "no tenant: plain marker"
    );
    assert_eq!(
        out[4], "key [REDACTED:aws_access_key]",
        "tenant without a key: plain marker"
    );
    let other = per_tenant("key AKIAQN7HVA5NKFPGHUSK", &[Some("acme")]);
    assert_ne!(other[0], out[0], "another secret, another marker");
}

#[test]
fn keyed_markers_are_not_redacted_again() {
    // `github_token:hmac:...` reads like a `token: value` assignment.
    let once = per_tenant(
        "token ghp_R8x2Kd9QwLm4Tz7Vb1Nc6Hy3Pj5Fs0Ga2Ue8",
        &[Some("acme")],
    );
    assert!(
        once[0].starts_with("token [REDACTED:github_token:hmac:v2:"),
        "{}",
        once[0]
    );
    assert_eq!(per_tenant(&once[0], &[Some("acme")]), once);
}
