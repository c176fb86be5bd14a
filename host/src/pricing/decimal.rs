//! Per-token float prices to exact per-million-token decimal strings.
//!
//! LiteLLM writes prices as JSON numbers per token (`2.5e-06`). Multiplying the float by a
//! million would add binary noise (`2.4999999999999996`), so the conversion works on the
//! float's shortest round-trip decimal digits (what the JSON most likely said) and shifts the
//! decimal point by six places in integer arithmetic.

/// Decimal places of a per-million-token price the cost plugin accepts: 1e-12 USD per
/// million tokens is 1e-18 USD (one atto-USD) per token.
pub const DECIMALS: u32 = 12;

/// A per-token USD price as a per-million-token decimal string (`2.5e-06` -> `"2.5"`),
/// rounded half-up to [`DECIMALS`] places, trailing zeros trimmed.
///
/// Rounding only ever drops digits below one atto-USD per token: float noise from the JSON
/// parser (a last-ulp error) or prices such as `1.6666666666666667e-07`, whose repeating
/// decimals no table could state exactly.
pub fn per_mtok(per_token: f64) -> Result<String, String> {
    if !per_token.is_finite() || per_token < 0.0 {
        return Err(format!("{per_token} is not a price"));
    }
    if per_token == 0.0 {
        return Ok("0".to_string());
    }
    // Shortest round-trip form, e.g. "2.5e-6": mantissa digits d.ddd and a power of ten.
    let text = format!("{per_token:e}");
    let (mantissa, exponent) = text
        .split_once('e')
        .ok_or_else(|| format!("unexpected float format {text:?}"))?;
    let exponent: i32 = exponent
        .parse()
        .map_err(|_| format!("unexpected float format {text:?}"))?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significand: u128 = digits
        .parse()
        .map_err(|_| format!("unexpected float format {text:?}"))?;
    // value = significand x 10^(exponent - (digits - 1)) per token; x 10^6 per million tokens;
    // in units of 10^-DECIMALS that is significand x 10^shift.
    let shift = exponent - (digits.len() as i32 - 1) + 6 + DECIMALS as i32;
    let units = scale(significand, shift).ok_or_else(|| format!("{text} is too large a price"))?;
    Ok(format_units(units))
}

/// `n x 10^shift`, rounded half-up when `shift` is negative; `None` on overflow.
fn scale(n: u128, shift: i32) -> Option<u128> {
    if shift >= 0 {
        return 10u128.checked_pow(shift as u32)?.checked_mul(n);
    }
    // Beyond 38 digits of shift everything rounds to zero.
    let Some(divisor) = 10u128.checked_pow(shift.unsigned_abs()) else {
        return Some(0);
    };
    Some(n / divisor + u128::from(n % divisor >= divisor.div_ceil(2)))
}

/// Units of 10^-DECIMALS as a plain decimal with trailing zeros trimmed.
fn format_units(units: u128) -> String {
    let one = 10u128.pow(DECIMALS);
    let (int, frac) = (units / one, units % one);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:0width$}", width = DECIMALS as usize);
    format!("{int}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_the_decimal_point_without_float_noise() {
        // 2.5e-6 x 1e6 is 2.4999999999999996 in floats; the decimal shift is exact.
        assert_eq!(per_mtok(2.5e-6).unwrap(), "2.5");
        assert_eq!(per_mtok(3e-7).unwrap(), "0.3");
        assert_eq!(per_mtok(1.25e-6).unwrap(), "1.25");
        assert_eq!(per_mtok(7.5e-8).unwrap(), "0.075");
        assert_eq!(per_mtok(1.5e-5).unwrap(), "15");
        assert_eq!(per_mtok(0.00012).unwrap(), "120");
        assert_eq!(per_mtok(1.0).unwrap(), "1000000");
        assert_eq!(per_mtok(0.0).unwrap(), "0");
        assert_eq!(per_mtok(1e-18).unwrap(), "0.000000000001");
    }

    #[test]
    fn rounds_below_one_atto_usd_per_token() {
        // 1/6 of a dollar per million tokens: repeating decimals.
        assert_eq!(per_mtok(1.0 / 6e6).unwrap(), "0.166666666667");
        // A last-ulp parser error disappears in the rounding.
        let next_after = f64::from_bits(2.5e-6f64.to_bits() + 1);
        assert_eq!(per_mtok(next_after).unwrap(), "2.5");
        assert_eq!(per_mtok(4e-19).unwrap(), "0");
        assert_eq!(per_mtok(5e-19).unwrap(), "0.000000000001");
    }

    #[test]
    fn rejects_what_is_not_a_price() {
        assert!(per_mtok(-1e-6).is_err());
        assert!(per_mtok(f64::NAN).is_err());
        assert!(per_mtok(f64::INFINITY).is_err());
        assert!(per_mtok(1e300).unwrap_err().contains("too large"));
    }

    #[test]
    fn the_plugin_reads_what_it_writes() {
        for p in [2.5e-6, 1.0 / 6e6, 3.5e-9, 6e-5, 1.1e-6] {
            let text = per_mtok(p).unwrap();
            let rate = sluice_plugin_cost::price::Rate::parse_per_mtok(&text).unwrap();
            // Atto-USD per token, within half an atto of the float.
            assert!(
                (rate.0 as f64 - p * 1e18).abs() <= 0.5 + p * 1e18 * 1e-15,
                "{p}: {text}"
            );
        }
    }
}
