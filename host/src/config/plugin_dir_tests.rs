use super::*;

fn touch(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn builtin(name: &str, b: &str) -> PluginConfig {
    let mut p = PluginConfig::named(name);
    p.builtin = Some(b.into());
    p
}

#[test]
fn stages_are_ordered_by_numeric_prefix_and_temporaries_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "10-b.wasm",
        "9-a.wasm",
        "10-b.toml",
        "100-c.toml",
        ".10-b.wasm.swp",
        "20-d.wasm.tmp",
        "README.md",
        "nodigits.wasm",
    ] {
        touch(dir.path(), f, "");
    }
    let scan = scan(dir.path()).unwrap();
    let names: Vec<_> = scan
        .stages
        .iter()
        .map(|s| {
            (
                s.order,
                s.name.as_str(),
                s.wasm.is_some(),
                s.sidecar.is_some(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (9, "a", true, false),
            (10, "b", true, true),
            (100, "c", false, true)
        ]
    );
    let ignored: Vec<_> = scan
        .ignored
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(ignored, ["README.md", "nodigits.wasm"]);
}

#[test]
fn a_file_overrides_the_main_config_stage_of_its_name_in_place_and_inherits_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut cost = builtin("cost", "cost");
    cost.on_error = FailurePolicy::FailOpen;
    let base = vec![builtin("redact", "redact"), cost];
    touch(dir.path(), "50-cost.wasm", "");
    touch(dir.path(), "50-cost.toml", "timeout_ms = 7\n");
    touch(dir.path(), "60-extra.toml", "builtin = \"eval-sample\"\n");
    let chain = compose(&base, &scan(dir.path()).unwrap(), 4).unwrap();
    let names: Vec<_> = chain.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["redact", "cost", "extra"]);
    assert_eq!(
        chain[1].path.as_deref(),
        Some(&*dir.path().join("50-cost.wasm"))
    );
    assert_eq!(chain[1].builtin, None);
    assert_eq!(chain[1].on_error, FailurePolicy::FailOpen, "inherited");
    assert_eq!(chain[1].timeout_ms, 7, "from the sidecar");
    assert_eq!(chain[2].builtin.as_deref(), Some("eval-sample"));
}

#[test]
fn bad_sidecars_name_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "10-a.wasm", "");
    touch(
        dir.path(),
        "10-a.toml",
        "timeout_ms = 5\non_eror = \"drop\"\n",
    );
    touch(dir.path(), "20-lonely.toml", "timeout_ms = 5\n");
    touch(
        dir.path(),
        "30-zero.toml",
        "builtin = \"cost\"\nmemory_mib = 0\n",
    );
    let errors = compose(&[], &scan(dir.path()).unwrap(), 4).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(
        text[0].ends_with("10-a.toml: line 2: on_eror: unknown field `on_eror`, expected one of `builtin`, `on_error`, `memory_mib`, `timeout_ms`, `config`, `config_file`, `grants`"),
        "{}",
        text[0]
    );
    assert!(
        text[1].contains("20-lonely.toml: no `20-lonely.wasm`"),
        "{}",
        text[1]
    );
    assert!(
        text[2].contains("30-zero.toml: memory_mib: 0 is outside 1..=4096"),
        "{}",
        text[2]
    );
}

#[test]
fn too_many_stages_and_duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "1-a.toml", "builtin = \"cost\"\n");
    touch(dir.path(), "2-a.toml", "builtin = \"cost\"\n");
    touch(dir.path(), "3-b.toml", "builtin = \"cost\"\n");
    let errors = compose(&[], &scan(dir.path()).unwrap(), 1).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text[0].contains("2-a.toml: another file already defines stage `a`"),
        "{text:?}"
    );
    assert!(text[1].contains("more than the 1 allowed"), "{text:?}");
}
