//! A per-batch memo of model lookups, so each distinct (model, provider) is matched once.

use std::collections::HashMap;

/// Entries scanned linearly before falling back to a hash map: a batch rarely carries more
/// distinct models than this, and comparing a few short strings (lengths first) is cheaper
/// than hashing every row's name.
const LINEAR: usize = 16;

/// Lookup results keyed by strings borrowed from the batch's columns.
#[derive(Default)]
pub struct Memo<'a> {
    recent: Vec<(&'a str, &'a str, Option<u32>)>,
    more: HashMap<(&'a str, &'a str), Option<u32>>,
}

impl<'a> Memo<'a> {
    /// The memoised result for `(model, provider)`, computing it with `find` the first time.
    pub fn get(
        &mut self,
        model: &'a str,
        provider: &'a str,
        find: impl FnOnce() -> Option<u32>,
    ) -> Option<u32> {
        let hit = self
            .recent
            .iter()
            .find(|(m, p, _)| *m == model && *p == provider);
        if let Some(&(_, _, found)) = hit {
            return found;
        }
        if self.recent.len() < LINEAR {
            let found = find();
            self.recent.push((model, provider, found));
            return found;
        }
        *self.more.entry((model, provider)).or_insert_with(find)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_each_key_once() {
        let names: Vec<String> = (0..40).map(|i| format!("model-{i}")).collect();
        let mut memo = Memo::default();
        let mut calls = 0;
        for round in 0..3 {
            for (i, name) in names.iter().enumerate() {
                let got = memo.get(name, "p", || {
                    calls += 1;
                    Some(i as u32)
                });
                assert_eq!(got, Some(i as u32), "round {round}");
            }
        }
        assert_eq!(calls, 40);
        assert_eq!(
            memo.get("model-1", "other", || None),
            None,
            "the provider is part of the key"
        );
    }
}
