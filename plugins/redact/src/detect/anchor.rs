//! Anchored rules at each occurrence of one of their anchors: where a match can start
//! around it (`Start`), then one anchored search there, by the rule's token shape, its
//! hand matcher or its regex.

use std::ops::Range;

use regex_automata::{Anchored, Input};

use super::{Detector, Hay, NotUtf8, Scratch};
use crate::rules::{Start, shape};

impl Detector {
    /// Rule `i` at an occurrence of one of its anchors starting at `at`.
    pub(super) fn at_anchor(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        match self.rules[i].start {
            Start::Anchor => self.anchored(i, at, hay, scratch),
            Start::Window { back, fwd } => {
                let lo = at.saturating_sub(usize::from(back));
                let hi = (at + usize::from(fwd)).min(b.len());
                self.window(i, lo, hi, hay, scratch)
            }
            Start::Email => self.email_window(i, at, hay, scratch),
            Start::Url => {
                // The authority ends at the first of `\s / ? " ' < >`; it must hold an `@`.
                let mut hi = at + 3;
                let mut at_sign = false;
                while hi < b.len() && !b[hi].is_ascii_whitespace() && !b"/?\"'<>".contains(&b[hi]) {
                    at_sign |= b[hi] == b'@';
                    hi += 1;
                }
                if !at_sign {
                    return Ok(());
                }
                // Back over the scheme: its ASCII bytes, and the two letters outside ASCII
                // that `(?i)[a-z]` holds (the Kelvin sign, `ſ`), which only the regex reads.
                let scheme = |c: u8| c.is_ascii_alphanumeric() || b"+.-".contains(&c);
                let mut lo = at;
                let mut folded = false;
                loop {
                    if lo > 0 && scheme(b[lo - 1]) {
                        lo -= 1;
                    } else if b[..lo].ends_with("\u{212a}".as_bytes())
                        || b[..lo].ends_with("\u{17f}".as_bytes())
                    {
                        lo -= if b[lo - 1] == 0xaa { 3 } else { 2 };
                        folded = true;
                    } else {
                        break;
                    }
                }
                if folded || self.rules[i].matcher.is_none() {
                    return self.window(i, lo, hi, hay, scratch);
                }
                // The window holds one `://` (the scheme before it has no `:`, the authority
                // after it no `/`), so a match starts at the first letter of `lo..at` that
                // follows a non-word byte (`\b[a-z]`), or nowhere; it ends before `hi`, as
                // nothing it holds after the `://` ends the authority. One anchored search
                // there (the matcher) answers what the window's search does.
                match word_start(b, lo.max(scratch.done[i])..at, u8::is_ascii_alphabetic) {
                    Some(p) => self.anchored(i, p, hay, scratch),
                    None => Ok(()),
                }
            }
            Start::Flag => {
                // `(?:^|[\s"'])--?(?:[a-z0-9]+-)*<anchor>`: back over the flag's words to its
                // first dash, which must follow a blank, a quote or the string's start.
                let flag = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
                let mut s = at;
                while s > 0 && flag(b[s - 1]) {
                    s -= 1;
                }
                if b[s] != b'-' {
                    return Ok(());
                }
                match s.checked_sub(1) {
                    None => self.anchored(i, 0, hay, scratch),
                    Some(p) if b[p].is_ascii_whitespace() || b[p] == b'"' || b[p] == b'\'' => {
                        self.anchored(i, p, hay, scratch)
                    }
                    Some(_) => Ok(()),
                }
            }
        }
    }

    /// The `email` rule around the `@` at `at`: `[a-z0-9][a-z0-9._%+-]{0,63}@` before it,
    /// `[a-z0-9.-]` after it. The window holds one `@` (neither side's class has one), so a
    /// match starts at the first letter or digit of it after a non-word byte (`\b`) and reads
    /// the same domain from any start: the hand matcher there answers what the window's
    /// search does, unless it is unsure or reads past the window.
    #[inline(never)]
    pub(super) fn email_window(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
        let mut lo = at;
        while lo > at.saturating_sub(64) && local(b[lo - 1]) {
            lo -= 1;
        }
        let mut hi = at + 1;
        while hi < b.len() && (b[hi].is_ascii_alphanumeric() || b"-.".contains(&b[hi])) {
            hi += 1;
        }
        let Some(matcher) = self.rules[i].matcher else {
            return self.window(i, lo, hi, hay, scratch);
        };
        let Some(p) = word_start(b, lo.max(scratch.done[i])..at, u8::is_ascii_alphanumeric) else {
            return Ok(());
        };
        match matcher.match_bytes(b, p) {
            Some(Ok(None)) => Ok(()),
            Some(Ok(Some(m))) if m[1] <= hi => self.found(i, m, hay, scratch),
            _ => self.window(i, lo, hi, hay, scratch),
        }
    }

    /// Rule `i` anchored at `at`: at most one match, starting there.
    pub(super) fn anchored(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        if at < scratch.done[i] {
            return Ok(());
        }
        if let Some(alts) = self.rules[i].shape {
            if let Some(e) = shape::match_at(alts, hay.bytes, at) {
                self.found(i, [at, e, at, e], hay, scratch)?;
            }
            return Ok(());
        }
        // A matcher of an ASCII pattern reads the bytes, UTF-8 or not (a string is checked
        // only once something matched in it).
        if let Some(Ok(m)) = self.rules[i]
            .matcher
            .and_then(|m| m.match_bytes(hay.bytes, at))
        {
            if let Some(m) = m {
                self.found(i, m, hay, scratch)?;
            }
            return Ok(());
        }
        // A hand matcher reads UTF-8 (where the bytes are not, the regex stops and decides),
        // and leaves to the regex what it is unsure of.
        if let Some(matcher) = self.rules[i].matcher
            && let Some(text) = hay.text()
            && let Ok(m) = matcher.match_at(text, at)
        {
            if let Some(m) = m {
                self.found(i, m, hay, scratch)?;
            }
            return Ok(());
        }
        let input = Input::new(hay.bytes).range(at..).anchored(Anchored::Yes);
        if let Some(m) = self.search(i, &input, scratch) {
            self.found(i, m, hay, scratch)?;
        }
        Ok(())
    }
}

/// The first position of `range` whose byte is `first` and follows a non-word byte or the
/// string's start: where `\b` (ASCII, see `rules::compile_pattern`) lets a match begin.
fn word_start(b: &[u8], mut range: Range<usize>, first: impl Fn(&u8) -> bool) -> Option<usize> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    range.find(|&p| first(&b[p]) && (p == 0 || !word(b[p - 1])))
}
