//! The prefilter and the per-rule start windows change how much is searched, never what is
//! found: on every corpus text, the throughput samples and generated text, the detector
//! finds exactly what running every rule's regex over the whole string finds.

use sluice_plugin_redact::Redact;
use sluice_plugin_redact::detect::Scratch;

mod support;

use support::corpus_and_clean as texts;

/// Strings made of corpus pieces, cut at random places and glued with separators, so
/// anchors land at every offset of a 64-byte block, at string ends, and next to each other.
fn generated(pieces: &[String], n: usize) -> Vec<String> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const GLUE: &[&str] = &[
        " ", "\n", "", "=", ": ", "\"", "'", " --", "@", "://", "x", "1", "-", "_", ".", "é", "\\n",
    ];
    (0..n)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..1 + next() % 4 {
                let p = &pieces[(next() % pieces.len() as u64) as usize];
                let cuts: Vec<usize> = (0..=p.len()).filter(|&i| p.is_char_boundary(i)).collect();
                let a = cuts[(next() % cuts.len() as u64) as usize];
                let b = cuts[(next() % cuts.len() as u64) as usize];
                let (a, b) = if next() % 3 == 0 {
                    (a.min(b), a.max(b))
                } else {
                    (0, p.len())
                };
                s.push_str(&p[a..b]);
                s.push_str(GLUE[(next() % GLUE.len() as u64) as usize]);
            }
            s
        })
        .collect()
}

fn check(config: &str) {
    let r = Redact::from_config(config).expect("config");
    let detector = &r.settings().detector;
    let mut scratch = Scratch::default();
    let base = texts();
    let mut all = base.clone();
    all.extend(generated(&base, 2_000));
    let mut compared = 0;
    for text in &all {
        let fast = detector.scan(text, &mut scratch).to_vec();
        let slow = detector.scan_reference(text);
        assert_eq!(fast, slow, "differs on {text:?}");
        compared += usize::from(!slow.is_empty());
    }
    assert!(compared > 1_000, "only {compared} texts had findings");
}

#[test]
fn the_detector_finds_what_a_whole_string_search_finds() {
    check("");
}

#[test]
fn also_with_ip_addresses_and_a_custom_rule() {
    check(
        "enable = [\"ip_address\"]\n[[custom_rules]]\nname = \"ticket\"\nregex = \"\\\\bTCK-[0-9]{4}\\\\b\"\n",
    );
}
