//! Golden tests: the real `sluice` binary, through real compiled plugins, on the OTLP JSON
//! lines of each `tests/golden/<case>/` (see `support/golden.rs` for the layout).
//! `SLUICE_BLESS=1` rewrites the expected files; review every change by hand.

mod support;

use support::{golden, jsonl};

macro_rules! cases {
    ($($test:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $test() {
                golden::check($case, &[], true);
            }
        )*
        /// Every case this file runs.
        const CASES: &[&str] = &[$($case),*];
    };
}

cases! {
    passthrough_leaves_every_signal_identical => "passthrough",
    set_at_record_resource_and_scope_with_every_type => "set-attributes",
    remove_record_attributes => "remove-attribute",
    replace_texts_reaches_every_string_leaf => "replace-texts",
    drops_prune_empty_scopes_metrics_and_resources => "drop-records",
    routing_default_add_and_final_deny => "destinations",
    malformed_line_is_reported_and_skipped => "malformed-line",
    add_attribute_plugin => "add-attribute",
    two_stage_chain_sees_earlier_edits => "chain-add-attribute-then-edit",
    residency_denials_win_over_a_later_eval_sampler => "residency-then-eval",
    redact_builtin_redacts_every_leaf_and_previews_content => "redact-builtin",
    redact_span_events_log_bodies_and_rule_names => "redact-events",
    eval_sample_strata_overrides_tracestate_rules_and_memory => "eval-sample-strata",
    residency_content_modes_keep_strip_hash_metadata_only => "residency-content",
}

#[test]
fn every_case_directory_has_a_test() {
    let listed: std::collections::BTreeSet<String> = CASES.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        golden::all_cases(),
        listed,
        "tests/golden/ and the `cases!` list of golden.rs differ"
    );
}

/// Sampling decisions are a function of the input (trace ids, attributes, record times), never
/// of the clock or the run: two separate `sluice process` runs write byte-identical files.
#[test]
fn eval_sample_two_runs_write_identical_output() {
    let first = golden::check("eval-sample-strata", &[], false);
    let second = golden::check("eval-sample-strata", &[], false);
    assert!(
        first.output == second.output,
        "two runs differ:\n{}\n---\n{}",
        first.output,
        second.output
    );
}

/// The passthrough golden is only worth something if its expected output is its input.
#[test]
fn passthrough_expected_output_is_its_input() {
    let dir = golden::case_dir("passthrough");
    let input = jsonl::read(&dir.join("input.jsonl"));
    assert!(!input.is_empty());
    if let Some(report) = jsonl::compare(&input, &jsonl::read(&dir.join("expected.jsonl"))) {
        panic!("passthrough/expected.jsonl differs from its input.jsonl:\n{report}");
    }
}
