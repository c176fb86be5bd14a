//! The plugin's bounded state: the memory of decided traces and the per-tenant token
//! buckets. Both are least-recently-used maps with a fixed capacity, so memory stays bounded
//! whatever the traffic; both live in one plugin instance (one per worker thread).

use crate::config::BucketSpec;
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A map of at most `cap` entries that forgets the least recently used one to make room.
#[derive(Debug)]
pub struct Lru<K, V> {
    cap: usize,
    map: HashMap<K, (V, u64)>,
    /// Use stamp to key, oldest first.
    order: BTreeMap<u64, K>,
    tick: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// An empty map holding at most `cap` entries (0: holds nothing).
    pub fn new(cap: usize) -> Self {
        Lru {
            cap,
            map: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry, without making it recently used.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key).map(|(v, _)| v)
    }

    fn touch<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.tick += 1;
        let (v, stamp) = self.map.get_mut(key)?;
        let k = self.order.remove(stamp)?;
        *stamp = self.tick;
        self.order.insert(self.tick, k);
        Some(v)
    }

    /// The entry, made most recently used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.touch(key)
    }

    /// Inserts or replaces an entry, made most recently used; forgets the least recently
    /// used entry when full. Returns the forgotten key.
    pub fn insert(&mut self, key: K, value: V) -> Option<K> {
        if self.cap == 0 {
            return None;
        }
        if let Some(v) = self.touch(&key) {
            *v = value;
            return None;
        }
        let evicted = if self.map.len() >= self.cap {
            self.order.pop_first().map(|(_, k)| {
                self.map.remove(&k);
                k
            })
        } else {
            None
        };
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.map.insert(key, (value, self.tick));
        evicted
    }

    /// The entry for `key`, created with `make` when missing (see [`Lru::insert`]).
    pub fn get_or_insert_with<Q>(&mut self, key: &Q, make: impl FnOnce() -> V) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if !self.map.contains_key(key) {
            self.insert(key.to_owned(), make());
        }
        self.touch(key)
    }
}

/// Why a trace was picked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// By its stratum's rate.
    Rate,
    /// By the rule with this index.
    Rule(u16),
}

/// What is remembered of a trace.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Memo {
    /// Picked, why, and with what weight.
    pub picked: Option<(Reason, f64)>,
    /// Its rate pick was refused by the rate budget.
    pub rate_refused: bool,
    /// Its rule pick was refused by the rule budget.
    pub rule_refused: bool,
}

/// One token (trace) in bucket units: a bucket refills `per_minute` units per nanosecond, so
/// a token is a minute of nanoseconds and the arithmetic is exact.
pub const TOKEN: u128 = 60_000_000_000;

/// A token bucket.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    units: u128,
    /// The time it was last refilled at (Unix ns); never moves backwards.
    last: i64,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(spec: Option<BucketSpec>, now: i64) -> Self {
        Bucket {
            units: spec.map_or(0, |s| u128::from(s.burst) * TOKEN),
            last: now,
        }
    }

    /// Refills for the time since the last call (none when `now` is earlier: records out of
    /// order never refill twice), then takes a token if there is one.
    pub fn take(&mut self, spec: BucketSpec, now: i64) -> bool {
        if now > self.last {
            let elapsed = u128::from(now.abs_diff(self.last));
            let cap = u128::from(spec.burst) * TOKEN;
            self.units = (self.units + elapsed * u128::from(spec.per_minute)).min(cap);
            self.last = now;
        }
        if self.units >= TOKEN {
            self.units -= TOKEN;
            true
        } else {
            false
        }
    }
}

/// Which budget a pick draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Picks by rate.
    Rate,
    /// Picks by rule.
    Rule,
}

#[derive(Debug, Clone, Copy)]
struct TenantBuckets {
    rate: Bucket,
    rule: Bucket,
}

/// Per-tenant buckets for rate and rule picks; the least recently seen tenant is forgotten
/// when `max_tenants` is reached (it comes back with full buckets).
#[derive(Debug)]
pub struct Budgets {
    rate: Option<BucketSpec>,
    rule: Option<BucketSpec>,
    tenants: Lru<String, TenantBuckets>,
}

impl Budgets {
    /// Budgets with the given specs (`None`: unlimited) for at most `max_tenants` tenants.
    pub fn new(rate: Option<BucketSpec>, rule: Option<BucketSpec>, max_tenants: usize) -> Self {
        Budgets {
            rate,
            rule,
            tenants: Lru::new(max_tenants),
        }
    }

    /// Whether `tenant` may have one more pick of `kind` at `now` (and takes it).
    pub fn take(&mut self, tenant: &str, kind: Kind, now: i64) -> bool {
        let spec = match kind {
            Kind::Rate => self.rate,
            Kind::Rule => self.rule,
        };
        let Some(spec) = spec else { return true };
        let (rate, rule) = (self.rate, self.rule);
        let Some(buckets) = self.tenants.get_or_insert_with(tenant, || TenantBuckets {
            rate: Bucket::full(rate, now),
            rule: Bucket::full(rule, now),
        }) else {
            return false;
        };
        match kind {
            Kind::Rate => buckets.rate.take(spec, now),
            Kind::Rule => buckets.rule.take(spec, now),
        }
    }

    /// Tenants with buckets.
    pub fn tenants(&self) -> usize {
        self.tenants.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    #[test]
    fn the_lru_forgets_the_least_recently_used() {
        let mut lru = Lru::new(2);
        assert_eq!(lru.insert(1, "a"), None);
        assert_eq!(lru.insert(2, "b"), None);
        assert!(lru.get(&1).is_some()); // 2 is now the oldest
        assert_eq!(lru.insert(3, "c"), Some(2));
        assert_eq!(lru.peek(&2), None);
        assert_eq!((lru.peek(&1), lru.peek(&3)), (Some(&"a"), Some(&"c")));
        assert_eq!(lru.insert(1, "A"), None, "replacing makes no room");
        assert_eq!(lru.insert(4, "d"), Some(3));
        assert_eq!(lru.len(), 2);
        let mut none: Lru<u8, u8> = Lru::new(0);
        none.insert(1, 1);
        assert!(none.is_empty());
        assert!(none.get_or_insert_with(&1, || 1).is_none());
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let spec = BucketSpec {
            per_minute: 60,
            burst: 10,
        };
        let mut b = Bucket::full(Some(spec), 0);
        let at = |b: &mut Bucket, t: i64, n: usize| (0..n).filter(|_| b.take(spec, t)).count();
        assert_eq!(at(&mut b, 0, 100), 10, "the burst");
        assert_eq!(at(&mut b, MIN / 120, 100), 0, "half a token");
        assert_eq!(at(&mut b, MIN / 60, 100), 1, "one per second");
        assert_eq!(at(&mut b, 0, 100), 0, "going back in time refills nothing");
        assert_eq!(at(&mut b, 10 * MIN, 100), 10, "capped at the burst");
        // Over an hour of steady demand, exactly the rate gets through.
        let mut b = Bucket::full(Some(spec), 0);
        let mut n = 0;
        for s in 0..3600i64 {
            n += at(&mut b, s * 1_000_000_000, 5);
        }
        assert_eq!(n, 10 + 3599);
    }

    #[test]
    fn budgets_are_per_tenant_and_per_kind() {
        let one = Some(BucketSpec {
            per_minute: 1,
            burst: 1,
        });
        let mut b = Budgets::new(one, None, 2);
        assert!(b.take("a", Kind::Rate, 0));
        assert!(!b.take("a", Kind::Rate, 0));
        assert!(b.take("a", Kind::Rule, 0), "no rule budget: unlimited");
        assert!(b.take("b", Kind::Rate, 0), "another tenant has its own");
        assert!(b.take("a", Kind::Rate, MIN));
        // A third tenant evicts the least recently seen one (b), which comes back full.
        assert!(b.take("c", Kind::Rate, MIN));
        assert_eq!(b.tenants(), 2);
        assert!(b.take("b", Kind::Rate, MIN));
    }
}
