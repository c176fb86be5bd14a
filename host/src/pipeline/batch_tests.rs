//! Unit tests of the batch view: reads, journaled edits, drops, routes and splitting.

use super::BatchState;
use crate::config::Config;
use crate::otlp::{Payload, json};
use crate::router::{self, Destinations};
use sluice_plugin_sdk::{Column, Key, PackedStrings, RecordsApi, Scope, TextOrigin, ValueKind};
use std::sync::Arc;

const TRACES: &str = r#"{"resourceSpans":[
 {"resource":{"attributes":[{"key":"tenant.id","value":{"stringValue":"acme"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[
   {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","attributes":[
     {"key":"n","value":{"intValue":"7"}},
     {"key":"nested","value":{"kvlistValue":{"values":[{"key":"inner","value":{"arrayValue":{"values":[{"stringValue":"deep"},{"intValue":"1"}]}}}]}}}],
    "events":[{"name":"ev","attributes":[{"key":"e","value":{"stringValue":"evv"}}]}]},
   {"name":"b","attributes":[{"key":"n","value":{"stringValue":"seven"}}]}]}]},
 {"resource":{},"scopeSpans":[{"scope":{},"spans":[{"name":"c"}]}]}]}"#;

fn destinations() -> Arc<Destinations> {
    let config: Config = toml::from_str(
        "[[destinations]]\nname = \"a\"\ntype = \"discard\"\n[[destinations]]\nname = \"b\"\ntype = \"discard\"\n[[destinations]]\nname = \"evals\"\ntype = \"discard\"\n[routing]\ndefault = [\"a\", \"b\"]\n",
    )
    .unwrap();
    Arc::new(Destinations::from_config(&config))
}

fn batch() -> BatchState {
    let payload = json::decode_line(&TRACES.replace('\n', ""))
        .unwrap()
        .remove(0);
    BatchState::new(payload, destinations())
}

#[test]
fn reads_columns_with_mixed_types_and_shared_resource_values() {
    let b = batch();
    assert_eq!(b.len(), 3);
    let n = b.column(&Key::record("n"));
    assert_eq!(
        n.kinds,
        vec![ValueKind::Int, ValueKind::Str, ValueKind::Absent]
    );
    assert_eq!(
        (n.int(0), n.str(1), n.ints.len(), n.strings.len()),
        (Some(7), Some("seven"), 3, 3)
    );
    let tenant = b.column(&Key::resource("tenant.id"));
    assert_eq!(
        (tenant.str(0), tenant.str(1), tenant.kind(2)),
        (Some("acme"), Some("acme"), ValueKind::Absent)
    );
    assert!(tenant.ints.is_empty() && tenant.doubles.is_empty() && tenant.bools.is_empty());
    let ids = b.trace_ids();
    assert_eq!(hex::encode(&ids[..16]), "5b8efff798038103d269b633813fc60c");
    assert_eq!(&ids[16..], &[0u8; 32][..]);
}

#[test]
fn keys_lists_each_attribute_key_once() {
    let b = batch();
    let record: Vec<String> = b.keys(Scope::Record).iter().map(String::from).collect();
    assert_eq!(record, vec!["n", "nested"]);
    let resource: Vec<String> = b.keys(Scope::Resource).iter().map(String::from).collect();
    assert_eq!(resource, vec!["tenant.id"]);
    assert!(b.keys(Scope::InstrumentationScope).is_empty());
}

#[test]
fn edits_apply_only_on_commit_and_vanish_on_rollback() {
    let mut b = batch();
    let before = b.payload().clone();
    let mut col = sluice_plugin_sdk::ColumnBuilder::new(3);
    col.set_double(0, 1.5);
    b.set_column(&Key::record("cost"), col.finish()).unwrap();
    b.drop_rows(&[1]).unwrap();
    assert_eq!(
        b.payload(),
        &before,
        "reads during a call see the batch as handed over"
    );
    b.rollback();
    b.commit();
    assert_eq!(b.payload(), &before);
    assert_eq!(b.row_count(), 3);
}

#[test]
fn shape_errors_name_the_lane() {
    let mut b = batch();
    let bad = Column {
        kinds: vec![ValueKind::Int; 3],
        ints: vec![1, 2],
        ..Default::default()
    };
    let err = b.set_column(&Key::record("x"), bad).unwrap_err();
    assert!(
        err.contains("lane `ints` has 2 entries for 3 rows"),
        "{err}"
    );
    let err = b.drop_rows(&[0, 9]).unwrap_err();
    assert!(
        err.contains("row 9 is out of range: the batch has 3 rows"),
        "{err}"
    );
    let err = b.add_destination(&[0], "nowhere").unwrap_err();
    assert!(
        err.contains("unknown destination `nowhere`; configured: a, b, evals"),
        "{err}"
    );
}

#[test]
fn texts_reach_nested_values_events_and_shared_resources_once() {
    let mut b = batch();
    let t = b.texts(&[0, 1]).unwrap();
    let listed: Vec<(u32, TextOrigin, &str, &str)> = (0..t.ids.len())
        .map(|i| {
            (
                t.rows[i],
                t.origins[i],
                t.keys.get(i).unwrap(),
                t.strings.get(i).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (0, TextOrigin::ResourceAttribute, "tenant.id", "acme"),
            (0, TextOrigin::Name, "", "a"),
            (0, TextOrigin::Attribute, "nested.inner", "deep"),
            (0, TextOrigin::Event, "", "ev"),
            (0, TextOrigin::Event, "e", "evv"),
            (1, TextOrigin::Name, "", "b"),
            (1, TextOrigin::Attribute, "n", "seven"),
        ]
    );
    let deep = t.strings.iter().position(|s| s == "deep").unwrap();
    let acme = t.strings.iter().position(|s| s == "acme").unwrap();
    let new: PackedStrings = ["DEEP", "ACME"].into_iter().collect();
    b.replace_texts(&[t.ids[deep], t.ids[acme]], new).unwrap();
    b.commit();
    let line = json::encode_line(b.payload());
    assert!(
        line.contains(r#"{"stringValue":"DEEP"}"#) && line.contains(r#""stringValue":"ACME""#),
        "{line}"
    );
    assert!(!line.contains("deep") && !line.contains("acme"));
}

#[test]
fn drops_prune_empty_envelopes_and_denials_are_final() {
    let mut b = batch();
    b.add_destination(&[0, 2], "evals").unwrap();
    b.deny_destination(&[0], "evals").unwrap();
    b.deny_destination(&[0], "a").unwrap();
    b.drop_rows(&[2]).unwrap();
    b.commit();
    // A later call cannot give a denied destination back.
    b.add_destination(&[0], "evals").unwrap();
    b.commit();
    assert_eq!(b.row_count(), 2);
    let done = b.finish();
    assert_eq!(done.dropped, 1);
    assert_eq!(done.masks, vec![0b010, 0b011]);
    let Payload::Traces(req) = &done.payload else {
        panic!()
    };
    assert_eq!(
        req.resource_spans.len(),
        1,
        "the resource whose only span was dropped is pruned"
    );
    let split = router::split(done.payload, &done.masks, 3);
    let names: Vec<(usize, usize)> = split
        .iter()
        .map(|(d, p)| (*d, crate::pipeline::rows::index(p).len()))
        .collect();
    assert_eq!(names, vec![(0, 1), (1, 2)]);
}

#[test]
fn resource_writes_are_shared_and_removes_hit_only_given_rows() {
    let mut b = batch();
    let mut col = sluice_plugin_sdk::ColumnBuilder::new(3);
    col.set_str(0, "eu");
    col.set_str(2, "us");
    b.set_column(
        &Key {
            scope: Scope::Resource,
            name: "region".into(),
        },
        col.finish(),
    )
    .unwrap();
    b.remove(&Key::record("n"), &[1]).unwrap();
    b.commit();
    let region = b.column(&Key::resource("region"));
    assert_eq!(
        (region.str(0), region.str(1), region.str(2)),
        (Some("eu"), Some("eu"), Some("us"))
    );
    let n = b.column(&Key::record("n"));
    assert_eq!(
        n.kinds,
        vec![ValueKind::Int, ValueKind::Absent, ValueKind::Absent]
    );
}

#[test]
fn intrinsic_fields_read_as_columns_and_refuse_edits() {
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1000","endTimeUnixNano":"4500","status":{"code":2,"message":"boom"},"traceState":"ot=rv:abcdef01234567"},
        {"name":"b","status":{}}]}]}]}"#
        .replace('\n', "");
    let payload = json::decode_line(&line).unwrap().remove(0);
    let mut b = BatchState::new(payload, destinations());
    let strs = |name: &str| {
        let c = b.column(&Key::record(name));
        (0..2)
            .map(|r| c.str(r).map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strs("@name"),
        [Some("chat gpt-4o".into()), Some("b".into())]
    );
    assert_eq!(strs("@kind"), [Some("client".into()), None]);
    assert_eq!(
        strs("@status.code"),
        [Some("error".into()), Some("unset".into())]
    );
    assert_eq!(strs("@status.message"), [Some("boom".into()), None]);
    assert_eq!(
        strs("@trace_state"),
        [Some("ot=rv:abcdef01234567".into()), None]
    );
    let times = b.column(&Key::record("@duration_nano"));
    assert_eq!(times.kinds, [ValueKind::Int, ValueKind::Absent]);
    assert_eq!(times.ints[0], 3500);
    assert_eq!(b.column(&Key::record("@time_unix_nano")).ints[0], 4500);
    let err = b.remove(&Key::record("@name"), &[0]).unwrap_err();
    assert!(err.contains("`@name` is an intrinsic field"), "{err}");
    let mut col = sluice_plugin_sdk::ColumnBuilder::new(2);
    col.set_str(0, "x");
    assert!(
        b.set_column(&Key::record("@status.code"), col.finish())
            .is_err()
    );
}
