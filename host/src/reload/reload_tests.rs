//! The reloader against real components in a real folder: add, replace, refuse (corrupt
//! file, init refusing its config, untrusted digest), remove, and main-config edits.

use super::*;
use crate::config::load_str;
use crate::plugin::RuntimeOptions;
use sluice_artifacts::test_plugins;
use std::path::Path;

struct Fixture {
    dir: tempfile::TempDir,
    reloader: Reloader,
}

const BASE: &str = "[[destinations]]\nname = \"out\"\ntype = \"discard\"\n";

fn fixture(extra: &str) -> Fixture {
    fixture_with("", extra)
}

fn fixture_with(plugin_dir: &str, extra: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins.d");
    std::fs::create_dir(&plugins).unwrap();
    let text = format!(
        "[plugin_dir]\npath = \"plugins.d\"\ndebounce_ms = 50\n{plugin_dir}\n{extra}\n{BASE}"
    );
    let config_path = dir.path().join("sluice.toml");
    std::fs::write(&config_path, &text).unwrap();
    let config = load_str(&text, "sluice.toml", dir.path()).unwrap();
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 32,
        trusted_sha256: config.trust.plugin_sha256.clone(),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let destinations = Arc::new(Destinations::from_config(&config));
    let reloader = Reloader::new(
        Arc::new(runtime),
        destinations,
        Arc::new(LiveChain::new(Vec::new())),
        Arc::new(PluginStatus::default()),
        Arc::new(Metrics::new(10)),
        config,
        Some(config_path),
    );
    Fixture { dir, reloader }
}

impl Fixture {
    fn put(&self, name: &str, from: &str) {
        std::fs::copy(from, self.dir.path().join("plugins.d").join(name)).unwrap();
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join("plugins.d").join(name), text).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join("plugins.d").join(name)).unwrap();
    }

    fn reload(&mut self) -> ReloadReport {
        self.reloader.reload(Instant::now())
    }

    fn stages(&self) -> Vec<(String, String)> {
        self.reloader
            .live
            .current()
            .plugins
            .iter()
            .map(|p| (p.name.clone(), p.info.name.clone()))
            .collect()
    }
}

fn pair(stage: &str, plugin: &str) -> (String, String) {
    (stage.into(), plugin.into())
}

#[test]
fn stages_come_and_go_with_their_files_and_unchanged_stages_are_kept() {
    let mut f = fixture("");
    assert_eq!(f.reload().outcome, "unchanged");
    f.put("10-marker.wasm", test_plugins::ADD_ATTRIBUTE);
    f.write("10-marker.toml", "[config]\nkey = \"m\"\nvalue = \"v1\"\n");
    let r = f.reload();
    assert_eq!((r.outcome.as_str(), r.generation), ("applied", 2), "{r:?}");
    assert_eq!(f.stages(), [pair("marker", "add-attribute")]);
    let first = f.reloader.live.current().plugins[0].clone();

    f.put("20-tail.wasm", test_plugins::PASSTHROUGH);
    assert_eq!(f.reload().outcome, "applied");
    let now = f.reloader.live.current();
    assert!(
        Arc::ptr_eq(&now.plugins[0], &first),
        "the untouched stage keeps its plugin"
    );

    // A new binary under the same name replaces the stage.
    f.put("10-marker.wasm", test_plugins::EDIT);
    f.write(
        "10-marker.toml",
        "[config]\n[[config.rules]]\nset = { key = \"m\", value = \"v2\" }\n",
    );
    assert_eq!(f.reload().outcome, "applied");
    assert_eq!(
        f.stages(),
        [pair("marker", "edit"), pair("tail", "passthrough")]
    );

    f.remove("10-marker.wasm");
    f.remove("10-marker.toml");
    let r = f.reload();
    assert_eq!((r.outcome.as_str(), r.generation), ("applied", 5));
    assert_eq!(f.stages(), [pair("tail", "passthrough")]);
    let view = f.reloader.status.view();
    assert_eq!((view.generation, view.applied), (5, 4));
    assert_eq!(view.stages[0].stage, "tail");
}

#[test]
fn a_corrupt_file_or_a_refused_config_leaves_the_running_chain_alone() {
    let mut f = fixture("");
    f.put("10-tail.wasm", test_plugins::PASSTHROUGH);
    assert_eq!(f.reload().outcome, "applied");

    f.write("20-broken.wasm", "\0asm not really");
    let r = f.reload();
    assert_eq!(r.outcome, "refused");
    assert_eq!(r.generation, 2, "still the running chain");
    assert!(r.refused[0].file.ends_with("20-broken.wasm"), "{r:?}");
    assert!(
        r.refused[0]
            .reason
            .contains("plugin `broken`: not a loadable WebAssembly component"),
        "{r:?}"
    );
    f.remove("20-broken.wasm");

    f.put("30-strict.wasm", test_plugins::BAD_CONFIG);
    f.write("30-strict.toml", "[config]\nthreshold = \"high\"\n");
    let r = f.reload();
    assert_eq!(r.outcome, "refused");
    assert!(
        r.refused[0]
            .reason
            .contains("init failed: bad-config: field `threshold`"),
        "{r:?}"
    );
    assert_eq!(f.stages(), [pair("tail", "passthrough")]);
    assert_eq!(f.reloader.status.view().refused, 2);

    // Fixed in place: now it loads.
    f.write("30-strict.toml", "[config]\nthreshold = 3\n");
    assert_eq!(f.reload().outcome, "applied");
    assert_eq!(f.stages().len(), 2);
}

#[test]
fn files_outside_the_allow_list_are_refused() {
    let digest = crate::plugin::sha256_hex(&std::fs::read(test_plugins::PASSTHROUGH).unwrap());
    let mut f = fixture(&format!("[trust]\nplugin_sha256 = [\"{digest}\"]\n"));
    f.put("10-ok.wasm", test_plugins::PASSTHROUGH);
    assert_eq!(f.reload().outcome, "applied");
    f.put("20-other.wasm", test_plugins::ADD_ATTRIBUTE);
    f.write("20-other.toml", "[config]\nkey = \"k\"\nvalue = \"v\"\n");
    let r = f.reload();
    assert_eq!(r.outcome, "refused");
    assert!(
        r.refused[0]
            .reason
            .contains("is not in trust.plugin_sha256; refusing to load it"),
        "{r:?}"
    );
    assert_eq!(f.stages(), [pair("ok", "passthrough")]);
}

#[test]
fn main_config_plugin_edits_apply_and_other_sections_wait_for_a_restart() {
    let mut f = fixture("");
    let path = f.reloader.config_path.clone().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let with_stage = |value: &str| {
        format!(
            "{text}\n[[plugins]]\nname = \"stamp\"\npath = \"{}\"\n[plugins.config]\nkey = \"k\"\nvalue = \"{value}\"\n",
            Path::new(test_plugins::ADD_ATTRIBUTE).display()
        )
    };
    std::fs::write(&path, with_stage("a")).unwrap();
    assert_eq!(f.reload().outcome, "applied");
    let first = f.reloader.live.current().plugins[0].clone();
    assert_eq!(
        first.stage.config.as_ref().unwrap()["value"].as_str(),
        Some("a")
    );

    std::fs::write(
        &path,
        with_stage("b") + "[admin]\naddress = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let r = f.reload();
    assert_eq!(r.outcome, "applied");
    assert_eq!(r.needs_restart, ["`admin` changed"]);
    let second = f.reloader.live.current().plugins[0].clone();
    assert!(!Arc::ptr_eq(&first, &second));

    std::fs::write(
        &path,
        with_stage("c").replace("on_error", "x") + "[runtime]\nworkerz = 1\n",
    )
    .unwrap();
    let r = f.reload();
    assert_eq!(r.outcome, "refused");
    assert!(
        r.refused[0]
            .reason
            .contains("runtime.workerz: unknown field"),
        "{r:?}"
    );
    assert!(Arc::ptr_eq(&f.reloader.live.current().plugins[0], &second));
}

/// Lands a plugin in a watched folder and polls the live chain until it shows up.
fn watched_folder_picks_up(plugin_dir: &str) {
    let f = fixture_with(plugin_dir, "");
    let live = f.reloader.live.clone();
    let status = f.reloader.status.clone();
    let Fixture { dir, reloader } = f;
    let watch = watch(reloader).unwrap();
    let folder = dir.path().join("plugins.d");
    let tmp = folder.join(".10-tail.wasm.part");
    std::fs::copy(test_plugins::PASSTHROUGH, &tmp).unwrap();
    std::fs::rename(&tmp, folder.join("10-tail.wasm")).unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while live.generation() < 2 {
        assert!(Instant::now() < deadline, "{:?}", status.view());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(live.current().plugins[0].name, "tail");
    drop(watch);
}

#[test]
fn file_events_trigger_a_reload() {
    watched_folder_picks_up("");
}

#[test]
fn polling_triggers_a_reload_where_file_events_are_unreliable() {
    watched_folder_picks_up("poll_interval_ms = 50\n");
}

#[test]
fn a_worker_that_cannot_start_the_new_chain_keeps_running_the_old_one() {
    use crate::pipeline::{BatchState, Chain, ChainOutcome};
    // Room for two live instances only.
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: None,
        max_instances: 2,
        ..Default::default()
    })
    .unwrap();
    let destinations = Arc::new(Destinations::default());
    let load = |name: &str, path: &str, config: &str| {
        let mut stage = PluginConfig::named(name);
        stage.path = Some(path.into());
        stage.config = Some(config.parse().unwrap());
        LoadedPlugin::load(&runtime, &stage, destinations.clone()).unwrap()
    };
    let a = load("a", test_plugins::PASSTHROUGH, "");
    let b = load(
        "b",
        test_plugins::ADD_ATTRIBUTE,
        "key = \"k\"\nvalue = \"v\"",
    );
    let c = load("c", test_plugins::PASSTHROUGH, "");
    let live = LiveChain::new(vec![a.clone()]);
    let mut chain = Chain::new(&live.current().plugins, None).unwrap();
    chain.update(&live.current()).unwrap();
    live.publish(vec![a, b, c]);
    assert!(
        chain.update(&live.current()).is_err(),
        "a third instance does not fit"
    );
    assert_eq!(chain.generation(), 1, "still on the old version");
    let payload = crate::otlp::json::decode_line(
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s"}]}]}]}"#,
    )
    .unwrap()
    .remove(0);
    let outcome = chain.run(BatchState::new(payload, destinations.clone()));
    assert!(matches!(outcome, ChainOutcome::Processed(_)), "{outcome:?}");
}

#[test]
fn a_stage_config_file_reloads_the_stage_and_a_broken_one_is_refused() {
    let mut f = fixture("");
    let policy = f.dir.path().join("marker.toml");
    std::fs::write(&policy, "key = \"m\"\nvalue = \"v1\"\n").unwrap();
    f.put("10-marker.wasm", test_plugins::ADD_ATTRIBUTE);
    f.write("10-marker.toml", "config_file = \"../marker.toml\"\n");
    assert_eq!(f.reload().outcome, "applied");
    assert!(
        f.reloader
            .watched_files()
            .contains(&f.dir.path().join("plugins.d/../marker.toml"))
    );
    let first = f.reloader.live.current().plugins[0].clone();
    assert_eq!(f.reload().outcome, "unchanged", "same file, same stage");

    std::fs::write(&policy, "key = \"m\"\nvalue = \"v2\"\n").unwrap();
    assert_eq!(
        f.reload().outcome,
        "applied",
        "an edit of the file reloads the stage"
    );
    assert!(!Arc::ptr_eq(&first, &f.reloader.live.current().plugins[0]));

    std::fs::write(&policy, "key = \"m\"\nvalue = \n").unwrap();
    let r = f.reload();
    assert_eq!(r.outcome, "refused");
    assert!(
        r.refused[0].reason.contains("config_file:")
            && r.refused[0].reason.contains("marker.toml line 2"),
        "{r:?}"
    );
}
