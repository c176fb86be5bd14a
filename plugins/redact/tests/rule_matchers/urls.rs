//! Secrets in URLs: Discord and Slack webhooks, Azure connection strings and SAS
//! signatures, credentials in a URL.

use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{Tolerance, assert_is_the_regex, generated};

/// A run of 0 to `max` bytes of `alphabet`, sometimes with a stray byte in it (a Kelvin
/// sign, a long s, `é`, a blank, a dot).
fn token(rng: &mut Rng, alphabet: &[u8], max: usize) -> String {
    let n = rng.below(max + 1);
    let mut t: String = (0..n).map(|_| char::from(rng.pick(alphabet))).collect();
    if n > 0 && rng.below(6) == 0 {
        let stray = rng.pick(&["\u{212a}", "\u{17f}", "é", " ", ".", "=", "%"]);
        t.insert_str(rng.below(n), stray);
    }
    t
}

/// Lengths around each bound: a run of `len - 2 ..= len + 2` bytes, or any up to `max`.
fn near(rng: &mut Rng, alphabet: &[u8], bounds: &[usize], max: usize) -> String {
    if rng.below(3) == 0 {
        return token(rng, alphabet, max);
    }
    let n = rng.pick(bounds) + rng.below(5) - 2;
    (0..n).map(|_| char::from(rng.pick(alphabet))).collect()
}

const WEBHOOK_TOKEN: &[u8] = b"ABCxyz0189_-";

#[test]
fn discord_webhook_is_the_regex() {
    const HOSTS: &[&str] = &[
        "discord.com/api/webhooks/",
        "discord.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
        "discordap.com/api/webhooks/",
        "discordappapp.com/api/webhooks/",
        "Discord.com/api/webhooks/",
        "discord.com/api/webhook/",
        "discord.co/api/webhooks/",
        "discord",
        "discordapp",
    ];
    let mut rng = Rng(0x1f83_d9ab_fb41_bd6b);
    let mut strings = Vec::new();
    for _ in 0..60_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "https://", "x", "/", "\"", "é"]));
        s.push_str(rng.pick(HOSTS));
        s.push_str(rng.pick(&[
            "1",
            "123456789012345678",
            "123456789012345678",
            "",
            "12a3",
            "/",
        ]));
        s.push_str(rng.pick(&["/", "/", "/", "/", "", "//", "x/"]));
        s.push_str(&near(&mut rng, WEBHOOK_TOKEN, &[60, 70], 80));
        s.push_str(rng.pick(&["", "", "/", "?wait=true", "+", ".", " x", "é", "\u{212a}"]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::DiscordWebhook,
        strings,
        3_000,
        Tolerance::NeverWithRealMatches,
    );
}

#[test]
fn slack_webhook_is_the_regex() {
    const HOSTS: &[&str] = &[
        "hooks.slack.com/services/",
        "hooks.slack.com/workflows/",
        "hooks.slack.com/triggers/",
        "hooks.slack.com/service/",
        "hooks.slack.com/servicess/",
        "hooks.slack.com/trigger/",
        "Hooks.slack.com/services/",
        "hooks.slack.co/services/",
        "hooks.slack.com//",
        "hooks.slack.com/",
        "hooks.slack.com/services",
    ];
    const TOKEN: &[u8] = b"ABCxyz0189_-/+";
    let mut rng = Rng(0x5be0_cd19_137e_2179);
    let mut strings = Vec::new();
    for _ in 0..30_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "https://", "x", "/", "\"", "é"]));
        s.push_str(rng.pick(HOSTS));
        s.push_str(&near(&mut rng, TOKEN, &[20], 60));
        s.push_str(rng.pick(&["", "", "?x=1", ".", " x", "\"", "é", "\u{212a}", "=", "%2F"]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::SlackWebhook,
        strings,
        3_000,
        Tolerance::NeverWithRealMatches,
    );
}

#[test]
fn azure_connection_string_is_the_regex() {
    const NAMES: &[&str] = &[
        "SharedAccessKey=",
        "sharedaccesskey=",
        "SHAREDACCESSKEY=",
        "SharedAccessKey",
        "SharedAccessKey==",
        "SharedAccessKeyName=",
        "SharedAccess\u{212a}ey=",
        "\u{17f}haredAccessKey=",
        "SharedAcce\u{17f}\u{17f}Key=",
        "SharedAccesKey=",
        "?sig=",
        "&sig=",
        "?SIG=",
        "&Sig=",
        "&\u{17f}ig=",
        "?sig",
        "sig=",
        "?sig==",
        "&&sig=",
    ];
    const KEY: &[u8] = b"ABCKSxyzks0189+/";
    const SIG: &[u8] = b"ABCKSxyzks0189+/%";
    let mut rng = Rng(0xcbbb_9d5d_c105_9ed8);
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&[
            "",
            "Endpoint=sb://x.servicebus.windows.net/;",
            "https://a.blob.core.windows.net/c/b?sv=2021&",
            ";",
            "x",
            "é",
        ]));
        let name = rng.pick(NAMES);
        s.push_str(name);
        if name.contains("ig") {
            s.push_str(&near(&mut rng, SIG, &[30], 80));
            for _ in 0..rng.below(3) {
                s.push_str(rng.pick(&["%3D", "%3d", "=", "%3", "%2B", "%"]));
            }
        } else {
            s.push_str(&near(&mut rng, KEY, &[40, 90], 100));
            s.push_str(rng.pick(&["", "=", "==", "===", "=x"]));
        }
        s.push_str(rng.pick(&[
            "",
            "",
            ";EntityPath=q",
            "&se=2030",
            " x",
            "\"",
            "é",
            "\u{212a}",
            "-",
        ]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::AzureConnectionString,
        strings,
        5_000,
        Tolerance::AtMostOneIn20,
    );
}

/// Pieces of URLs with credentials, and their near misses.
const URL_PIECES: &[&str] = &[
    "https://",
    "postgres://",
    "mongodb+srv://",
    "git+ssh://",
    "s3.x-y://",
    "a://",
    "1http://",
    "_ftp://",
    "x-redis://",
    "HTTPS://",
    "\u{17f}ftp://",
    "ftp\u{212a}://",
    "http:/",
    "http:",
    "://",
    "//",
    "user",
    "admin",
    "u\u{17f}er",
    "",
    ":",
    ":",
    "::",
    "p4ss",
    "s3cr3t!",
    "pa#ss",
    "p@ss",
    "x@y",
    "@",
    "@",
    "@@",
    "@[",
    "@_",
    "@-",
    "@.",
    "@é",
    "@\u{212a}",
    "db.example.com",
    "[::1]",
    "_host",
    "h",
    "H",
    ":5432",
    "/",
    "/db",
    "?x=1",
    "#frag",
    " ",
    "\t",
    "\x0b",
    "\n",
    "\"",
    "'",
    "<",
    ">",
    "é",
    "\u{a0}",
    "\u{2003}",
    "%40",
    "+",
    ".",
    "-",
];

#[test]
fn url_credentials_is_the_regex() {
    let mut rng = Rng(0x428a_2f98_d728_ae22);
    let mut strings = Vec::new();
    const SCHEMES: &[&str] = &[
        "https://",
        "postgres://",
        "mongodb+srv://",
        "s3.x-y://",
        "HTTPS://",
        "1http://",
        "_ftp://",
        "x-redis://",
        "\u{17f}ftp://",
        "ftp\u{212a}://",
        "http:/",
        "://",
    ];
    const USERS: &[&str] = &[
        "user",
        "admin",
        "",
        "u\u{17f}er",
        "a b",
        "x#y",
        "é",
        "u?",
        "u/",
    ];
    const PASSWORD: &[&str] = &[
        "p4ss", "s3cr3t!", "#", "@", "@", ":", "x", "\u{212a}", "é", " ", "/", "'", "\x0b", "%40",
    ];
    const HOSTS: &[&str] = &[
        "db.example.com",
        "[::1]",
        "_h",
        "H",
        "-x",
        ".x",
        "é",
        "\u{212a}",
        "",
        "@h",
    ];
    // Mostly well-formed, with one piece at a time from the near misses.
    let pick = |rng: &mut Rng, good: &[&'static str], bad: &[&'static str]| {
        if rng.below(4) == 0 {
            rng.pick(bad)
        } else {
            rng.pick(good)
        }
    };
    for _ in 0..40_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "", " ", "x", "_", "é", "\"", "1", "-", "+"]));
        s.push_str(pick(&mut rng, &SCHEMES[..4], SCHEMES));
        s.push_str(pick(&mut rng, &USERS[..3], USERS));
        s.push_str(pick(&mut rng, &[":"], &["", "::", "@"]));
        for _ in 0..1 + rng.below(4) {
            s.push_str(pick(&mut rng, &PASSWORD[..5], PASSWORD));
        }
        s.push_str(pick(&mut rng, &["@"], &["", "@@"]));
        s.push_str(pick(&mut rng, &HOSTS[..4], HOSTS));
        s.push_str(rng.pick(&["", ":5432/db", "/x?y=1", " next", "\"", "#f", "@z"]));
        strings.push(s);
    }
    strings.extend(generated(&mut rng, URL_PIECES, 20_000, 9));
    assert_is_the_regex(
        Matcher::UrlCredentials,
        strings,
        5_000,
        Tolerance::AtMostOneIn20,
    );
}
