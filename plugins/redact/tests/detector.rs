//! Detector behaviour that the corpus does not pin down: exact spans, checksums, overlap
//! merging, idempotence, and no allocation when a string is clean.

#![allow(unsafe_code)] // The counting allocator below.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sluice_plugin_redact::Redact;
use sluice_plugin_redact::detect::Scratch;

/// Counts this thread's allocations, so a test can assert there are none.
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn redact(text: &str) -> String {
    let mut r = Redact::from_config("").unwrap();
    r.redact_str(text)
        .map_or_else(|| text.to_string(), |(s, _)| s)
}

#[test]
fn clean_strings_cost_no_allocation() {
    let r = Redact::from_config("").unwrap();
    let detector = &r.settings().detector;
    let mut scratch = Scratch::default();
    let clean = [
        "2024-05-01T12:30:45.123Z INFO request completed status=200 duration_ms=35 input_tokens=1843",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 deployed commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "GET https://api.example.com/v1/models?limit=50 from 10.0.0.7, the password is required",
        "order 4111111111111112 shipped to 1600 Amphitheatre Pkwy, suite 42",
    ];
    // Warm up: scratch buffers and the regex caches are filled once per thread.
    for s in clean {
        assert!(detector.scan(s, &mut scratch).is_empty(), "{s}");
    }
    let before = ALLOCS.with(Cell::get);
    for _ in 0..100 {
        for s in clean {
            assert!(detector.scan(s, &mut scratch).is_empty());
        }
    }
    assert_eq!(
        ALLOCS.with(Cell::get) - before,
        0,
        "scanning clean text allocated"
    );
}

#[test]
fn spans_cover_only_the_secret() {
    assert_eq!(
        redact("postgres://app:S3cr3t!x@db:5432/x"),
        "postgres://app:[REDACTED:url_credentials]@db:5432/x"
    );
    assert_eq!(
        redact("redis://:p4ss@cache:6379"),
        "redis://:[REDACTED:url_credentials]@cache:6379"
    );
    assert_eq!(
        redact("Authorization: Bearer abc123def456ghi7"),
        "Authorization: Bearer [REDACTED:authorization_header]"
    );
    assert_eq!(
        redact(r#"{"password": "hunter2", "user": "bob"}"#),
        r#"{"password": "[REDACTED:password_assignment]", "user": "bob"}"#
    );
    assert_eq!(
        redact("--password hunter2 --verbose"),
        "--password [REDACTED:cli_secret_flag] --verbose"
    );
    assert_eq!(
        redact("my password is hunter2."),
        "my password is [REDACTED:password_prose]."
    );
}

#[test]
fn checksums_decide_numbers() {
    assert_eq!(
        redact("card 4111 1111 1111 1111"),
        "card [REDACTED:credit_card]"
    );
    assert_eq!(
        redact("card 4111 1111 1111 1112"),
        "card 4111 1111 1111 1112"
    );
    assert_eq!(
        redact("card 4111-1111 1111-1111"),
        "card 4111-1111 1111-1111",
        "mixed separators"
    );
    assert_eq!(
        redact("IBAN GB82 WEST 1234 5698 7654 32 paid"),
        "IBAN [REDACTED:iban] paid"
    );
    assert_eq!(
        redact("IBAN GB83 WEST 1234 5698 7654 32 paid"),
        "IBAN GB83 WEST 1234 5698 7654 32 paid"
    );
    assert_eq!(redact("ssn 123-45-6789"), "ssn [REDACTED:us_ssn]");
    assert_eq!(redact("ref 666-45-6789"), "ref 666-45-6789");
    assert_eq!(redact("v10.0.19041.1237"), "v10.0.19041.1237");
}

#[test]
fn placeholders_ids_and_model_names_stay() {
    for s in [
        "password=<redacted>",
        "api_key: ${OPENAI_API_KEY}",
        r#"api_key = os.environ["OPENAI_API_KEY"]"#,
        "secret: xxxx",
        "token=****",
        "3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "claude-3-5-sonnet-20241022",
        "max_tokens=1024",
    ] {
        assert_eq!(redact(s), s);
    }
}

#[test]
fn redaction_is_idempotent() {
    let once = redact("key AKIAQN7HVA5NKFPGHUSJ, password=hunter2, mail a@b.example");
    assert_eq!(redact(&once), once);
}

#[test]
fn overlapping_matches_merge_into_one_marker() {
    // The JWT is also an `Authorization` value: one marker covers it, named by the more
    // specific rule (earlier in the table).
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_eq!(
        redact(&format!("Authorization: Bearer {jwt}")),
        "Authorization: Bearer [REDACTED:jwt]"
    );
    assert_eq!(
        redact("x AKIAQN7HVA5NKFPGHUSJx"),
        "x AKIAQN7HVA5NKFPGHUSJx",
        "no word boundary"
    );
}

#[test]
fn private_key_blocks_spanning_lines() {
    let body: String = (0..5)
        .map(|i| {
            format!(
                "{}\n",
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(2) + &i.to_string()
            )
        })
        .collect();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----");
    assert_eq!(
        redact(&format!("key:\n{pem}\ndone")),
        "key:\n[REDACTED:private_key]\ndone"
    );
    let sa = serde_json::json!({"type": "service_account", "private_key": format!("{pem}\n")});
    assert_eq!(
        redact(&sa.to_string()),
        r#"{"private_key":"[REDACTED:gcp_service_account_key]\n","type":"service_account"}"#
    );
}
