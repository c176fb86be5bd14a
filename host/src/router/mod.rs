//! Routing: the configured destinations, each record's destination set (a bit mask, one bit
//! per destination, with denials kept apart so they are final), and splitting a processed
//! batch into one payload per destination.

use crate::config::Config;
use crate::otlp::Payload;
use crate::pipeline::retain::retain_rows;
use sluice_plugin_sdk::Destination;
use std::collections::HashMap;

/// The configured destinations and the default route.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    list: Vec<Destination>,
    by_name: HashMap<String, usize>,
    default_mask: u64,
}

impl Destinations {
    /// From a validated config (at most 64 destinations, known default names).
    pub fn from_config(config: &Config) -> Self {
        let list: Vec<Destination> = config
            .destinations
            .iter()
            .map(|d| Destination {
                name: d.name.clone(),
                region: d.region.clone(),
                third_party: d.third_party,
                retains: d.retains,
            })
            .collect();
        let by_name: HashMap<String, usize> = list
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        let default_mask = match &config.routing.default {
            Some(names) => names
                .iter()
                .filter_map(|n| by_name.get(n))
                .fold(0, |m, i| m | (1u64 << i)),
            None => all_bits(list.len()),
        };
        Destinations {
            list,
            by_name,
            default_mask,
        }
    }

    /// Every destination, in config order (bit `i` of a mask is destination `i`).
    pub fn list(&self) -> &[Destination] {
        &self.list
    }

    /// The bit index of a destination.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The mask every record starts with.
    pub fn default_mask(&self) -> u64 {
        self.default_mask
    }
}

fn all_bits(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// One record's routing state: where it is sent and where it may never go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Destinations the record is sent to (before denials).
    pub allowed: u64,
    /// Destinations denied by a plugin: final.
    pub denied: u64,
}

impl Route {
    /// The destinations the record is actually exported to.
    pub fn effective(self) -> u64 {
        self.allowed & !self.denied
    }
}

/// Splits a processed payload into one payload per destination that receives any row;
/// `masks[i]` is row `i`'s effective destination mask, in payload order.
pub fn split(payload: Payload, masks: &[u64], destinations: usize) -> Vec<(usize, Payload)> {
    let union = masks.iter().fold(0, |a, m| a | m);
    let targets: Vec<usize> = (0..destinations.min(64))
        .filter(|d| union & (1 << d) != 0)
        .collect();
    let uniform = masks.windows(2).all(|w| w[0] == w[1]);
    let keep = |p: &mut Payload, d: usize| {
        if !uniform {
            retain_rows(p, |i| masks[i] & (1 << d) != 0);
        }
    };
    let Some((&last, others)) = targets.split_last() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(targets.len());
    for &d in others {
        let mut p = payload.clone();
        keep(&mut p, d);
        out.push((d, p));
    }
    // The last destination takes the payload itself instead of a copy.
    let mut p = payload;
    keep(&mut p, last);
    out.push((last, p));
    out
}

/// Keeps the rows that at least one destination receives (for `--output`).
pub fn union(mut payload: Payload, masks: &[u64]) -> Payload {
    if masks.contains(&0) {
        retain_rows(&mut payload, |i| masks[i] != 0);
    }
    payload
}
