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
    let base = texts();
    let mut all = base.clone();
    all.extend(generated(&base, 2_000));
    compare(config, &all, 1_000);
}

/// The detector against the whole-string search on `all`; at least `findings` texts must
/// have something found.
fn compare(config: &str, all: &[String], findings: usize) {
    let r = Redact::from_config(config).expect("config");
    let detector = &r.settings().detector;
    let mut scratch = Scratch::default();
    let mut compared = 0;
    for text in all {
        let fast = detector.scan(text, &mut scratch).to_vec();
        let slow = detector.scan_reference(text);
        assert_eq!(fast, slow, "differs on {text:?}");
        compared += usize::from(!slow.is_empty());
    }
    assert!(compared > findings, "only {compared} texts had findings");
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

/// URLs with credentials glued to each other and to what may precede a scheme (`url_credentials`
/// starts in a window around each `://`, and the detector asks its hand matcher at the one
/// place there where the regex can start): scheme runs with dashes, digits, `_` and non-ASCII
/// before them, several `://` in one authority, matches ending where the next scheme starts.
#[test]
fn url_credentials_windows_are_the_whole_string_search() {
    // Each slot mostly well-formed; a stray piece anywhere now and then.
    const SLOTS: &[&[&str]] = &[
        &["", "", " ", "x", "_", "1", "-", ".", "+", "é", "\"", "@"],
        &[
            "https://",
            "x-redis://",
            "1http://",
            "_ftp://",
            "a.b+c://",
            "-s3://",
            "HTTP://",
            "://",
            // The letters outside ASCII that `(?i)[a-z]` holds: the Kelvin sign and `ſ`.
            "ftp\u{212a}://",
            "\u{17f}3://",
            "x\u{17f}\u{212a}://",
        ],
        &["user", "u", "", "x#y"],
        &[":", ":", ":", "", "::"],
        &["p4ss", "p@ss", "#", ":", "s3cr3t", "é", "\u{a0}"],
        &["@", "@", "@", "", "@@"],
        &["host", "h", "[::1]", "_", "-", "é"],
        &["", ":5432", "/db", "?x", " ", "\"", "https://", "x://"],
    ];
    const STRAY: &[&str] = &["@", ":", "://", "/", " ", "é", "x", "1", "_", "-"];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let all: Vec<String> = (0..8_000)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..1 + next(3) {
                for slot in SLOTS {
                    s.push_str(slot[next(slot.len())]);
                    if next(12) == 0 {
                        s.push_str(STRAY[next(STRAY.len())]);
                    }
                }
            }
            s
        })
        .collect();
    compare("", &all, 1_000);
}

/// Long `[A-Za-z0-9_.-]` runs holding Twilio keys and Discord bot tokens after near misses
/// (`M`, `N`, `O`, `SK`, `AC` that start no match, cut tokens), glued so that the runs go on:
/// the detector tries those rules' token shapes at each such byte of a run, leftmost first,
/// instead of searching the run with the regex.
#[test]
fn run_gated_shapes_are_the_whole_string_search() {
    const PIECES: &[&str] = &[
        "MjYzODMzOTYzMjYyNjgzOTA4MA.WVyPgL.wKpQjEfL9GkuGOzfk8M65JXEblARVY7ivwKDe3",
        "ODQwOTkxNTU1NTA5NzU0NzcxOA.kLvv4o.GwyjujimHPtID_xYChcF_ATZ8yA_aEgmadCAxO",
        "NTk2NzE3OTQ4NjI2MzY4OTE1OA.Ct9Sad.d4clBMJXYsEyvGTkSv-VQF9jTXHYs0LicgApoK",
        "MjYzODMzOTYzMjYyNjgzOTA4MA.WVyPgL",
        "SK0123456789abcdef0123456789abcdef",
        "AC89abcdef0123456789abcdef01234567",
        "SK0123456789abcdef0123456789abcde",
        "ACxyz",
        "M",
        "N",
        "O",
        "Mx",
        "SK",
        "AC",
        "OAb.cd",
        "-",
        "-",
        ".",
        "_",
        "0",
        "f",
        "x",
        " ",
    ];
    let mut seed = 0xd6e8_feb8_6659_fd93u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    const GLUE: &[&str] = &["-", "-", ".", "", "_"];
    let all: Vec<String> = (0..4_000)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..2 + next(8) {
                s.push_str(PIECES[next(PIECES.len())]);
                s.push_str(GLUE[next(GLUE.len())]);
            }
            s
        })
        .collect();
    compare("", &all, 1_000);
}

/// Numeric runs holding card numbers, SSNs and international phone numbers after near misses (too few digits, a bad
/// separator, a digit glued to a letter), glued to each other: the detector asks those rules'
/// hand matchers at each digit of a run that follows a non-word byte, leftmost first, instead
/// of searching the run with the regex.
#[test]
fn run_gated_matchers_are_the_whole_string_search() {
    const PIECES: &[&str] = &[
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5500005555555559",
        "378282246310005",
        "4111 1111 1111 111",
        "078-05-1120",
        "219-09-9999",
        "078-05-112",
        "+44 20 7946 0958",
        "+1 (415) 555-0132",
        "+0 123 456 789",
        "+12",
        "+",
        "12",
        "123",
        "1",
        "x1",
        "a",
        "_",
        "(",
        ")",
        "+",
        "-",
        " ",
        " ",
        ".",
        "--",
    ];
    let mut seed = 0x5be0_cd19_1f83_d9abu64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let all: Vec<String> = (0..4_000)
        .map(|_| {
            (0..2 + next(8))
                .map(|_| PIECES[next(PIECES.len())])
                .collect()
        })
        .collect();
    compare("", &all, 1_000);
}

/// E-mail addresses glued to each other and to what may precede or follow one (`email`
/// starts in a window around each `@`, where the detector asks its hand matcher at the one
/// place the regex can start): long local parts, several `@`, dashes, dots and digits around.
#[test]
fn email_windows_are_the_whole_string_search() {
    const PIECES: &[&str] = &[
        "jane.doe",
        "a",
        "x_y",
        "first.last+tag",
        "0123456789012345678901234567890123456789012345678901234567890123",
        "@",
        "@",
        "@@",
        "example.com",
        "mail.example.co.uk",
        "ex-ample",
        "-bad-",
        "c",
        "com1",
        ".",
        "..",
        "-",
        "_",
        " ",
        "é",
        "<",
        ">",
    ];
    let mut seed = 0x923f_82a4_ab1c_5ed5u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    // An address in each slot (near misses now and then), glued to the next.
    const SLOTS: &[&[&str]] = &[
        &["", " ", "<", "_", "é", "-", "x"],
        &["jane.doe", "a", "first.last+tag", "x_y", PIECES[4]],
        &["@", "@", "@", "@@", ""],
        &[
            "example.com",
            "mail.example.co.uk",
            "ex-ample.org",
            "-bad-.com",
            "c",
            "com1",
        ],
        &["", " ", ".", "-", "_", ">", "1", "é"],
    ];
    let all: Vec<String> = (0..6_000)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..1 + next(3) {
                for slot in SLOTS {
                    s.push_str(slot[next(slot.len())]);
                    if next(10) == 0 {
                        s.push_str(PIECES[next(PIECES.len())]);
                    }
                }
            }
            s
        })
        .collect();
    compare("", &all, 1_000);
}
