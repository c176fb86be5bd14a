//! One rule's regex over a range of the string or anchored at a place, the secret's span
//! from its capture groups, and the confirmation and recording of what it found.

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input};

use super::{Detector, Finding, Hay, NotUtf8, Scratch, rule_bit};
use crate::assign::{self, assignment_value};
use crate::check::confirm;
use crate::rules::Capture;

impl Detector {
    /// Rule `i` over `lo..hi` (look-around sees the bytes outside): every match, in order.
    pub(super) fn window(
        &self,
        i: usize,
        lo: usize,
        hi: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let mut pos = lo.max(scratch.done[i]);
        while pos <= hi {
            let input = Input::new(hay.bytes).range(pos..hi);
            let Some(m) = self.search(i, &input, scratch) else {
                break;
            };
            self.found(i, m, hay, scratch)?;
            let (ms, me) = (m[0], m[1]);
            pos = if me > ms {
                me
            } else {
                // An empty match: step over one character.
                me + utf8_len(hay.bytes.get(me).copied())
            };
        }
        Ok(())
    }

    /// One search; the whole match and the secret's span (its first participating group,
    /// else the whole match).
    pub(super) fn search(
        &self,
        i: usize,
        input: &Input<'_>,
        scratch: &mut Scratch,
    ) -> Option<[usize; 4]> {
        let rule = &self.rules[i];
        if rule.capture == Capture::Assignment
            && !scratch.exact
            && input.get_anchored() == Anchored::Yes
            && input.end() == input.haystack().len()
        {
            // A search from an anchor (`anchored`): the matcher reads it, and the regex
            // engine runs only for what the matcher cannot judge.
            if let Ok(m) = assign::match_at(input.haystack(), input.start()) {
                return m;
            }
        }
        let cache = scratch.caches[i].get_or_insert_with(|| rule.regex.create_cache());
        let groups = rule
            .regex
            .group_info()
            .group_len(regex_automata::PatternID::ZERO);
        if groups <= 1 {
            let m = rule.regex.search_with(cache, input)?;
            return Some([m.start(), m.end(), m.start(), m.end()]);
        }
        if rule.capture == Capture::Assignment && !scratch.exact {
            let m = rule.regex.search_with(cache, input)?;
            let (ms, me) = (m.start(), m.end());
            if let Some((s, e)) = assignment_value(input.haystack(), ms, me) {
                return Some([ms, me, s, e]);
            }
            // Not sure: the capture engine, on the match only.
            let input = input.clone().range(ms..).anchored(Anchored::Yes);
            return self.slots(i, &input, groups, scratch);
        }
        self.slots(i, input, groups, scratch)
    }

    /// One search for the capture groups.
    pub(super) fn slots(
        &self,
        i: usize,
        input: &Input<'_>,
        groups: usize,
        scratch: &mut Scratch,
    ) -> Option<[usize; 4]> {
        let rule = &self.rules[i];
        let cache = scratch.caches[i].get_or_insert_with(|| rule.regex.create_cache());
        scratch.slots.clear();
        scratch.slots.resize(2 * groups, None);
        rule.regex
            .search_slots_with(cache, input, &mut scratch.slots)?;
        let slot = |k: usize| scratch.slots[k].map(NonMaxUsize::get);
        let (ms, me) = (slot(0)?, slot(1)?);
        let (s, e) = (1..groups)
            .find_map(|g| Some((slot(2 * g)?, slot(2 * g + 1)?)))
            .unwrap_or((ms, me));
        Some([ms, me, s, e])
    }

    /// Confirms a match and records the finding.
    pub(super) fn found(
        &self,
        i: usize,
        [ms, me, s, e]: [usize; 4],
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        scratch.done[i] = scratch.done[i].max(me);
        scratch.dirty |= rule_bit(i);
        let text = hay.text().ok_or(NotUtf8)?;
        let rule = &self.rules[i];
        if let Some((s, e)) = confirm(rule.check, text, ms, s, e)
            && s < e
            && !self.allow.as_ref().is_some_and(|a| a.is_match(&text[s..e]))
        {
            scratch.findings.push(Finding {
                start: s,
                end: e,
                rule: i as u16,
            });
        }
        Ok(())
    }
}

/// Length of the UTF-8 sequence starting with `b` (1 past the end).
fn utf8_len(b: Option<u8>) -> usize {
    match b {
        Some(c) if c >= 0xf0 => 4,
        Some(c) if c >= 0xe0 => 3,
        Some(c) if c >= 0xc0 => 2,
        _ => 1,
    }
}
