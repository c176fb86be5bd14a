//! The residency plugin compiled natively, run on the host's real batch view (`BatchState`,
//! the same `RecordsApi` the Wasm boundary serves) over OTLP payloads with everything the
//! contract can reach: span events (GenAI content events and others), links, attributes
//! nested in maps and arrays, structured log bodies, resource and scope attributes. And
//! routing as the host applies it: a later plugin's `add-destination` cannot undo a denial.

use serde_json::{Value as Json, json};
use sluice::config::Config as HostConfig;
use sluice::otlp::{Payload, json::decode_line, json::encode_line};
use sluice::pipeline::BatchState;
use sluice::router::Destinations;
use sluice_plugin_residency::Residency;
use sluice_plugin_residency::digest::{HmacKey, digest};
use sluice_plugin_sdk::{Batch, Plugin, RecordsApi};
use std::sync::Arc;

const PROMPT: &str = "FAKE-PROMPT what is the secret recipe?";
const ANSWER: &str = "FAKE-ANSWER it is 42";
const KEY: &str = "umbrella-key-0123456789";

const POLICIES: &str = r#"
[default]
third_party = "deny"
[[tenants]]
tenant = "acme"
regions = ["eu"]
third_party = "allow"
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
third_party = "allow"
content = "metadata_only"
"#;

fn destinations() -> Arc<Destinations> {
    let config: HostConfig = toml::from_str(
        r#"
[[destinations]]
name = "eu-archive"
type = "discard"
region = "eu"
[[destinations]]
name = "us-archive"
type = "discard"
region = "us"
[[destinations]]
name = "vendor"
type = "discard"
region = "eu"
third_party = true
[routing]
default = ["eu-archive", "us-archive"]
"#,
    )
    .unwrap();
    Arc::new(Destinations::from_config(&config))
}

fn s(v: &str) -> Json {
    json!({ "stringValue": v })
}

fn kv(key: &str, value: Json) -> Json {
    json!({ "key": key, "value": value })
}

fn kvlist(pairs: Vec<Json>) -> Json {
    json!({ "kvlistValue": { "values": pairs } })
}

fn array(values: Vec<Json>) -> Json {
    json!({ "arrayValue": { "values": values } })
}

/// A resource of one tenant holding one LLM span with content everywhere.
fn resource_spans(tenant: &str) -> Json {
    let messages = array(vec![kvlist(vec![
        kv("role", s("user")),
        kv(
            "parts",
            array(vec![kvlist(vec![
                kv("type", s("text")),
                kv("content", s(PROMPT)),
            ])]),
        ),
    ])]);
    json!({
        "resource": { "attributes": [
            kv("tenant.id", s(tenant)),
            kv("service.name", s("chatbot")),
            kv("process.command_line", s("chatbot --token FAKE-TOKEN")),
        ]},
        "scopeSpans": [{
            "scope": { "name": "openai", "attributes": [kv("owner", s("team-a"))] },
            "spans": [{
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eee19b7ec3c1b101",
                "name": "chat gpt-4o",
                "startTimeUnixNano": "1700000000000000000",
                "endTimeUnixNano": "1700000001500000000",
                "attributes": [
                    kv("gen_ai.operation.name", s("chat")),
                    kv("gen_ai.request.model", s("gpt-4o")),
                    kv("gen_ai.usage.input_tokens", json!({ "intValue": "12" })),
                    kv("gen_ai.usage.output_tokens", json!({ "intValue": "34" })),
                    kv("gen_ai.input.messages", messages),
                    kv("gen_ai.output.messages", s(&format!("[{{\"role\":\"assistant\",\"content\":\"{ANSWER}\"}}]"))),
                    // A top-level `llm.prompts` beside map `llm` holding `prompts`: the same
                    // key path for two leaves, one removed whole, one emptied.
                    kv("llm.prompts", array(vec![s(PROMPT)])),
                    kv("llm", kvlist(vec![kv("prompts", array(vec![s(PROMPT)])), kv("vendor", s("openai"))])),
                    kv("app.feature", s("support")),
                ],
                "events": [
                    { "timeUnixNano": "1700000000100000000", "name": "gen_ai.content.prompt",
                      "attributes": [kv("gen_ai.prompt", s(PROMPT))] },
                    { "timeUnixNano": "1700000000200000000", "name": "gen_ai.choice",
                      "attributes": [kv("message", s(ANSWER)), kv("index", json!({ "intValue": "0" }))] },
                    { "timeUnixNano": "1700000000300000000", "name": "exception",
                      "attributes": [kv("exception.type", s("TimeoutError")), kv("exception.message", s("FAKE-ERROR upstream slow"))] },
                ],
                "links": [{
                    "traceId": "a3f2c1d4e5f60718293a4b5c6d7e8f90",
                    "spanId": "0102030405060708",
                    "attributes": [kv("gen_ai.prompt", s(PROMPT)), kv("link.reason", s("retry"))],
                }],
                "status": { "code": 2, "message": "upstream timeout" },
            }],
        }],
    })
}

fn resource_logs(tenant: &str) -> Json {
    json!({
        "resource": { "attributes": [kv("tenant.id", s(tenant))] },
        "scopeLogs": [{ "logRecords": [
            {
                "timeUnixNano": "1700000000000000000",
                "eventName": "gen_ai.user.message",
                "body": kvlist(vec![
                    kv("role", s("user")),
                    kv("content", s(PROMPT)),
                    kv("tool_calls", array(vec![kvlist(vec![kv("function", kvlist(vec![kv("arguments", s(ANSWER))]))])])),
                ]),
                "attributes": [kv("gen_ai.system", s("openai"))],
            },
            {
                "timeUnixNano": "1700000000000000001",
                "body": s(&format!("answered: {ANSWER}")),
                "attributes": [kv("gen_ai.usage.output_tokens", json!({ "intValue": "34" }))],
            },
        ]}],
    })
}

fn payload(line: Json) -> Payload {
    decode_line(&line.to_string()).unwrap().remove(0)
}

/// `line` as the host encodes it (proto3 defaults written out), to compare with output.
fn normalized(line: &Json) -> Json {
    serde_json::from_str(&encode_line(&payload(line.clone()))).unwrap()
}

/// Runs the plugin once, commits, and returns the payload as OTLP JSON plus each row's mask.
fn run(
    plugin: &mut Residency,
    payload: Payload,
    later: impl FnOnce(&mut BatchState),
) -> (Json, Vec<u64>) {
    let mut state = BatchState::new(payload, destinations());
    plugin.process(&mut Batch::new(&mut state)).unwrap();
    state.commit();
    later(&mut state);
    state.commit();
    let out = state.finish();
    (
        serde_json::from_str(&encode_line(&out.payload)).unwrap(),
        out.masks,
    )
}

/// Every string anywhere in a JSON value (keys included).
fn strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Json::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                strings(x, out);
            }
        }
        _ => {}
    }
}

fn has(v: &Json, needle: &str) -> bool {
    let mut all = Vec::new();
    strings(v, &mut all);
    all.iter().any(|s| s.contains(needle))
}

/// `attributes` as (key, value) pairs of OTLP JSON.
fn attr<'a>(list: &'a Json, key: &str) -> Option<&'a Json> {
    list.as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

fn keys(list: &Json) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().map(|kv| kv["key"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn span_of(out: &Json, i: usize) -> &Json {
    &out["resourceSpans"][i]["scopeSpans"][0]["spans"][0]
}

#[test]
fn content_modes_reach_events_links_nested_values_and_keep_metadata() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let tenants = ["acme", "hooli", "umbrella", "soylent"];
    let line = json!({ "resourceSpans": (tenants.map(resource_spans)) });
    let (out, _) = run(&mut plugin, payload(line.clone()), |_| {});

    // keep: untouched, byte for byte.
    assert_eq!(
        out["resourceSpans"][0],
        normalized(&line)["resourceSpans"][0]
    );

    for i in 1..4 {
        let rs = &out["resourceSpans"][i];
        assert!(
            !has(rs, "FAKE-PROMPT") && !has(rs, "FAKE-ANSWER"),
            "{}: {rs:#}",
            tenants[i]
        );
        let span = span_of(&out, i);
        // Metadata stays: model, tokens, timing, status, names.
        assert_eq!(
            attr(&span["attributes"], "gen_ai.request.model"),
            Some(&s("gpt-4o"))
        );
        assert_eq!(
            attr(&span["attributes"], "gen_ai.usage.input_tokens"),
            Some(&json!({ "intValue": "12" }))
        );
        assert_eq!(span["endTimeUnixNano"], "1700000001500000000");
        assert_eq!(
            span["status"],
            json!({ "code": 2, "message": "upstream timeout" })
        );
        assert_eq!(span["name"], "chat gpt-4o");
        assert_eq!(span["events"][0]["name"], "gen_ai.content.prompt");
        assert_eq!(
            span["events"][1]["attributes"][1]["value"],
            json!({ "intValue": "0" })
        );
        assert_eq!(
            attr(&span["events"][2]["attributes"], "exception.type"),
            Some(&s("TimeoutError"))
        );
    }

    // strip: content attributes removed; leaves it cannot remove emptied.
    let span = span_of(&out, 1);
    assert_eq!(
        keys(&span["attributes"]),
        [
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "llm",
            "app.feature",
            "sluice.residency.content",
        ]
    );
    assert_eq!(
        attr(&span["attributes"], "llm"),
        Some(&kvlist(vec![
            kv("prompts", array(vec![s("")])),
            kv("vendor", s("openai"))
        ])),
        "a content key nested in another attribute is emptied"
    );
    assert_eq!(
        attr(&span["events"][0]["attributes"], "gen_ai.prompt"),
        Some(&s(""))
    );
    assert_eq!(
        attr(&span["events"][1]["attributes"], "message"),
        Some(&s("")),
        "content event"
    );
    assert_eq!(
        attr(&span["events"][2]["attributes"], "exception.message"),
        Some(&s("FAKE-ERROR upstream slow")),
        "strip keeps what is not content"
    );
    assert_eq!(
        attr(&span["links"][0]["attributes"], "gen_ai.prompt"),
        Some(&s(""))
    );
    assert_eq!(
        attr(&span["links"][0]["attributes"], "link.reason"),
        Some(&s("retry"))
    );
    assert_eq!(
        attr(&span["attributes"], "sluice.residency.content"),
        Some(&s("strip"))
    );

    // hash: every content string leaf becomes its keyed digest; the shape stays.
    let key = HmacKey::new(KEY.as_bytes());
    let d = |t: &str| s(&digest(Some(&key), t));
    let span = span_of(&out, 2);
    assert_eq!(
        attr(&span["attributes"], "gen_ai.input.messages"),
        Some(&array(vec![kvlist(vec![
            kv("role", d("user")),
            kv(
                "parts",
                array(vec![kvlist(vec![
                    kv("type", d("text")),
                    kv("content", d(PROMPT))
                ])])
            ),
        ])]))
    );
    assert_eq!(
        attr(&span["events"][0]["attributes"], "gen_ai.prompt"),
        Some(&d(PROMPT)),
        "the same prompt has the same digest everywhere in the tenant"
    );
    assert_eq!(
        attr(&span["events"][1]["attributes"], "message"),
        Some(&d(ANSWER))
    );
    assert_eq!(
        attr(&span["links"][0]["attributes"], "gen_ai.prompt"),
        Some(&d(PROMPT))
    );
    assert_eq!(
        attr(&span["attributes"], "llm"),
        Some(&kvlist(vec![
            kv("prompts", array(vec![d(PROMPT)])),
            kv("vendor", s("openai"))
        ]))
    );

    // metadata_only: only allow-listed strings; numbers stay.
    let rs = &out["resourceSpans"][3];
    let span = span_of(&out, 3);
    assert_eq!(
        keys(&rs["resource"]["attributes"]),
        ["tenant.id", "service.name"]
    );
    assert_eq!(
        keys(&rs["scopeSpans"][0]["scope"]["attributes"]),
        Vec::<&str>::new()
    );
    assert_eq!(
        keys(&span["attributes"]),
        [
            "gen_ai.operation.name",
            "gen_ai.request.model",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "app.feature",
            "sluice.residency.content",
        ]
    );
    assert_eq!(
        attr(&span["events"][2]["attributes"], "exception.message"),
        Some(&s(""))
    );
    assert_eq!(
        attr(&span["links"][0]["attributes"], "link.reason"),
        Some(&s(""))
    );
    assert!(!has(rs, "FAKE-ERROR") && !has(rs, "FAKE-TOKEN"));
}

#[test]
fn log_bodies_are_content_at_any_depth() {
    let mut plugin = Residency::init(POLICIES).unwrap();
    let line = json!({ "resourceLogs": (["acme", "hooli", "umbrella"].map(resource_logs)) });
    let (out, _) = run(&mut plugin, payload(line.clone()), |_| {});
    assert_eq!(out["resourceLogs"][0], normalized(&line)["resourceLogs"][0]);
    let logs = |i: usize| &out["resourceLogs"][i]["scopeLogs"][0]["logRecords"];
    let hooli = logs(1);
    assert_eq!(
        hooli[0]["body"],
        kvlist(vec![
            kv("role", s("")),
            kv("content", s("")),
            kv(
                "tool_calls",
                array(vec![kvlist(vec![kv(
                    "function",
                    kvlist(vec![kv("arguments", s(""))])
                )])])
            ),
        ])
    );
    assert_eq!(hooli[0]["eventName"], "gen_ai.user.message");
    assert_eq!(
        attr(&hooli[0]["attributes"], "gen_ai.system"),
        Some(&s("openai"))
    );
    assert_eq!(hooli[1]["body"], s(""));
    let key = HmacKey::new(KEY.as_bytes());
    let umbrella = logs(2);
    assert_eq!(
        umbrella[1]["body"],
        s(&digest(Some(&key), &format!("answered: {ANSWER}")))
    );
    assert_eq!(
        umbrella[0]["body"]["kvlistValue"]["values"][1]["value"],
        s(&digest(Some(&key), PROMPT))
    );
    assert!(!has(&out["resourceLogs"][1], "FAKE-") && !has(&out["resourceLogs"][2], "FAKE-"));
}

#[test]
fn denials_are_final_against_a_later_plugin_and_a_record_with_nowhere_to_go_is_unroutable() {
    let mut plugin = Residency::init(&format!(
        "{POLICIES}\n[[tenants]]\ntenant = \"nowhere\"\nregions = [\"apac\"]\n"
    ))
    .unwrap();
    let line =
        json!({ "resourceSpans": (["acme", "stranger", "hooli", "nowhere"].map(resource_spans)) });
    let (_, masks) = run(&mut plugin, payload(line), |state| {
        // A later plugin adds the vendor (and the US archive) to every row.
        let all: Vec<u32> = (0..state.row_count() as u32).collect();
        state.add_destination(&all, "vendor").unwrap();
        state.add_destination(&all, "us-archive").unwrap();
    });
    let (eu, us, vendor) = (1u64, 2u64, 4u64);
    assert_eq!(
        masks[0],
        eu | vendor,
        "acme: eu only; the vendor is allowed, the us archive not"
    );
    assert_eq!(
        masks[1],
        eu | us,
        "a tenant without a policy: no vendor, even when added"
    );
    assert_eq!(masks[2], eu | us | vendor, "hooli: anywhere");
    assert_eq!(masks[3], 0, "nowhere: unroutable, never sent by default");
}
