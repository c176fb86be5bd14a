//! Tests of the runtime against real components: the sandbox grants, the compile cache and
//! load errors.

use super::{LoadError, LoadedPlugin, PluginSource, Runtime, RuntimeOptions};
use crate::config::{Config, PluginConfig};
use crate::otlp::json;
use crate::pipeline::BatchState;
use crate::router::Destinations;
use sluice_artifacts::test_plugins;
use sluice_plugin_sdk::{Key, RecordsApi};
use std::path::Path;
use std::sync::Arc;

const ONE_SPAN: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s"}]}]}]}"#;

fn stage(toml_text: &str) -> PluginConfig {
    let config: Config = toml::from_str(toml_text).unwrap();
    config.plugins.into_iter().next().unwrap()
}

fn load(runtime: &Runtime, path: &str, cfg: &PluginConfig) -> Result<Arc<LoadedPlugin>, LoadError> {
    load_with(runtime, path, cfg, "")
}

fn load_with(
    runtime: &Runtime,
    path: &str,
    cfg: &PluginConfig,
    config: &str,
) -> Result<Arc<LoadedPlugin>, LoadError> {
    let bytes = std::fs::read(path).unwrap();
    let source = PluginSource::File(path.into());
    LoadedPlugin::from_bytes(
        runtime,
        &bytes,
        source,
        cfg,
        config.into(),
        Arc::new(Destinations::default()),
    )
}

fn probe(cfg: &PluginConfig) -> Vec<(String, String)> {
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    // The probe reads the variable its config names; PATH is set wherever tests run.
    let plugin = load_with(&runtime, test_plugins::SANDBOX_PROBE, cfg, "PATH").unwrap();
    let mut instance = plugin.instantiate().unwrap();
    let payload = json::decode_line(ONE_SPAN).unwrap().remove(0);
    let (batch, result) =
        instance.process(BatchState::new(payload, Arc::new(Destinations::default())));
    result.unwrap();
    ["probe.env", "probe.fs", "probe.clock", "probe.net"]
        .iter()
        .map(|k| {
            (
                k.to_string(),
                batch
                    .column(&Key::record(*k))
                    .str(0)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn a_plugin_gets_no_env_files_clock_or_network_unless_granted() {
    let dir = tempfile::tempdir().unwrap();
    let denied = probe(&stage("[[plugins]]\nname = \"probe\"\npath = \"x\"\n"));
    assert_eq!(denied[0].1, "denied");
    assert_eq!(denied[1].1, "NotFound", "no directory is preopened");
    assert_eq!(denied[2].1, "0", "the clock is frozen");
    assert_eq!(denied[3].1, "PermissionDenied");

    let granted = stage(&format!(
        "[[plugins]]\nname = \"probe\"\npath = \"x\"\n[plugins.grants]\nenv = [\"PATH\"]\nclock = true\nnetwork = true\ndirs = [{{ host = \"{}\", guest = \"/probe\" }}]\n",
        dir.path().display()
    ));
    let allowed = probe(&granted);
    assert_eq!(allowed[0].1, std::env::var("PATH").unwrap());
    assert_eq!(allowed[1].1, "ok");
    assert!(
        allowed[2].1.parse::<u64>().unwrap() > 1_600_000_000,
        "real clock: {}",
        allowed[2].1
    );
    assert_eq!(
        allowed[3].1, "ConnectionRefused",
        "the connect reached the host's loopback"
    );
}

#[test]
fn compiled_components_are_cached_by_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.clone()),
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    let cfg = stage("[[plugins]]\nname = \"p\"\npath = \"x\"\n");
    let first = load(&runtime, test_plugins::PASSTHROUGH, &cfg).unwrap();
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1);
    let name = entries[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        name.starts_with(&first.sha256),
        "{name} is keyed by {}",
        first.sha256
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&cache).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
    // A damaged entry is recompiled, not trusted.
    std::fs::write(&entries[0], b"garbage").unwrap();
    let again = load(&runtime, test_plugins::PASSTHROUGH, &cfg).unwrap();
    assert_eq!(again.sha256, first.sha256);
    assert!(
        std::fs::read(&entries[0]).unwrap().len() > 100,
        "the entry was rewritten"
    );
}

#[test]
fn load_errors_name_the_plugin_and_the_cause() {
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    let cfg = stage("[[plugins]]\nname = \"broken\"\npath = \"x\"\n");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0").unwrap();
    let err = load(&runtime, junk.to_str().unwrap(), &cfg)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("plugin `broken`: not a loadable WebAssembly component"),
        "{err}"
    );

    let bad = stage("[[plugins]]\nname = \"strict\"\npath = \"x\"\n");
    let bytes = std::fs::read(test_plugins::BAD_CONFIG).unwrap();
    let err = LoadedPlugin::from_bytes(
        &runtime,
        &bytes,
        PluginSource::File(Path::new("b").into()),
        &bad,
        "threshold = \"high\"".into(),
        Arc::new(Destinations::default()),
    )
    .err()
    .unwrap()
    .to_string();
    assert_eq!(
        err,
        "plugin `strict`: init failed: bad-config: field `threshold`: expected a number, got `\"high\"`"
    );
}

#[test]
fn an_instance_serves_more_calls_than_the_store_handle_limit() {
    // wasmtime caps a store at 100,000 live handles: a handle leaked per call would trap here.
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    let cfg = stage("[[plugins]]\nname = \"p\"\npath = \"x\"\n");
    let plugin = load(&runtime, test_plugins::PASSTHROUGH, &cfg).unwrap();
    let mut instance = plugin.instantiate().unwrap();
    let payload = json::decode_line(ONE_SPAN).unwrap().remove(0);
    let mut batch = BatchState::new(payload, Arc::new(Destinations::default()));
    for call in 0..100_100 {
        let (back, result) = instance.process(batch);
        assert!(result.is_ok(), "call {call}: {result:?}");
        batch = back;
    }
}

#[test]
fn plugin_counters_reach_the_metrics_only_from_calls_that_succeed() {
    use crate::metrics::Metrics;
    use crate::pipeline::{Chain, ChainOutcome};
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    let cfg = stage("[[plugins]]\nname = \"tally\"\npath = \"x\"\n");
    let config = "[[rules]]\nwhen = { key = \"k\", equals = \"a\" }\ncount = \"matched\"\nlabels = { rule = \"a\" }\n";
    let plugin = load_with(&runtime, test_plugins::EDIT, &cfg, config).unwrap();
    let metrics = Arc::new(Metrics::new(10));
    let mut chain = Chain::new(&[plugin], Some(metrics.clone())).unwrap();
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"name":"1","attributes":[{"key":"k","value":{"stringValue":"a"}}]},
        {"name":"2","attributes":[{"key":"k","value":{"stringValue":"a"}}]},
        {"name":"3"}]}]}]}"#
        .replace('\n', "");
    for _ in 0..2 {
        let payload = json::decode_line(&line).unwrap().remove(0);
        let outcome = chain.run(BatchState::new(payload, Arc::new(Destinations::default())));
        assert!(matches!(outcome, ChainOutcome::Processed(_)));
    }
    let text = metrics.encode();
    assert!(
        text.contains(r#"sluice_plugin_events_total{plugin="tally",event="matched",rule="a"} 4"#),
        "{text}"
    );

    // A call that fails after counting counts nothing.
    let mut b = BatchState::new(
        json::decode_line(ONE_SPAN).unwrap().remove(0),
        Arc::new(Destinations::default()),
    );
    b.count("x", &[], 1).unwrap();
    b.rollback();
    assert!(b.take_counts().is_empty());
    assert!(
        b.count("Bad", &[], 1)
            .unwrap_err()
            .contains("not a counter name")
    );
}

#[test]
fn the_perf_map_profiler_names_plugin_functions_compiled_or_cached() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(dir.path().join("cache")),
        max_instances: 8,
        profiler: crate::config::Profiler::PerfMap,
        ..Default::default()
    })
    .unwrap();
    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
    let cfg = stage("[[plugins]]\nname = \"p\"\npath = \"x\"\n");
    let names = || {
        let text = std::fs::read_to_string(&map).unwrap_or_default();
        text.lines().filter(|l| l.contains("process")).count()
    };
    load(&runtime, test_plugins::PASSTHROUGH, &cfg).unwrap();
    let compiled = names();
    // The second load comes from the compile cache; its code is registered again.
    load(&runtime, test_plugins::PASSTHROUGH, &cfg).unwrap();
    let cached = names();
    let _ = std::fs::remove_file(&map);
    assert!(
        compiled > 0,
        "no function of the plugin in {}",
        map.display()
    );
    assert!(cached > compiled, "the cached load was not described");
}
