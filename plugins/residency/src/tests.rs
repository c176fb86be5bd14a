//! Unit tests: config parsing, policy decisions, key matching, digests, the audit log, and
//! whole batches on the SDK's in-memory batch (span events, links and nested values are
//! covered on the host's real batch view in `tests/native.rs`).

use super::*;
use crate::content::KeySet;
use crate::digest::{HmacKey, digest};
use sluice_plugin_sdk::Destination;
use sluice_plugin_sdk::testing::{TestBatch, TestRecord, Value};

fn dest(name: &str, region: Option<&str>, third_party: bool, retains: bool) -> Destination {
    Destination {
        name: name.into(),
        region: region.map(Into::into),
        third_party,
        retains,
    }
}

fn parse(text: &str) -> Config {
    Config::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn policies_deny_by_region_and_third_party_with_named_exceptions() {
    let c = parse(
        "[default]\n[[tenants]]\ntenant = \"acme\"\nregions = [\"eu\"]\nthird_party = \"allow\"\n\
         [[tenants]]\ntenant = \"globex\"\nallow = [\"vendor-us\"]\n",
    );
    let eu_vendor = dest("vendor-eu", Some("eu"), true, true);
    let us_vendor = dest("vendor-us", Some("us"), true, true);
    let archive = dest("archive", None, false, true);
    let acme = c.policy(Some("acme"));
    assert_eq!(acme.denies(&eu_vendor, false), None);
    assert_eq!(acme.denies(&us_vendor, false), Some("region"));
    assert_eq!(
        acme.denies(&archive, false),
        Some("region"),
        "no region is outside every list"
    );
    let globex = c.policy(Some("globex"));
    assert_eq!(globex.denies(&us_vendor, false), None, "allowed by name");
    assert_eq!(globex.denies(&eu_vendor, false), Some("third_party"));
    let unknown = c.policy(Some("stranger"));
    assert_eq!(
        unknown.denies(&eu_vendor, false),
        Some("third_party"),
        "fails closed on vendors"
    );
    assert_eq!(unknown.denies(&archive, false), None);
}

#[test]
fn retain_false_denies_every_retaining_destination_even_one_allowed_by_name() {
    let c = parse(
        "[[tenants]]\ntenant = \"acme\"\nretain = false\nthird_party = \"allow\"\nallow = [\"archive\"]\n",
    );
    let acme = c.policy(Some("acme"));
    assert_eq!(
        acme.denies(&dest("archive", None, false, true), false),
        Some("retention")
    );
    assert_eq!(
        acme.denies(&dest("vendor", Some("us"), true, true), false),
        Some("retention")
    );
    assert_eq!(acme.denies(&dest("live", None, false, false), false), None);
    assert_eq!(
        acme.denies(&dest("vendor-live", None, true, false), false),
        None
    );
}

#[test]
fn a_missing_default_is_the_fail_closed_one_and_tenantless_records_never_reach_a_vendor() {
    let vendor = dest("vendor", Some("eu"), true, true);
    let archive = dest("archive", Some("eu"), false, true);
    for text in [
        "",
        "[[tenants]]\ntenant = \"acme\"\nthird_party = \"allow\"\n",
    ] {
        let c = parse(text);
        assert_eq!(c.default.third_party, ThirdParty::Deny, "{text:?}");
        assert_eq!(
            c.policy(Some("stranger")).denies(&vendor, false),
            Some("third_party")
        );
        assert_eq!(c.policy(None).denies(&vendor, true), Some("third_party"));
        assert_eq!(c.policy(None).denies(&archive, true), None);
    }
    // Even a permissive default, or one allowing the vendor by name, keeps records without a
    // tenant from third parties; tenants without a policy get what it says.
    let c = parse("[default]\nthird_party = \"allow\"\nallow = [\"vendor\"]\n");
    assert_eq!(c.policy(Some("stranger")).denies(&vendor, false), None);
    assert_eq!(c.policy(None).denies(&vendor, true), Some("third_party"));
    // A tenant's policy does not inherit from [default]: what it leaves out is restrictive.
    let c = parse("[default]\nthird_party = \"allow\"\n[[tenants]]\ntenant = \"acme\"\n");
    assert_eq!(
        c.policy(Some("acme")).denies(&vendor, false),
        Some("third_party")
    );
}

#[test]
fn bad_config_names_every_field_and_never_echoes_the_source() {
    let err = Config::parse("[[tenants]]\ntenant = \"a\"\nthird_party = \"maybe\"\n").unwrap_err();
    assert!(
        err.contains("maybe") && err.starts_with("residency: tenants[0].third_party"),
        "{err}"
    );
    let err =
        Config::parse("[[tenants]]\ntenant = \"a\"\n[[tenants]]\ntenant = \"a\"\n").unwrap_err();
    assert_eq!(err, "residency: tenants[1].tenant: `a` is listed twice");
    let err = Config::parse("[defaults]\nthird_party = \"allow\"\n").unwrap_err();
    assert!(err.contains("unknown field `defaults`"), "{err}");
    let err = Config::parse(
        "audit_log = \"audit.jsonl\"\n[default]\nhash_key = \"short\"\ncontent = \"hash\"\n\
         [[tenants]]\ntenant = \"\"\ncontent = \"scramble\"\n",
    )
    .unwrap_err();
    assert!(err.contains("scramble"), "{err}");
    let err = Config::parse(
        "audit_log = \"audit.jsonl\"\ncontent_keys = [\"\"]\n[default]\nhash_key = \"short\"\n\
         [[tenants]]\ntenant = \"\"\n",
    )
    .unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].starts_with("residency: default.hash_key: 5 bytes is too short"));
    assert!(lines[1].starts_with("residency: tenants[0].tenant: must not be empty"));
    assert!(lines[2].starts_with("residency: audit_log: `audit.jsonl` must be an absolute path"));
    assert!(lines[3].starts_with("residency: content_keys[0]"));
    // A type error in a line holding a key shows the field, not the line.
    let err = Config::parse("[default]\nhash_key = 1234567890123456789\n").unwrap_err();
    assert!(err.starts_with("residency: default.hash_key:"), "{err}");
    assert!(!err.contains("1234567890123456789"), "{err}");
}

#[test]
fn key_sets_match_keys_their_children_and_star_prefixes() {
    let set = KeySet::new(&["gen_ai.prompt".into(), "x.*".into(), "vendor_*".into()]);
    assert!(set.matches("gen_ai.prompt"));
    assert!(set.matches("gen_ai.prompt.0.content"));
    assert!(!set.matches("gen_ai.prompt_tokens"));
    assert!(!set.matches("gen_ai.prompts"));
    assert!(!set.matches("gen_ai"));
    assert!(set.matches("x.anything"));
    assert!(!set.matches("x"));
    assert!(set.matches("vendor_input"));
    let content = KeySet::new(
        &content::CONTENT_KEYS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    );
    for key in [
        "gen_ai.prompt",
        "gen_ai.completion.0.content",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "llm.prompts",
        "llm.completions",
        "traceloop.entity.input",
        "traceloop.entity.output",
    ] {
        assert!(content.matches(key), "{key} is content");
    }
    for key in [
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.tool.call.id",
        "gen_ai.response.finish_reasons",
        "llm.usage.total_tokens",
    ] {
        assert!(!content.matches(key), "{key} is metadata");
    }
}

#[test]
fn digests_are_sha256_or_per_tenant_hmac() {
    // FIPS 180-2 and RFC 4231 test vectors.
    assert_eq!(
        digest(None, "abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let key = HmacKey::new(b"Jefe");
    assert_eq!(
        digest(Some(&key), "what do ya want for nothing?"),
        "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let long = HmacKey::new(&[0xaa; 131]);
    assert_eq!(
        hex::encode(long.mac(b"Test Using Larger Than Block-Size Key - Hash Key First")),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

#[test]
fn audit_lines_are_aggregated_json_with_a_time_only_when_real() {
    let mut t = audit::Tally::default();
    t.add(Some("acme"), Some("vendor"), "third_party", 2);
    t.add(Some("acme"), Some("vendor"), "third_party", 3);
    t.add(None, Some("vendor"), "third_party", 1);
    t.add(Some("a\"b"), None, "content_strip", 4);
    t.add(Some("zero"), None, "content_hash", 0);
    let lines = t.lines("traces", None);
    assert_eq!(
        lines,
        [
            "{\"signal\":\"traces\",\"tenant\":null,\"destination\":\"vendor\",\"rule\":\"third_party\",\"count\":1}\n",
            "{\"signal\":\"traces\",\"tenant\":\"a\\\"b\",\"destination\":null,\"rule\":\"content_strip\",\"count\":4}\n",
            "{\"signal\":\"traces\",\"tenant\":\"acme\",\"destination\":\"vendor\",\"rule\":\"third_party\",\"count\":5}\n",
        ]
    );
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    let at = std::time::Duration::from_millis(1_767_323_045_678);
    assert!(t.lines("logs", Some(at))[0].starts_with("{\"time\":\"2026-01-02T03:04:05.678Z\","));
    assert_eq!(
        audit::rfc3339(std::time::Duration::ZERO),
        "1970-01-01T00:00:00.000Z"
    );
    assert_eq!(
        audit::rfc3339(std::time::Duration::from_secs(951_782_400)),
        "2000-02-29T00:00:00.000Z"
    );
}

#[test]
fn init_fails_clearly_when_the_audit_log_cannot_be_written() {
    let err =
        Residency::init("audit_log = \"/nonexistent-sluice-dir/residency.jsonl\"\n").unwrap_err();
    assert!(
        err.starts_with("residency: audit_log: cannot open `/nonexistent-sluice-dir/residency.jsonl` for appending")
            && err.contains("guest = \"/nonexistent-sluice-dir\", writable = true"),
        "{err}"
    );
}

// --- whole batches --------------------------------------------------------------------

const FAKE_PROMPT: &str = "FAKE-PROMPT tell me the secret recipe";
const FAKE_ANSWER: &str = "FAKE-ANSWER the recipe is 42";

fn llm_span(tenant: &str, id: &str) -> TestRecord {
    let mut r = TestRecord::new()
        .name("chat gpt-4o")
        .resource_attribute("service.name", "chatbot")
        .resource_attribute("host.owner", "alice@example.com")
        .attribute("test.id", id)
        .attribute("gen_ai.request.model", "gpt-4o")
        .attribute("gen_ai.usage.input_tokens", 12i64)
        .attribute("gen_ai.usage.output_tokens", 34i64)
        .attribute("gen_ai.usage.cost.amount", 0.0042)
        .attribute("gen_ai.prompt", FAKE_PROMPT)
        .attribute("gen_ai.completion.0.content", FAKE_ANSWER)
        .attribute("llm.prompts", FAKE_PROMPT)
        .attribute("user.email", "bob@example.com")
        .attribute("http.response.status_code", 200i64)
        .attribute("llm.is_streaming", false);
    if !tenant.is_empty() {
        r = r.resource_attribute("tenant.id", tenant);
    }
    r
}

fn destinations(b: TestBatch) -> TestBatch {
    b.with_destination(dest("eu-archive", Some("eu"), false, true))
        .with_destination(dest("us-archive", Some("us"), false, true))
        .with_destination(dest("vendor", Some("eu"), true, true))
        .with_destination(dest("live", Some("eu"), false, false))
}

const POLICIES: &str = r#"
[default]
third_party = "deny"

[[tenants]]
tenant = "acme"
regions = ["eu"]
third_party = "allow"

[[tenants]]
tenant = "initech"
third_party = "allow"
retain = false

[[tenants]]
tenant = "nowhere"
regions = ["apac"]

[[tenants]]
tenant = "hooli"
third_party = "allow"
content = "strip"

[[tenants]]
tenant = "umbrella"
third_party = "allow"
content = "hash"
hash_key = "umbrella-key-0123456789"

[[tenants]]
tenant = "soylent"
content = "metadata_only"
"#;

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

#[test]
fn each_tenant_is_denied_exactly_what_its_policy_forbids() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let tenants = ["acme", "initech", "nowhere", "stranger", "", "hooli"];
    let mut b = destinations(TestBatch::new(Signal::Span));
    for t in tenants {
        b.push(llm_span(t, t));
    }
    b.process(&mut plugin).unwrap();
    let denied: Vec<Vec<&str>> = (0..tenants.len())
        .map(|i| strs(b.denied_destinations(i)))
        .collect();
    assert_eq!(denied[0], ["us-archive"], "acme: eu only, vendors allowed");
    assert_eq!(
        denied[1],
        ["eu-archive", "us-archive", "vendor"],
        "initech: nothing that retains"
    );
    assert_eq!(
        denied[2],
        ["eu-archive", "us-archive", "vendor", "live"],
        "nowhere: no destination left, so all denied"
    );
    assert_eq!(
        denied[3],
        ["vendor"],
        "a tenant without a policy: the default"
    );
    assert_eq!(denied[4], ["vendor"], "no tenant: no third party");
    assert!(denied[5].is_empty(), "hooli may go anywhere");
    for i in 0..tenants.len() {
        assert!(b.added_destinations(i).is_empty());
        assert!(!b.is_dropped(i));
    }
    // Content is kept for every one of these tenants.
    assert_eq!(
        b.attribute(0, &Key::record("gen_ai.prompt")),
        Some(&Value::from(FAKE_PROMPT))
    );
    assert_eq!(b.attribute(0, &Key::record(content::MARK_ATTRIBUTE)), None);
}

/// Every string of a record (names, attributes of every list, body).
fn all_strings(r: &TestRecord) -> Vec<String> {
    let mut out = vec![r.name.clone()];
    out.extend(r.body.clone());
    for list in [&r.resource, &r.scope, &r.attributes] {
        for (k, v) in list {
            out.push(k.clone());
            if let Value::Str(s) = v {
                out.push(s.clone());
            }
        }
    }
    out
}

fn assert_no_content(r: &TestRecord) {
    for s in all_strings(r) {
        assert!(
            !s.contains("FAKE-PROMPT") && !s.contains("FAKE-ANSWER"),
            "content left in {s:?} of {r:#?}"
        );
    }
}

#[test]
fn strip_removes_content_attributes_and_empties_log_bodies_keeping_metadata() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let mut spans = destinations(TestBatch::new(Signal::Span))
        .record(llm_span("hooli", "s0"))
        .record(llm_span("acme", "s1"));
    spans.process(&mut plugin).unwrap();
    let r = &spans.records()[0];
    assert_no_content(r);
    for gone in [
        "gen_ai.prompt",
        "gen_ai.completion.0.content",
        "llm.prompts",
    ] {
        assert_eq!(r.get(&Key::record(gone)), None, "{gone}");
    }
    let get = |k: &str| r.get(&Key::record(k)).cloned();
    assert_eq!(get("gen_ai.request.model"), Some(Value::from("gpt-4o")));
    assert_eq!(get("gen_ai.usage.input_tokens"), Some(Value::Int(12)));
    assert_eq!(get("gen_ai.usage.output_tokens"), Some(Value::Int(34)));
    assert_eq!(get("gen_ai.usage.cost.amount"), Some(Value::Double(0.0042)));
    assert_eq!(get("http.response.status_code"), Some(Value::Int(200)));
    assert_eq!(
        get("user.email"),
        Some(Value::from("bob@example.com")),
        "strip keeps non-content"
    );
    assert_eq!(get(content::MARK_ATTRIBUTE), Some(Value::from("strip")));
    assert_eq!(r.name, "chat gpt-4o");
    // The other tenant's record is untouched.
    assert_eq!(spans.records()[1], llm_span("acme", "s1"));

    let mut logs = destinations(TestBatch::new(Signal::Log)).record(
        TestRecord::new()
            .resource_attribute("tenant.id", "hooli")
            .attribute("gen_ai.request.model", "gpt-4o")
            .body(format!("user said: {FAKE_PROMPT}")),
    );
    logs.process(&mut plugin).unwrap();
    let r = &logs.records()[0];
    assert_eq!(r.body.as_deref(), Some(""));
    assert_eq!(
        r.get(&Key::record("gen_ai.request.model")),
        Some(&Value::from("gpt-4o"))
    );
}

#[test]
fn hash_replaces_content_with_keyed_digests_that_correlate_within_a_tenant() {
    let mut plugin = Residency::init(&format!(
        "{POLICIES}\n[[tenants]]\ntenant = \"unkeyed\"\ncontent = \"hash\"\n"
    ))
    .unwrap();
    let mut b = destinations(TestBatch::new(Signal::Span))
        .record(llm_span("umbrella", "h0"))
        .record(llm_span("unkeyed", "h1"));
    b.process(&mut plugin).unwrap();
    let key = HmacKey::new(b"umbrella-key-0123456789");
    let r = &b.records()[0];
    assert_no_content(r);
    let get = |r: &TestRecord, k: &str| r.get(&Key::record(k)).cloned();
    let keyed_prompt = Value::from(digest(Some(&key), FAKE_PROMPT));
    assert_eq!(get(r, "gen_ai.prompt"), Some(keyed_prompt.clone()));
    assert_eq!(
        get(r, "llm.prompts"),
        Some(keyed_prompt),
        "same text, same digest"
    );
    assert_eq!(
        get(r, "gen_ai.completion.0.content"),
        Some(Value::from(digest(Some(&key), FAKE_ANSWER)))
    );
    assert_eq!(get(r, "gen_ai.request.model"), Some(Value::from("gpt-4o")));
    assert_eq!(get(r, "gen_ai.usage.input_tokens"), Some(Value::Int(12)));
    assert_eq!(get(r, content::MARK_ATTRIBUTE), Some(Value::from("hash")));
    let r = &b.records()[1];
    assert_eq!(
        get(r, "gen_ai.prompt"),
        Some(Value::from(digest(None, FAKE_PROMPT))),
        "no key: plain sha256"
    );
    assert!(digest(None, FAKE_PROMPT).starts_with("sha256:"));
}

#[test]
fn metadata_only_keeps_only_allow_listed_strings_and_every_number() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let mut b = destinations(TestBatch::new(Signal::Span)).record(
        llm_span("soylent", "m0")
            .attribute("sluice.cost.status", "priced")
            .attribute("gen_ai.response.finish_reasons", "stop")
            .scope_attribute("library.secret", "x"),
    );
    b.process(&mut plugin).unwrap();
    let r = &b.records()[0];
    assert_no_content(r);
    let keys =
        |list: &[(String, Value)]| -> Vec<String> { list.iter().map(|(k, _)| k.clone()).collect() };
    assert_eq!(
        keys(&r.attributes),
        [
            "gen_ai.request.model",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.cost.amount",
            "http.response.status_code",
            "llm.is_streaming",
            "sluice.cost.status",
            "gen_ai.response.finish_reasons",
            content::MARK_ATTRIBUTE,
        ]
    );
    assert_eq!(keys(&r.resource), ["service.name", "tenant.id"]);
    assert!(r.scope.is_empty());
    assert_eq!(
        r.get(&Key::record(content::MARK_ATTRIBUTE)),
        Some(&Value::from("metadata_only"))
    );
}

#[test]
fn content_keys_metadata_keys_and_the_mark_are_configurable() {
    let mut plugin = Residency::init(
        "mark_attribute = \"\"\nextra_content_keys = [\"user.*\"]\nextra_metadata_keys = [\"test.id\"]\n\
         [[tenants]]\ntenant = \"a\"\ncontent = \"strip\"\n\
         [[tenants]]\ntenant = \"b\"\ncontent = \"metadata_only\"\n",
    )
    .unwrap();
    let mut b = destinations(TestBatch::new(Signal::Span))
        .record(llm_span("a", "a0"))
        .record(llm_span("b", "b0"));
    b.process(&mut plugin).unwrap();
    let a = &b.records()[0];
    assert_eq!(a.get(&Key::record("user.email")), None, "extra content key");
    assert_eq!(
        a.get(&Key::record(content::MARK_ATTRIBUTE)),
        None,
        "no mark"
    );
    let b0 = &b.records()[1];
    assert_eq!(b0.get(&Key::record("test.id")), Some(&Value::from("b0")));

    let mut only = Residency::init(
        "content_keys = [\"custom.text\"]\n[[tenants]]\ntenant = \"a\"\ncontent = \"strip\"\n",
    )
    .unwrap();
    let mut b =
        TestBatch::new(Signal::Span).record(llm_span("a", "a1").attribute("custom.text", "x"));
    b.process(&mut only).unwrap();
    let r = &b.records()[0];
    assert_eq!(r.get(&Key::record("custom.text")), None);
    assert_eq!(
        r.get(&Key::record("gen_ai.prompt")),
        Some(&Value::from(FAKE_PROMPT)),
        "content_keys replaces the default list"
    );
}

#[test]
fn keep_tenants_in_a_batch_cost_no_content_edits() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let mut b = destinations(TestBatch::new(Signal::Log))
        .record(llm_span("acme", "k0").body(FAKE_PROMPT))
        .record(llm_span("", "k1").body(FAKE_PROMPT));
    let before = b.records().to_vec();
    b.process(&mut plugin).unwrap();
    assert_eq!(b.records(), before);
}

#[test]
fn the_audit_log_gets_one_line_per_tenant_destination_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("residency.jsonl");
    let config = format!("audit_log = {:?}\n{POLICIES}", path.display().to_string());
    let mut plugin = Residency::init(&config).unwrap();
    let mut b = destinations(TestBatch::new(Signal::Span));
    for t in [
        "acme", "acme", "initech", "hooli", "", "umbrella", "soylent",
    ] {
        b.push(llm_span(t, "x"));
    }
    b.process(&mut plugin).unwrap();
    // A second instance (another worker) appends to the same file.
    let mut other = Residency::init(&config).unwrap();
    let mut b = destinations(TestBatch::new(Signal::Log)).record(llm_span("acme", "y"));
    b.process(&mut other).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<String> = lines
        .iter()
        .map(|l| {
            // Natively the clock is real (in Wasm it is frozen unless granted).
            assert!(l["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{l}");
            format!(
                "{} {} {} {} {}",
                l["signal"].as_str().unwrap(),
                l["tenant"].as_str().unwrap_or("-"),
                l["destination"].as_str().unwrap_or("-"),
                l["rule"].as_str().unwrap(),
                l["count"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "traces - vendor third_party 1",
            "traces acme us-archive region 2",
            "traces hooli - content_strip 1",
            "traces initech eu-archive retention 1",
            "traces initech us-archive retention 1",
            "traces initech vendor retention 1",
            "traces soylent - metadata_only 1",
            "traces soylent vendor third_party 1",
            "traces umbrella - content_hash 1",
        ]
        .into_iter()
        .chain(["logs acme us-archive region 1"])
        .collect::<Vec<_>>()
    );
    assert!(!text.contains("FAKE"), "never content");
}

#[test]
fn decisions_are_counted_for_the_host_metrics_without_an_audit_log() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let mut b = destinations(TestBatch::new(Signal::Span));
    for t in ["acme", "acme", ""] {
        b.push(llm_span(t, "x"));
    }
    b.process(&mut plugin).unwrap();
    let counts: Vec<String> = b
        .counts()
        .iter()
        .map(|c| {
            let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {} {}", c.name, labels.join(","), c.value)
        })
        .collect();
    assert_eq!(
        counts,
        [
            "decisions rule=third_party,destination=vendor 1",
            "decisions rule=region,tenant=acme,destination=us-archive 2",
        ]
    );
}

#[test]
fn metric_points_lose_content_but_are_not_marked() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let mut b = destinations(TestBatch::new(Signal::MetricPoint))
        .record(llm_span("hooli", "p0").name("gen_ai.client.token.usage"))
        .record(llm_span("soylent", "p1").name("gen_ai.client.token.usage"));
    b.process(&mut plugin).unwrap();
    for r in b.records() {
        assert_no_content(r);
        assert_eq!(r.get(&Key::record(content::MARK_ATTRIBUTE)), None);
        assert_eq!(
            r.get(&Key::record("gen_ai.usage.input_tokens")),
            Some(&Value::Int(12))
        );
    }
    assert_eq!(
        b.records()[1].get(&Key::record("user.email")),
        None,
        "metadata_only applies to points too"
    );
}
