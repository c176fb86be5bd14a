//! Unit tests of the plugin-level decisions: which rate a record gets, and how the memory and
//! the budgets turn a trace's rate and rule verdicts into one decision. (Whole batches are
//! tested natively on the host's `BatchState` in `tests/native.rs`.)

use super::*;
use sluice_plugin_sdk::Plugin;

fn plugin(extra: &str) -> EvalSample {
    EvalSample::init(&format!("destination = \"evals\"\nrate = 0.01\n{extra}")).unwrap()
}

fn values(v: [Option<&str>; 5]) -> [Option<Cow<'static, str>>; 5] {
    v.map(|x| x.map(|s| Cow::Owned(s.to_string())))
}

const STRATA: &str = r#"
[time]
end_attribute = "t"
[rates.tenant]
acme = 0.2
[rates.model]
"gpt-4o*" = 0.3
[rates.route]
"/chat" = 0.4
[rates.feature]
support = 0.5
[rates.prompt_version]
"v7" = 0.6
[[overrides]]
tenant = "acme"
model = "gpt-4o*"
rate = 0.05
[[overrides]]
prompt_version = "v8"
rate = 1.0
until = "2025-07-01T00:00:00Z"
"#;

#[test]
fn the_most_specific_stratum_wins_in_the_documented_order() {
    let p = plugin(STRATA);
    let s = p.settings();
    // [prompt_version, feature, route, model, tenant]
    let rate = |v| s.rate_for(&values(v), None);
    assert_eq!(rate([None, None, None, None, None]), 0.01);
    assert_eq!(rate([None, None, None, None, Some("globex")]), 0.01);
    assert_eq!(rate([None, None, None, None, Some("acme")]), 0.2);
    assert_eq!(
        rate([None, None, None, Some("gpt-4o-mini"), Some("globex")]),
        0.3
    );
    assert_eq!(rate([None, None, Some("/chat"), Some("gpt-4o"), None]), 0.4);
    assert_eq!(
        rate([None, Some("support"), Some("/chat"), None, None]),
        0.5
    );
    assert_eq!(
        rate([Some("v7"), Some("support"), Some("/chat"), None, None]),
        0.6
    );
    // An unknown value of a more specific stratum falls through to the next one.
    assert_eq!(
        rate([Some("v1"), Some("sales"), None, Some("o3"), Some("acme")]),
        0.2
    );
    // A permanent override of a combination beats every single stratum.
    assert_eq!(
        rate([Some("v7"), None, None, Some("gpt-4o"), Some("acme")]),
        0.05
    );
}

#[test]
fn a_time_boxed_override_applies_only_inside_its_window() {
    let p = plugin(STRATA);
    let s = p.settings();
    let v8 = values([Some("v8"), Some("support"), None, None, None]);
    let until = decide::parse_rfc3339("2025-07-01T00:00:00Z").unwrap();
    assert_eq!(s.rate_for(&v8, Some(until - 1)), 1.0);
    assert_eq!(
        s.rate_for(&v8, Some(until)),
        0.5,
        "expired: the feature's rate"
    );
    assert_eq!(
        s.rate_for(&v8, None),
        0.5,
        "no time: the window is not known to be open"
    );
}

const ID: [u8; 16] = [7; 16];

#[test]
fn a_rate_pick_wins_over_a_rule_and_is_remembered() {
    let mut st = plugin("").state;
    let p = st.decide(Some(ID), Some(0.25), Some(3), "t", 0).unwrap();
    assert_eq!((p.reason, p.weight), (Reason::Rate, 4.0));
    // A later batch: whatever its verdicts, the same decision.
    let again = st.decide(Some(ID), None, None, "t", 0).unwrap();
    assert_eq!(again, p);
    assert_eq!(st.remembered(&ID), Some(p));
    let rule = st.decide(Some([8; 16]), None, Some(1), "t", 0).unwrap();
    assert_eq!((rule.reason, rule.weight), (Reason::Rule(1), 1.0));
    // Nothing picked, nothing remembered.
    assert_eq!(st.decide(Some([9; 16]), None, None, "t", 0), None);
    assert_eq!(st.remembered_traces(), 2);
    // Records outside a trace are decided alone and never remembered.
    assert!(st.decide(None, None, Some(0), "t", 0).is_some());
    assert_eq!(st.remembered_traces(), 2);
}

#[test]
fn budget_refusals_are_final_per_kind_and_a_rule_can_still_pick() {
    let mut st = plugin(
        "[time]\nend_attribute = \"t\"\n[budget]\nrate_per_minute = 1\nrule_per_minute = 1\n",
    )
    .state;
    let id = |i: u8| Some([i; 16]);
    assert!(st.decide(id(1), Some(0.5), None, "a", 0).is_some());
    // The rate bucket is empty: refused, and remembered as refused.
    assert_eq!(st.decide(id(2), Some(0.5), None, "a", 0), None);
    // Another tenant is not affected.
    assert!(st.decide(id(3), Some(0.5), None, "b", 0).is_some());
    // A minute later the bucket has a token, but trace 2 stays refused (one decision).
    assert_eq!(st.decide(id(2), Some(0.5), None, "a", 60_000_000_000), None);
    // ...unless a rule matches it: the rule budget is separate.
    let p = st
        .decide(id(2), Some(0.5), Some(0), "a", 60_000_000_000)
        .unwrap();
    assert_eq!(p.reason, Reason::Rule(0));
    // The rate token of that minute is still there for a new trace.
    assert!(
        st.decide(id(4), Some(0.5), None, "a", 60_000_000_000)
            .is_some()
    );
    // The rule bucket is empty now: a rule-matching trace is refused and stays refused.
    assert_eq!(st.decide(id(5), None, Some(0), "a", 60_000_000_000), None);
    assert_eq!(st.decide(id(5), None, Some(0), "a", 600_000_000_000), None);
    // Each refusal is counted once, for the host's `budget_exhausted` counter.
    let refused: Vec<_> = st.take_refused().into_iter().collect();
    assert_eq!(
        refused,
        [
            (("a".to_string(), "rate"), 1),
            (("a".to_string(), "rule"), 1)
        ]
    );
    assert!(st.take_refused().is_empty());
    assert!(
        st.decide(id(6), None, Some(0), "a", 600_000_000_000)
            .is_some()
    );
}

#[test]
fn the_memory_is_bounded() {
    let mut st = plugin("[memory]\ntraces = 3\n").state;
    for i in 0..10u8 {
        st.decide(Some([i; 16]), Some(1.0), None, "", 0);
    }
    assert_eq!(st.remembered_traces(), 3);
    assert!(st.remembered(&[9; 16]).is_some());
    assert!(st.remembered(&[6; 16]).is_none());
    let mut none = plugin("[memory]\ntraces = 0\n").state;
    none.decide(Some(ID), Some(1.0), None, "", 0);
    assert_eq!(none.remembered_traces(), 0);
}

#[test]
fn init_errors_name_the_field() {
    let err = EvalSample::init("destination = \"e\"\nrate = 1.5\n")
        .err()
        .unwrap();
    assert_eq!(err, "eval-sample: rate: 1.5 is outside 0..=1");
    let err = EvalSample::init("destination = \"e\"\nrate = 0.1\n[rates.tenant]\nacme = -1.0\n")
        .err()
        .unwrap();
    assert_eq!(err, "eval-sample: rates.tenant.acme: -1 is outside 0..=1");
    let err = EvalSample::init("destination = \"e\"\nrate = 0.1\ntenants = {}\n")
        .err()
        .unwrap();
    assert!(
        err.starts_with("eval-sample: tenants: unknown field `tenants`"),
        "{err}"
    );
    let err = EvalSample::init("destination = \"e\"\nrate = 0.1\n[budget]\nrate_burst = 5\n")
        .err()
        .unwrap();
    assert_eq!(
        err,
        "eval-sample: budget.rate_burst: needs `budget.rate_per_minute`"
    );
}

#[test]
fn an_unknown_destination_is_refused_at_init() {
    let p = plugin("");
    let dest = |name: &str| Destination {
        name: name.into(),
        region: None,
        third_party: false,
        retains: true,
    };
    assert_eq!(p.check_destination(&[dest("main"), dest("evals")]), Ok(()));
    assert_eq!(p.check_destination(&[]), Ok(()));
    assert_eq!(
        p.check_destination(&[dest("main"), dest("archive")]),
        Err("eval-sample: destination: `evals` is not a configured destination (configured: main, archive)".into())
    );
}
