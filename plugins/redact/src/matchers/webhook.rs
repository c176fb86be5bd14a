//! Webhook URLs whose path holds the secret: `discord_webhook` and `slack_webhook`.
//!
//! Both patterns are case-sensitive and ASCII: a literal host and path, then runs of an
//! ASCII class, so every byte decides by itself and nothing read is given back (each run is
//! followed by a byte it cannot hold, or by nothing the pattern asks for).

/// The end of the `[A-Za-z0-9_-]` run (or of the other class when `plus`: `[A-Za-z0-9/_+-]`)
/// from `p`, stopping after `max` bytes.
fn run(b: &[u8], p: usize, max: usize, plus: bool) -> usize {
    let class = |c: u8| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || plus && (c == b'/' || c == b'+')
    };
    let n = b[p.min(b.len())..]
        .iter()
        .take(max)
        .take_while(|&&c| class(c))
        .count();
    p + n
}

/// `discord_webhook` at `at`:
/// `discord(?:app)?\.com/api/webhooks/[0-9]+/([A-Za-z0-9_-]{60,70})`.
///
/// `app` is taken when present (`.com` cannot start where it does); the id's digits end at
/// the `/`, which is no digit; the token takes up to 70 bytes.
pub fn discord_webhook(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let rest = b.get(at..)?.strip_prefix(b"discord")?;
    let rest = rest.strip_prefix(b"app").unwrap_or(rest);
    let rest = rest.strip_prefix(b".com/api/webhooks/")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || rest.get(digits) != Some(&b'/') {
        return None;
    }
    let s = b.len() - rest.len() + digits + 1;
    let e = run(b, s, 70, false);
    (e - s >= 60).then_some([at, e, s, e])
}

/// `slack_webhook` at `at`:
/// `hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_+-]{20,})`.
///
/// The three words start differently, and the token takes its whole run.
pub fn slack_webhook(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let rest = b.get(at..)?.strip_prefix(b"hooks.slack.com/")?;
    let rest = [&b"services"[..], b"workflows", b"triggers"]
        .iter()
        .find_map(|w| rest.strip_prefix(*w))?
        .strip_prefix(b"/")?;
    let s = b.len() - rest.len();
    let e = run(b, s, usize::MAX, true);
    (e - s >= 20).then_some([at, e, s, e])
}
