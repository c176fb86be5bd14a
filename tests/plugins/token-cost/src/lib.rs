//! Test plugin: the "reads three columns, writes one" shape of a cost plugin, kept minimal so
//! the benchmarks measure the plugin boundary rather than pricing logic.
//!
//! It reads `gen_ai.request.model` (string), `gen_ai.usage.input_tokens` and
//! `gen_ai.usage.output_tokens` (token counts) and writes `gen_ai.usage.cost.amount` (a
//! double, in USD) from a hard-coded price table. Rows whose model is unknown, or that lack
//! either count, are left untouched.
//!
//! Per batch it makes exactly four calls across the boundary (three `column`, one
//! `set_column`) and allocates nothing per row: the output lane is allocated once, and the
//! price lookup is cached across rows because consecutive rows usually share a model.

use sluice_plugin_sdk::{Batch, Column, Info, Key, Plugin, Signal, ValueKind, export_plugin};

/// The attribute naming the model a request was made to.
pub const MODEL: &str = "gen_ai.request.model";
/// The attribute holding the number of input (prompt) tokens.
pub const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// The attribute holding the number of output (completion) tokens.
pub const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// The attribute the estimated cost is written to.
pub const COST: &str = "gen_ai.usage.cost.amount";

/// USD per one million tokens: input, then output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// USD per million input tokens.
    pub input: f64,
    /// USD per million output tokens.
    pub output: f64,
}

impl Price {
    /// The cost of one call with the given token counts.
    pub fn cost(self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1_000_000.0
    }
}

/// The models this test plugin knows, matched exactly. Illustrative figures, not a real
/// price list: the built-in `cost` plugin is the one that prices anything for real.
pub const PRICES: &[(&str, Price)] = &[
    (
        "gpt-4o",
        Price {
            input: 2.50,
            output: 10.00,
        },
    ),
    (
        "gpt-4o-mini",
        Price {
            input: 0.15,
            output: 0.60,
        },
    ),
    (
        "claude-sonnet-4",
        Price {
            input: 3.00,
            output: 15.00,
        },
    ),
    (
        "claude-haiku-3.5",
        Price {
            input: 0.80,
            output: 4.00,
        },
    ),
    (
        "gemini-2.0-flash",
        Price {
            input: 0.10,
            output: 0.40,
        },
    ),
];

/// Looks a model up in [`PRICES`].
pub fn price_of(model: &str) -> Option<Price> {
    PRICES
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, p)| *p)
}

/// The plugin; stateless between batches.
pub struct TokenCost;

impl Plugin for TokenCost {
    fn init(_config: &str) -> Result<Self, String> {
        Ok(TokenCost)
    }

    fn info(&self) -> Info {
        Info::new("token-cost", "0.1.0", &[Signal::Span, Signal::Log])
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let models = batch.column(&Key::record(MODEL));
        // No row names a model as a string: nothing to price, and no reason to read more.
        if models.strings.is_empty() {
            return Ok(());
        }
        let input = batch.column(&Key::record(INPUT_TOKENS));
        let output = batch.column(&Key::record(OUTPUT_TOKENS));
        match costs(&models, &input, &output) {
            Some(column) => batch.set_column(&Key::record(COST), column),
            None => Ok(()),
        }
    }
}

/// The cost column for the three input columns, or `None` when no row could be priced.
///
/// The model-to-price lookup is remembered from the previous priced row, so a run of rows
/// with the same model costs one string comparison per row, not a table scan.
pub fn costs(models: &Column, input: &Column, output: &Column) -> Option<Column> {
    let n = models.len();
    let mut kinds = vec![ValueKind::Absent; n];
    let mut doubles = vec![0.0f64; n];
    let mut any = false;
    let mut last: Option<(&str, Option<Price>)> = None;
    for row in 0..n as u32 {
        let Some(model) = models.str(row) else {
            continue;
        };
        let price = match last {
            Some((name, price)) if name == model => price,
            _ => {
                let price = price_of(model);
                last = Some((model, price));
                price
            }
        };
        let (Some(price), Some(i), Some(o)) = (price, input.count(row), output.count(row)) else {
            continue;
        };
        kinds[row as usize] = ValueKind::Double;
        doubles[row as usize] = price.cost(i, o);
        any = true;
    }
    any.then(|| Column {
        kinds,
        doubles,
        ..Column::default()
    })
}

export_plugin!(TokenCost);

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::PackedStrings;

    fn strs(values: &[Option<&str>]) -> Column {
        let kinds = values
            .iter()
            .map(|v| {
                if v.is_some() {
                    ValueKind::Str
                } else {
                    ValueKind::Absent
                }
            })
            .collect();
        let strings: PackedStrings = values.iter().map(|v| v.unwrap_or("")).collect();
        Column {
            kinds,
            strings,
            ..Column::default()
        }
    }

    fn ints(values: &[Option<i64>]) -> Column {
        let kinds = values
            .iter()
            .map(|v| {
                if v.is_some() {
                    ValueKind::Int
                } else {
                    ValueKind::Absent
                }
            })
            .collect();
        let ints = values.iter().map(|v| v.unwrap_or(0)).collect();
        Column {
            kinds,
            ints,
            ..Column::default()
        }
    }

    #[test]
    fn prices_known_models_and_skips_the_rest() {
        let models = strs(&[
            Some("gpt-4o"),
            Some("gpt-4o"),
            Some("unknown"),
            None,
            Some("gpt-4o-mini"),
        ]);
        let input = ints(&[Some(1_000_000), Some(2_000), Some(10), Some(10), None]);
        let output = ints(&[Some(0), Some(1_000), Some(10), Some(10), Some(5)]);
        let c = costs(&models, &input, &output).expect("some rows priced");
        assert_eq!(
            c.kinds,
            [
                ValueKind::Double,
                ValueKind::Double,
                ValueKind::Absent,
                ValueKind::Absent,
                ValueKind::Absent
            ]
        );
        assert!((c.doubles[0] - 2.5).abs() < 1e-12);
        assert!((c.doubles[1] - (2_000.0 * 2.5 + 1_000.0 * 10.0) / 1e6).abs() < 1e-12);
        assert_eq!(c.doubles.len(), 5);
        assert!(c.strings.is_empty() && c.ints.is_empty() && c.bools.is_empty());
    }

    #[test]
    fn nothing_priced_means_no_column() {
        let models = strs(&[Some("unknown")]);
        assert_eq!(costs(&models, &ints(&[Some(1)]), &ints(&[Some(1)])), None);
    }
}
