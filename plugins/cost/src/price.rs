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
            return Err(format!("{text:?} has more than {PRICE_DECIMALS} decimal places"));
        }
        let too_big = || format!("{text:?} is too large a price");
        let whole: u64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| too_big())? };
        let mut frac_units: u64 = 0;
        for b in frac.bytes().chain(std::iter::repeat_n(b'0', PRICE_DECIMALS - frac.len())) {
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
            toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => Rate::parse_per_mtok(&f.to_string()),
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
        let uncached_input = if input >= cached { input - cached } else { input };
        let (output, reasoning) = (output.unwrap_or(0), reasoning.unwrap_or(0));
        let output = if reasoning > output { output.saturating_add(reasoning) } else { output };
        Usage { uncached_input, cache_read, cache_write, output }
    }

    /// Every input token, cached or not: what long-context thresholds are compared with.
    pub fn prompt_tokens(&self) -> u64 {
        self.uncached_input.saturating_add(self.cache_read).saturating_add(self.cache_write)
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
    /// The whole cost in atto-USD.
    pub fn total(&self) -> u128 {
        self.input + self.output + self.cache_read + self.cache_write
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
        match self.tiers.iter().rev().find(|(above, _)| prompt_tokens > *above) {
            Some((above, rates)) => (rates, Some(*above)),
            None => (&self.base, None),
        }
    }
}

/// Atto-USD as a double of USD (correctly rounded to within two ulps).
pub fn atto_to_usd(atto: u128) -> f64 {
    // Splitting keeps the integer part exact for any realistic cost.
    let whole = (atto / ATTO_PER_USD) as f64;
    let frac = (atto % ATTO_PER_USD) as f64 / ATTO_PER_USD as f64;
    whole + frac
}

/// Atto-USD rounded half-up to whole pico-USD, saturating at `i64::MAX` (about $9.2M).
///
/// At most half a pico-USD off per call, so a billion calls sum right to a tenth of a cent.
pub fn atto_to_pico(atto: u128) -> i64 {
    i64::try_from((atto + ATTO_PER_PICO / 2) / ATTO_PER_PICO).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Rate {
        Rate::parse_per_mtok(s).unwrap()
    }

    #[test]
    fn parses_decimal_prices_exactly() {
        assert_eq!(r("2.50"), Rate(2_500_000_000_000));
        assert_eq!(r("0.075"), Rate(75_000_000_000));
        assert_eq!(r("10"), Rate(10_000_000_000_000));
        assert_eq!(r(".5"), Rate(500_000_000_000));
        assert_eq!(r("0.000000000001"), Rate(1));
        assert_eq!(r("0"), Rate(0));
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        for bad in ["abc", "", ".", "-1", "+1", "1e-6", "1,5", "1.2.3", " "] {
            let err = Rate::parse_per_mtok(bad).unwrap_err();
            assert!(err.contains("expected a decimal number"), "{bad}: {err}");
        }
        assert!(Rate::parse_per_mtok("0.0000000000001").unwrap_err().contains("decimal places"));
        assert!(Rate::parse_per_mtok("99999999").unwrap_err().contains("too large"));
    }

    #[test]
    fn toml_numbers_and_strings() {
        assert_eq!(Rate::from_toml(&toml::Value::Float(0.075)).unwrap(), r("0.075"));
        assert_eq!(Rate::from_toml(&toml::Value::Integer(3)).unwrap(), r("3"));
        assert_eq!(Rate::from_toml(&toml::Value::String("1.25".into())).unwrap(), r("1.25"));
        assert!(Rate::from_toml(&toml::Value::Integer(-1)).is_err());
        assert!(Rate::from_toml(&toml::Value::Boolean(true)).unwrap_err().contains("got true"));
        assert!(Rate::from_toml(&toml::Value::Float(0.1 + 0.2)).unwrap_err().contains("decimal places"));
    }

    fn sonnet() -> Rates {
        Rates { input: r("3"), output: r("15"), cache_read: r("0.30"), cache_write: r("3.75") }
    }

    #[test]
    fn cached_tokens_are_priced_once_at_their_own_rate() {
        // 1000 input tokens of which 400 cache reads and 100 cache writes, 200 output.
        let u = Usage::from_reported(Some(1000), Some(200), Some(400), Some(100), None);
        assert_eq!(u, Usage { uncached_input: 500, cache_read: 400, cache_write: 100, output: 200 });
        let b = sonnet().cost(&u);
        // 500 x $3/M = $0.0015; 400 x $0.30/M = $0.00012; 100 x $3.75/M = $0.000375;
        // 200 x $15/M = $0.003. Total $0.004995.
        assert_eq!(b.input, 1_500_000_000_000_000);
        assert_eq!(b.cache_read, 120_000_000_000_000);
        assert_eq!(b.cache_write, 375_000_000_000_000);
        assert_eq!(b.output, 3_000_000_000_000_000);
        assert_eq!(b.total(), 4_995_000_000_000_000);
        // Double-counting would have charged all 1000 input tokens at $3 on top: $0.003 more.
        assert_eq!(atto_to_usd(b.total()), 0.004995);
        assert_eq!(atto_to_pico(b.total()), 4_995_000_000);
    }

    #[test]
    fn exclusive_reporting_is_not_subtracted() {
        // Anthropic's own API reports input without cache tokens: 50 fresh + 400 read.
        let u = Usage::from_reported(Some(50), Some(10), Some(400), None, None);
        assert_eq!(u, Usage { uncached_input: 50, cache_read: 400, cache_write: 0, output: 10 });
        assert_eq!(u.prompt_tokens(), 450);
    }

    #[test]
    fn reasoning_is_part_of_output() {
        let inclusive = Usage::from_reported(Some(10), Some(500), None, None, Some(300));
        assert_eq!(inclusive.output, 500);
        // Gemini's API reports thoughts separately: 100 visible + 300 thoughts.
        let exclusive = Usage::from_reported(Some(10), Some(100), None, None, Some(300));
        assert_eq!(exclusive.output, 400);
        let only_reasoning = Usage::from_reported(Some(10), None, None, None, Some(30));
        assert_eq!(only_reasoning.output, 30);
    }

    #[test]
    fn tier_applies_strictly_above_its_threshold() {
        let long = Rates { input: r("6"), output: r("22.50"), cache_read: r("0.60"), cache_write: r("7.50") };
        let s = Schedule { base: sonnet(), tiers: vec![(200_000, long)] };
        assert_eq!(s.rates_for(200_000), (&sonnet(), None));
        assert_eq!(s.rates_for(200_001), (&long, Some(200_000)));
        // 200,001 input tokens at $6/M and 1,000 output at $22.50/M: $1.200006 + $0.0225.
        let u = Usage::from_reported(Some(200_001), Some(1000), None, None, None);
        assert_eq!(s.rates_for(u.prompt_tokens()).0.cost(&u).total(), 1_222_506_000_000_000_000);
        // Exactly at the threshold: 200,000 at $3/M + 1,000 at $15/M = $0.615.
        let u = Usage::from_reported(Some(200_000), Some(1000), None, None, None);
        assert_eq!(s.rates_for(u.prompt_tokens()).0.cost(&u).total(), 615_000_000_000_000_000);
    }

    #[test]
    fn highest_matching_tier_wins() {
        let t = |p: &str| Rates { input: r(p), ..Rates::default() };
        let s = Schedule { base: t("1"), tiers: vec![(128_000, t("2")), (272_000, t("3"))] };
        assert_eq!(s.rates_for(128_000).1, None);
        assert_eq!(s.rates_for(200_000).1, Some(128_000));
        assert_eq!(s.rates_for(300_000).1, Some(272_000));
    }

    #[test]
    fn a_million_small_costs_sum_exactly() {
        // One cached token at $0.075/M is $0.000000075: not representable as a double.
        let rates = Rates { cache_read: r("0.075"), ..Rates::default() };
        let u = Usage::from_reported(Some(1), None, Some(1), None, None);
        let (mut atto, mut pico, mut float) = (0u128, 0i64, 0f64);
        for _ in 0..1_000_000 {
            let c = rates.cost(&u).total();
            atto += c;
            pico += atto_to_pico(c);
            float += atto_to_usd(c);
        }
        assert_eq!(atto, 75_000_000_000_000_000); // exactly $0.075
        assert_eq!(pico, 75_000_000_000);
        assert_eq!(atto_to_usd(atto), 0.075);
        assert_ne!(float, 0.075, "naive float accumulation drifts; the integers do not");
    }

    #[test]
    fn conversions() {
        assert_eq!(atto_to_usd(0), 0.0);
        assert_eq!(atto_to_usd(ATTO_PER_USD * 3 / 2), 1.5);
        assert_eq!(atto_to_pico(499_999), 0);
        assert_eq!(atto_to_pico(500_000), 1);
        assert_eq!(atto_to_pico(u128::MAX / 2), i64::MAX);
    }
}
