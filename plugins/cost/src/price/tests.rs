//! Exact prices, the split of cached and reasoning tokens, tiers and sums.

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
    assert!(
        Rate::parse_per_mtok("0.0000000000001")
            .unwrap_err()
            .contains("decimal places")
    );
    assert!(
        Rate::parse_per_mtok("99999999")
            .unwrap_err()
            .contains("too large")
    );
}

#[test]
fn toml_numbers_and_strings() {
    assert_eq!(
        Rate::from_toml(&toml::Value::Float(0.075)).unwrap(),
        r("0.075")
    );
    assert_eq!(Rate::from_toml(&toml::Value::Integer(3)).unwrap(), r("3"));
    assert_eq!(
        Rate::from_toml(&toml::Value::String("1.25".into())).unwrap(),
        r("1.25")
    );
    assert!(Rate::from_toml(&toml::Value::Integer(-1)).is_err());
    assert!(
        Rate::from_toml(&toml::Value::Boolean(true))
            .unwrap_err()
            .contains("got true")
    );
    assert!(
        Rate::from_toml(&toml::Value::Float(0.1 + 0.2))
            .unwrap_err()
            .contains("decimal places")
    );
}

fn sonnet() -> Rates {
    Rates {
        input: r("3"),
        output: r("15"),
        cache_read: r("0.30"),
        cache_write: r("3.75"),
    }
}

#[test]
fn cached_tokens_are_priced_once_at_their_own_rate() {
    // 1000 input tokens of which 400 cache reads and 100 cache writes, 200 output.
    let u = Usage::from_reported(Some(1000), Some(200), Some(400), Some(100), None);
    assert_eq!(
        u,
        Usage {
            uncached_input: 500,
            cache_read: 400,
            cache_write: 100,
            output: 200
        }
    );
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
    assert_eq!(
        u,
        Usage {
            uncached_input: 50,
            cache_read: 400,
            cache_write: 0,
            output: 10
        }
    );
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
    let long = Rates {
        input: r("6"),
        output: r("22.50"),
        cache_read: r("0.60"),
        cache_write: r("7.50"),
    };
    let s = Schedule {
        base: sonnet(),
        tiers: vec![(200_000, long)],
    };
    assert_eq!(s.rates_for(200_000), (&sonnet(), None));
    assert_eq!(s.rates_for(200_001), (&long, Some(200_000)));
    // 200,001 input tokens at $6/M and 1,000 output at $22.50/M: $1.200006 + $0.0225.
    let u = Usage::from_reported(Some(200_001), Some(1000), None, None, None);
    assert_eq!(
        s.rates_for(u.prompt_tokens()).0.cost(&u).total(),
        1_222_506_000_000_000_000
    );
    // Exactly at the threshold: 200,000 at $3/M + 1,000 at $15/M = $0.615.
    let u = Usage::from_reported(Some(200_000), Some(1000), None, None, None);
    assert_eq!(
        s.rates_for(u.prompt_tokens()).0.cost(&u).total(),
        615_000_000_000_000_000
    );
}

#[test]
fn highest_matching_tier_wins() {
    let t = |p: &str| Rates {
        input: r(p),
        ..Rates::default()
    };
    let s = Schedule {
        base: t("1"),
        tiers: vec![(128_000, t("2")), (272_000, t("3"))],
    };
    assert_eq!(s.rates_for(128_000).1, None);
    assert_eq!(s.rates_for(200_000).1, Some(128_000));
    assert_eq!(s.rates_for(300_000).1, Some(272_000));
}

#[test]
fn a_million_small_costs_sum_exactly() {
    // One cached token at $0.075/M is $0.000000075: not representable as a double.
    let rates = Rates {
        cache_read: r("0.075"),
        ..Rates::default()
    };
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
    assert_ne!(
        float, 0.075,
        "naive float accumulation drifts; the integers do not"
    );
}

#[test]
fn conversions() {
    assert_eq!(atto_to_usd(0), 0.0);
    assert_eq!(atto_to_usd(ATTO_PER_USD * 3 / 2), 1.5);
    assert_eq!(atto_to_pico(499_999), 0);
    assert_eq!(atto_to_pico(500_000), 1);
    assert_eq!(atto_to_pico(u128::MAX / 2), i64::MAX);
    assert_eq!(atto_to_pico(u128::MAX), i64::MAX);
    assert_eq!(atto_to_usd(u128::from(u64::MAX) + 1), 18.446744073709553);
}
