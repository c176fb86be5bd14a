//! Exact money arithmetic.
//!
//! Prices and costs are integers of atto-USD (1e-18 USD), never floats: a per-million-token
//! price with up to 12 decimal places is exactly an integer number of atto-USD per token, so
//! `tokens x rate` and any sum of such products are exact. Floats appear only at the very
//! end, when a cost is written as a double attribute.

/// Atto-USD in one USD.
pub const ATTO_PER_USD: u128 = 1_000_000_000_000_000_000;
/// Atto-USD in one pico-USD (the unit of the exact integer cost attribute).
pub const ATTO_PER_PICO: u128 = 1_000_000;
/// Decimal places a per-million-token price may have: 1e-12 USD/Mtok is 1 atto-USD/token.
const PRICE_DECIMALS: usize = 12;

/// A price in atto-USD per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate(pub u64);

impl Rate {
    /// Parses a decimal USD-per-million-tokens price such as `2.50` or `0.075`.
    ///
    /// Only plain decimals are accepted (no sign, exponent or separators) so that what the
    /// operator wrote is exactly what is charged.
    pub fn parse_per_mtok(text: &str) -> Result<Rate, String> {
        let s = text.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(format!("expected a decimal number, got {text:?}"));
        }
        if frac.len() > PRICE_DECIMALS {
            return Err(format!(
                "{text:?} has more than {PRICE_DECIMALS} decimal places"
            ));
        }
        let too_big = || format!("{text:?} is too large a price");
        let whole: u64 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| too_big())?
        };
        let mut frac_units: u64 = 0;
        for b in frac
            .bytes()
            .chain(std::iter::repeat_n(b'0', PRICE_DECIMALS - frac.len()))
        {
            frac_units = frac_units * 10 + u64::from(b - b'0');
        }
        whole
            .checked_mul(10u64.pow(PRICE_DECIMALS as u32))
            .and_then(|w| w.checked_add(frac_units))
            .map(Rate)
            .ok_or_else(too_big)
    }

    /// Parses a price given in TOML as a decimal string, an integer or a float.
    ///
    /// Floats go through their shortest round-trip decimal form, so `0.075` means exactly
    /// 0.075; a float that is not what it looks like (`0.1 + 0.2`) fails on its decimals.
    pub fn from_toml(value: &toml::Value) -> Result<Rate, String> {
        match value {
            toml::Value::String(s) => Rate::parse_per_mtok(s),
            toml::Value::Integer(i) if *i >= 0 => Rate::parse_per_mtok(&i.to_string()),
            toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => {
                Rate::parse_per_mtok(&f.to_string())
            }
            other => Err(format!("expected a decimal number, got {other}")),
        }
    }
}

/// The four prices that apply to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rates {
    /// Input tokens that were neither read from nor written to a cache.
    pub input: Rate,
    /// Output tokens, reasoning included.
    pub output: Rate,
    /// Input tokens read from the prompt cache.
    pub cache_read: Rate,
    /// Input tokens written to the prompt cache.
    pub cache_write: Rate,
}

/// Token counts of one request, split so that every token is priced exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Input tokens neither read from nor written to a cache.
    pub uncached_input: u64,
    /// Input tokens read from the cache.
    pub cache_read: u64,
    /// Input tokens written to the cache.
    pub cache_write: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
}

impl Usage {
    /// Splits the counts a span reports.
    ///
    /// The conventions say input includes cached tokens and output includes reasoning.
    /// When the cached tokens exceed the input (or the reasoning exceeds the output) the
    /// instrumentation evidently reported them exclusively, as Anthropic's and Gemini's own
    /// APIs do, so they are added instead of subtracted: never a negative count, never a
    /// token priced twice.
    pub fn from_reported(
        input: Option<u64>,
        output: Option<u64>,
        cache_read: Option<u64>,
        cache_write: Option<u64>,
        reasoning: Option<u64>,
    ) -> Usage {
        let (cache_read, cache_write) = (cache_read.unwrap_or(0), cache_write.unwrap_or(0));
        let cached = cache_read.saturating_add(cache_write);
        let input = input.unwrap_or(0);
        let uncached_input = if input >= cached {
            input - cached
        } else {
            input
        };
        let (output, reasoning) = (output.unwrap_or(0), reasoning.unwrap_or(0));
        let output = if reasoning > output {
            output.saturating_add(reasoning)
        } else {
            output
        };
        Usage {
            uncached_input,
            cache_read,
            cache_write,
            output,
        }
    }

    /// Every input token, cached or not: what long-context thresholds are compared with.
    pub fn prompt_tokens(&self) -> u64 {
        self.uncached_input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }
}

/// A cost split by kind of token, in atto-USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdown {
    /// Uncached input.
    pub input: u128,
    /// Output.
    pub output: u128,
    /// Cache reads.
    pub cache_read: u128,
    /// Cache writes.
    pub cache_write: u128,
}

impl Breakdown {
    /// The whole cost in atto-USD (saturating: only an absurd config could reach it).
    pub fn total(&self) -> u128 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }
}

impl Rates {
    /// Prices a request; exact (a u64 count times a u64 rate always fits a u128).
    pub fn cost(&self, u: &Usage) -> Breakdown {
        let mul = |n: u64, r: Rate| u128::from(n) * u128::from(r.0);
        Breakdown {
            input: mul(u.uncached_input, self.input),
            output: mul(u.output, self.output),
            cache_read: mul(u.cache_read, self.cache_read),
            cache_write: mul(u.cache_write, self.cache_write),
        }
    }
}

/// The prices of a model (or of one of its service tiers): base rates plus long-context tiers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Rates for prompts at or below every tier threshold.
    pub base: Rates,
    /// `(threshold, rates)`, ascending and distinct: the rates apply when the prompt has
    /// more than `threshold` tokens.
    pub tiers: Vec<(u64, Rates)>,
}

impl Schedule {
    /// The rates for a prompt of `prompt_tokens`, and the threshold of the tier used, if any.
    pub fn rates_for(&self, prompt_tokens: u64) -> (&Rates, Option<u64>) {
        match self
            .tiers
            .iter()
            .rev()
            .find(|(above, _)| prompt_tokens > *above)
        {
            Some((above, rates)) => (rates, Some(*above)),
            None => (&self.base, None),
        }
    }
}

/// Atto-USD as a double of USD (correctly rounded to within two ulps).
pub fn atto_to_usd(atto: u128) -> f64 {
    // Any call under $18.4 fits a u64, and u64 arithmetic is far cheaper than u128's
    // (which compiles to library calls on wasm32).
    if let Ok(small) = u64::try_from(atto) {
        return small as f64 / ATTO_PER_USD as f64;
    }
    // Splitting keeps the integer part exact.
    let whole = (atto / ATTO_PER_USD) as f64;
    let frac = (atto % ATTO_PER_USD) as f64 / ATTO_PER_USD as f64;
    whole + frac
}

/// Atto-USD rounded half-up to whole pico-USD, saturating at `i64::MAX` (about $9.2M).
///
/// At most half a pico-USD off per call, so a billion calls sum right to a tenth of a cent.
pub fn atto_to_pico(atto: u128) -> i64 {
    let rounded = atto.saturating_add(ATTO_PER_PICO / 2);
    if let Ok(small) = u64::try_from(rounded) {
        return (small / ATTO_PER_PICO as u64) as i64;
    }
    i64::try_from(rounded / ATTO_PER_PICO).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
