//! The placeholder tests as rewritten for speed answer what they answered before, on every
//! corpus text and sample, every word and slice of them, and strings generated around each
//! reference (`os.environ`, `settings.`, ...): any case, cut short, glued to other text.

use sluice_plugin_redact::placeholder::{
    code_reference_reference, is_code_reference, is_placeholder_or_reference, placeholder_shape,
    placeholder_shape_reference,
};

mod support;

use support::Rng;

/// The references as the check knows them, a few cut or changed, and what surrounds them.
const PIECES: &[&str] = &[
    "os.environ",
    "OS.ENVIRON",
    "os.getenv",
    "process.env",
    "Process.Env",
    "getenv(",
    "GETENV(",
    "env[",
    "env(",
    "secrets.",
    "SECRETS.",
    "vault:",
    "Vault:",
    "import.meta.env",
    "import.meta.",
    "system.getenv",
    "System.getenv",
    "config[",
    "settings.",
    "Settings.",
    "os.",
    "os",
    "environ",
    "process",
    "env",
    "en",
    "getenv",
    "secrets",
    "vault",
    "import",
    "meta.env",
    "config",
    "settings",
    "setting.",
    ".",
    "(",
    "[",
    ":",
    "]",
    ")",
    "\"",
    "'",
    "_",
    "x",
    "9",
    " ",
    "é",
    "\u{212a}",
    "${",
    "DB_PASSWORD",
    "hunter2",
    // The placeholder shapes, cut short and in other cases.
    "xx",
    "xxx",
    "xxxx",
    "XXXX",
    "xX",
    "###",
    "####",
    "**",
    "***",
    "..",
    "...",
    "000000",
    "0000000",
    "example",
    "EXAMPLE",
    "exampl",
    "placeholder",
    "PlaceHolder",
    "placeholde",
    "your_",
    "your-",
    "YOUR",
    "dummy",
    "dumm",
    "sample",
    "Sampl",
    "redacted",
    "REDACTED",
    "redacte",
    "e",
    "p",
    "y",
    "d",
    "s",
    "r",
    "…",
    "•",
    "••",
    "••••",
    "\u{2025}",
    "aB3",
    "Zq9",
];

/// Every string to compare: the texts, their blank-separated words, and slices of both.
fn inputs(rng: &mut Rng) -> Vec<String> {
    let mut texts = support::corpus_and_clean();
    texts.extend(sluice_plugin_redact::samples::dense(64 << 10));
    texts.extend(sluice_plugin_redact::samples::prose(64 << 10));
    for _ in 0..60_000 {
        let n = 1 + rng.below(6);
        texts.push((0..n).map(|_| rng.pick(PIECES)).collect());
    }
    let mut out = Vec::new();
    for t in &texts {
        out.extend(t.split_whitespace().map(str::to_string));
        for _ in 0..4 {
            let (a, b) = (rng.below(t.len() + 1), rng.below(t.len() + 1));
            let (a, b) = (a.min(b), a.max(b));
            if let Some(slice) = t.get(a..b) {
                out.push(slice.to_string());
            }
        }
    }
    out.extend(texts);
    out
}

#[test]
fn code_reference_is_the_first_one() {
    let mut rng = Rng(0x6a09_e667_f3bc_c908);
    let (mut yes, mut no) = (0, 0);
    for v in inputs(&mut rng) {
        let want = code_reference_reference(v.as_bytes());
        assert_eq!(is_code_reference(v.as_bytes()), want, "{v:?}");
        yes += usize::from(want);
        no += usize::from(!want);
    }
    assert!(yes > 20_000 && no > 20_000, "{yes} references, {no} not");
}

#[test]
fn placeholder_shape_is_the_first_one() {
    let mut rng = Rng(0xbb67_ae85_84ca_a73b);
    let (mut yes, mut no) = (0, 0);
    for v in inputs(&mut rng) {
        let want = placeholder_shape_reference(&v);
        assert_eq!(placeholder_shape(&v), want, "{v:?}");
        yes += usize::from(want);
        no += usize::from(!want);
    }
    assert!(yes > 20_000 && no > 20_000, "{yes} placeholders, {no} not");
}

/// `value`'s one pass: the placeholder shape of the whole value or a code reference in its
/// first `refs_end` bytes, for every end (the value is trimmed before the reference test).
#[test]
fn one_pass_is_both_tests() {
    let mut rng = Rng(0x3c6e_f372_fe94_f82b);
    let (mut yes, mut no) = (0, 0);
    for v in inputs(&mut rng).iter().filter(|v| v.len() < 100) {
        let shape = placeholder_shape_reference(v);
        for end in (0..=v.len()).filter(|&e| v.is_char_boundary(e)) {
            let want = shape || code_reference_reference(&v.as_bytes()[..end]);
            assert_eq!(is_placeholder_or_reference(v, end), want, "{v:?} to {end}");
            yes += usize::from(want);
            no += usize::from(!want);
        }
    }
    assert!(yes > 100_000 && no > 100_000, "{yes} yes, {no} no");
}
