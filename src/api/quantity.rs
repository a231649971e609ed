//! Kubernetes `Quantity` parsing and canonical formatting, after
//! `k8s.io/apimachinery/pkg/api/resource` (`quantity.go`, `suffix.go`, Kubernetes v1.35).
//!
//! A quantity is written as `<sign?><number><suffix?>`:
//!
//! * number: `digits`, `digits.digits`, `digits.` or `.digits` (at least one digit);
//! * suffix: binary `Ki Mi Gi Ti Pi Ei` (2^10 … 2^60), decimal `n u m "" k M G T P E`
//!   (10^-9 … 10^18), or an exponent `e`/`E` followed by a signed integer (`1e3`, `12E-6`).
//!   Case matters: `m` is milli and `M` mega; `K` is no suffix at all.
//!
//! The amount is held exactly as `mantissa × 10^exponent`, with parsing rounding the
//! magnitude *up* to a whole number of nano units (10^-9), exactly as upstream does, so
//! `0.5n` becomes `1n`. Like upstream, the suffix family ([`Format`]) is remembered and
//! used again by [`Display`](fmt::Display), which prints upstream's canonical form
//! (`1.5Gi` → `1536Mi`, `0.5` → `500m`, `1000e-12` → `1e-9`).
//!
//! No floating point is used anywhere; the arithmetic is `u128` plus a small 256-bit
//! numerator for the binary suffixes.
//!
//! [`format_quantity`] and [`format_ratio`] print capsim's integer amounts of a named resource
//! (or quota key such as `limits.memory`) as Kubernetes prints them in API messages
//! (LimitRanger, ResourceQuota, kubelet eviction).

use std::fmt;
use std::str::FromStr;

use crate::model::policy::base_resource;
use crate::model::resources::CPU;

/// Exponent of the smallest unit a parsed quantity keeps: 10^-9 ("nano").
const NANO: i64 = -9;

/// Upstream `maxAllowed`: a `BinarySI` input larger than 2^63-1 is capped to it while parsing.
const BINARY_CAP: u128 = i64::MAX as u128;

/// Largest magnitude accepted after `e`/`E`. Upstream stores the exponent in an `int32`
/// that it later negates, so it accepts `[-MaxInt32, MaxInt32]` and rejects the rest.
const MAX_EXPONENT: i64 = i32::MAX as i64;

/// Significant digits kept in the `u128` mantissa while parsing (10^38 - 1 < 2^127).
/// Digits past these only round the amount up (see [`Quantity::parse`]).
const MAX_DIGITS: usize = 38;

/// The suffix family of a quantity: which kind of suffix [`Quantity::parse`] saw, and which
/// kind [`Display`](fmt::Display) emits again. Mirrors upstream `resource.Format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `e`/`E` exponent notation, e.g. `12e6`; printed with an exponent that is a
    /// multiple of 3 (`80e-3`, `300e6`). Upstream also falls back to this for an unknown
    /// format string.
    DecimalExponent,
    /// Binary SI suffixes, e.g. `12Mi` = 12 × 2^20. Amounts that are not whole numbers, or
    /// smaller than 1024 in magnitude, are printed as [`Format::DecimalSI`] instead.
    BinarySI,
    /// Decimal SI suffixes, e.g. `12M` = 12 × 10^6, `100m` = 0.1.
    DecimalSI,
}

impl Format {
    /// Upstream's name for the format: `"DecimalExponent"`, `"BinarySI"` or `"DecimalSI"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::DecimalExponent => "DecimalExponent",
            Format::BinarySI => "BinarySI",
            Format::DecimalSI => "DecimalSI",
        }
    }
}

/// An exact fixed-point amount with its suffix family, as upstream `resource.Quantity`.
///
/// The amount is `±mantissa × 10^exponent`, kept normalised (no trailing decimal zeros in
/// the mantissa, zero always positive with exponent 0), so the derived `==` compares amount
/// *and* [`Format`]. Parsed quantities are whole multiples of 10^-9 (upstream rounds to nano);
/// `BinarySI` inputs are capped at 2^63-1, decimal ones are not capped.
///
/// Known limit: the mantissa holds 38 significant digits. Inputs with more significant digits
/// above the nano position (so magnitudes of at least 10^28) are rounded up in the last kept
/// digit instead of kept exactly; [`Quantity::value`] and [`Quantity::milli_value`] saturate
/// long before that, so only the [`Display`](fmt::Display) form of such a value differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    negative: bool,
    mantissa: u128,
    exponent: i64,
    format: Format,
}

/// Why a quantity string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
pub struct QuantityError;

impl Quantity {
    /// Parses a quantity string such as `"100m"`, `"1.5Gi"`, `"1e3"` or `"-0.5"`, as upstream
    /// `ParseQuantity` does.
    ///
    /// The magnitude is rounded up to a whole number of nano units (`3.001n` → `4n`,
    /// `0.000000000001Ki` → `2n`); a `BinarySI` amount above 2^63-1 is capped to 2^63-1; a
    /// `BinarySI` amount strictly between 0 and 1 in magnitude switches to `DecimalSI`.
    ///
    /// # Errors
    ///
    /// [`QuantityError`] on the empty string, a number without digits (`"."`, `"-"`, `"Ki"`), an unknown
    /// suffix (`1K`, `1i`, `0.1mi`), an exponent outside ±(2^31-1), and any other character
    /// (whitespace included, as upstream: `" 1"` and `"1 "` fail). Upstream's scanner happens to
    /// accept some digitless numbers as 0 (`"."`, `"-"`, `"Ki"`, but not `".Pi"`); this parser
    /// follows the documented grammar and rejects them all.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let bytes = s.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let int_digits = take_digits(bytes, &mut pos);
        let frac_digits = if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            take_digits(bytes, &mut pos)
        } else {
            &[]
        };
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(QuantityError);
        }
        // Everything after the number must be exactly one suffix.
        let (binary_shift, suffix_exponent, format) = interpret_suffix(&s[pos..])?;

        // Gather the significant digits into a u128; digits past MAX_DIGITS only set `sticky`
        // (the amount is then strictly above what was kept).
        let mut mantissa: u128 = 0;
        let mut kept = 0usize;
        let mut dropped: i64 = 0;
        let mut sticky = false;
        for &d in int_digits.iter().chain(frac_digits) {
            let d = u128::from(d - b'0');
            if kept == 0 && d == 0 {
                continue; // leading zero
            }
            if kept < MAX_DIGITS {
                mantissa = mantissa * 10 + d;
                kept += 1;
            } else {
                dropped += 1;
                sticky |= d != 0;
            }
        }
        // The amount is (mantissa + sticky-fraction) × 10^exponent × 2^binary_shift.
        let exponent = suffix_exponent - len_i64(frac_digits.len()) + dropped;

        let numerator = U256::from_u128_shl(mantissa, binary_shift);
        let (magnitude, exponent) = if exponent < NANO {
            // Finer than nano: divide down to nano units, rounding any remainder up.
            let (quotient, remainder) = numerator.div_pow10(NANO - exponent);
            let rounded = quotient.to_u128().and_then(|q| q.checked_add(u128::from(remainder || sticky)));
            (rounded, NANO)
        } else {
            // Whole nano units already; `sticky` here implies a magnitude of at least 10^28.
            let rounded = numerator.to_u128().and_then(|n| n.checked_add(u128::from(sticky)));
            (rounded, exponent)
        };

        let mut quantity = match (format, magnitude) {
            (Format::BinarySI, Some(m)) if !exceeds(m, exponent, BINARY_CAP) => {
                Quantity::normalised(negative, m, exponent, format)
            }
            (Format::BinarySI, _) => Quantity::normalised(negative, BINARY_CAP, 0, format),
            // Decimal mantissas are below 10^38 + 1 and never overflow; saturate regardless.
            (_, m) => Quantity::normalised(negative, m.unwrap_or(u128::MAX), exponent, format),
        };
        if quantity.format == Format::BinarySI && quantity.mantissa != 0 && quantity.magnitude_below(1) {
            // Upstream: "This avoids rounding and hopefully confusion, too."
            quantity.format = Format::DecimalSI;
        }
        Ok(quantity)
    }

    /// `NewQuantity(value, format)`: the whole number `value` with the given format.
    pub fn new(value: i64, format: Format) -> Quantity {
        Quantity::normalised(value < 0, u128::from(value.unsigned_abs()), 0, format)
    }

    /// `NewMilliQuantity(value, format)`: `value` thousandths (`new_milli(1500, DecimalSI)` is
    /// 1.5, printed `1500m`).
    pub fn new_milli(value: i64, format: Format) -> Quantity {
        Quantity::normalised(value < 0, u128::from(value.unsigned_abs()), -3, format)
    }

    /// `NewScaledQuantity(value, scale)`: `value × 10^scale` in [`Format::DecimalSI`]. Unlike
    /// parsing, this does not round to nano: `new_scaled(1, -12)` is exactly 10^-12.
    pub fn new_scaled(value: i64, scale: i32) -> Quantity {
        Quantity::normalised(value < 0, u128::from(value.unsigned_abs()), i64::from(scale), Format::DecimalSI)
    }

    /// The suffix family this quantity remembers (upstream's `Format` field).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The same amount with another [`Format`], as assigning upstream's `Format` field. No
    /// rounding happens here; [`Display`](fmt::Display) falls back to `DecimalSI` where
    /// `BinarySI` cannot show the amount exactly.
    pub fn with_format(self, format: Format) -> Quantity {
        Quantity { format, ..self }
    }

    /// Whether the amount is zero (upstream `IsZero`).
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Whether the amount is below zero (upstream `Sign() < 0`).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// `Value()`: the amount in whole units (cores, bytes, …), rounded up (magnitude) and
    /// saturating at the `i64` bounds. `100m` → 1, `1.5Gi` → 1610612736.
    ///
    /// Negative amounts round away from zero (`-1.5` → -2), as upstream v1.35 does
    /// (`TestNegativeValueRoundsAwayFromZero`); resource requests are never negative.
    pub fn value(&self) -> i64 {
        self.scaled_value(0)
    }

    /// `MilliValue()`: the amount in thousandths (millicores, millibytes), rounded up in
    /// magnitude and saturating at the `i64` bounds. `0.1` → 100, `0.0001` → 1.
    pub fn milli_value(&self) -> i64 {
        self.scaled_value(-3)
    }

    /// `ScaledValue(scale)`: the amount in units of 10^`scale`, magnitude rounded up and
    /// saturating at the `i64` bounds (`scaled_value(0)` is [`Quantity::value`],
    /// `scaled_value(-3)` is [`Quantity::milli_value`], `scaled_value(-9)` counts nano units).
    pub fn scaled_value(&self, scale: i32) -> i64 {
        if self.mantissa == 0 {
            return 0;
        }
        let saturated = if self.negative { i64::MIN } else { i64::MAX };
        let shift = self.exponent.saturating_sub(i64::from(scale));
        let (whole, has_fraction) = if shift >= 0 {
            match pow10(shift).and_then(|p| self.mantissa.checked_mul(p)) {
                Some(whole) => (whole, false),
                None => return saturated,
            }
        } else {
            match pow10(-shift) {
                Some(p) => (self.mantissa / p, !self.mantissa.is_multiple_of(p)),
                None => (0, true),
            }
        };
        if self.negative {
            // Upstream rounds the magnitude up, so negatives move away from zero.
            let whole = whole + u128::from(has_fraction);
            match whole.cmp(&(1u128 << 63)) {
                std::cmp::Ordering::Less => -(whole as i64),
                _ => i64::MIN,
            }
        } else {
            let whole = whole + u128::from(has_fraction);
            i64::try_from(whole).unwrap_or(saturated)
        }
    }

    /// The exact amount as a plain decimal numeral without suffix or exponent: `0.05Gi` →
    /// `"53687091.2"`, `4u` → `"0.000004"`, `-1k` → `"-1000"`. Its length grows with the
    /// exponent, so keep it for tests and diagnostics.
    pub fn to_decimal_string(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_owned();
        }
        let digits = self.mantissa.to_string();
        let sign = if self.negative { "-" } else { "" };
        if self.exponent >= 0 {
            let zeros = "0".repeat(usize::try_from(self.exponent).unwrap_or(usize::MAX));
            return format!("{sign}{digits}{zeros}");
        }
        let frac_len = usize::try_from(-self.exponent).unwrap_or(usize::MAX);
        if digits.len() > frac_len {
            let (int, frac) = digits.split_at(digits.len() - frac_len);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(frac_len - digits.len()))
        }
    }

    /// Builds a quantity, stripping trailing zeros from the mantissa so equal amounts compare
    /// equal.
    fn normalised(negative: bool, mut mantissa: u128, mut exponent: i64, format: Format) -> Quantity {
        if mantissa == 0 {
            return Quantity { negative: false, mantissa: 0, exponent: 0, format };
        }
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent = exponent.saturating_add(1);
        }
        Quantity { negative, mantissa, exponent, format }
    }

    /// Whether the magnitude is strictly below the whole number `bound`.
    fn magnitude_below(&self, bound: u128) -> bool {
        if self.exponent >= 0 {
            pow10(self.exponent).and_then(|p| self.mantissa.checked_mul(p)).is_some_and(|v| v < bound)
        } else {
            // m / p < bound  ⇔  m < bound × p; a product past u128 is above any mantissa.
            pow10(-self.exponent).and_then(|p| bound.checked_mul(p)).is_none_or(|limit| self.mantissa < limit)
        }
    }

    /// The magnitude as a whole number, if it is one and fits in a `u128`.
    fn whole_magnitude(&self) -> Option<u128> {
        if self.exponent < 0 {
            return None; // normalised, so a negative exponent means a real fraction
        }
        pow10(self.exponent).and_then(|p| self.mantissa.checked_mul(p))
    }

    /// Upstream `AsCanonicalBytes`: the mantissa digits and a base-10 exponent that is the
    /// largest multiple of 3 not above the normalised exponent (`0.08` → `("80", -3)`).
    fn decimal_parts(&self) -> (String, i64) {
        let extra = self.exponent.rem_euclid(3);
        let mut digits = self.mantissa.to_string();
        for _ in 0..extra {
            digits.push('0');
        }
        (digits, self.exponent - extra)
    }
}

/// The canonical form of upstream `String()` / `CanonicalizeBytes`: the largest suffix (or
/// exponent) that keeps the digits whole, in the quantity's [`Format`].
///
/// * `0` always prints `"0"`; negatives print `-` then the form of their magnitude.
/// * `DecimalSI`: exponent a multiple of 3 mapped to `n u m "" k M G T P E` (`1080m`, `1G`).
/// * `DecimalExponent`: the same digits with `e<exp>` unless the exponent is 0 (`80e-3`, `1e3`).
/// * `BinarySI`: whole amounts of magnitude ≥ 1024 divided by the largest power of 1024 up to
///   `Ei` (`1Gi`, `1001Gi`, `1025`); other amounts print as `DecimalSI` (`500m`, `1234567m`).
/// * Past the suffix tables (decimal exponents above 18 or below -9, or powers of 1024 above
///   `Ei`), the newest upstream falls back to exponent notation (`1e21`, `10e69`); so does this.
///   One deviation: a `BinarySI` whole amount of 2^128 or more (unreachable by parsing, which
///   caps `BinarySI` at 2^63-1) also prints in exponent notation.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mantissa == 0 {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let mut format = self.format;
        if format == Format::BinarySI {
            match self.whole_magnitude() {
                Some(whole) if whole >= 1024 => {
                    let (mut amount, mut power) = (whole, 0);
                    while amount.is_multiple_of(1024) {
                        amount /= 1024;
                        power += 1;
                    }
                    match BINARY_SUFFIXES.get(power) {
                        Some(suffix) => return write!(f, "{amount}{suffix}"),
                        None => format = Format::DecimalExponent,
                    }
                }
                Some(_) => format = Format::DecimalSI,
                None if self.exponent < 0 => format = Format::DecimalSI,
                None => format = Format::DecimalExponent,
            }
        }
        let (digits, exponent) = self.decimal_parts();
        if format == Format::DecimalSI
            && let Some(suffix) = decimal_si_suffix(exponent)
        {
            return write!(f, "{digits}{suffix}");
        }
        if exponent == 0 { write!(f, "{digits}") } else { write!(f, "{digits}e{exponent}") }
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    /// Same as [`Quantity::parse`].
    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

/// Binary suffixes by power of 1024 (index 0 is no suffix).
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// The decimal SI suffix for a base-10 exponent, if there is one.
fn decimal_si_suffix(exponent: i64) -> Option<&'static str> {
    Some(match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => "",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => return None,
    })
}

/// Upstream `interpret`: a suffix string to (power of two, power of ten, format).
fn interpret_suffix(suffix: &str) -> Result<(u32, i64, Format), QuantityError> {
    let decimal = |exponent| Ok((0, exponent, Format::DecimalSI));
    let binary = |shift| Ok((shift, 0, Format::BinarySI));
    match suffix {
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            // `e`/`E` then a signed decimal integer; `i64::from_str` accepts exactly
            // `[+-]?[0-9]+`, like Go's `strconv.ParseInt(s, 10, 64)`.
            let rest = suffix.strip_prefix(['e', 'E']).ok_or(QuantityError)?;
            let exponent: i64 = rest.parse().map_err(|_| QuantityError)?;
            if !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&exponent) {
                return Err(QuantityError);
            }
            Ok((0, exponent, Format::DecimalExponent))
        }
    }
}

/// Advances `pos` over ASCII digits and returns them.
fn take_digits<'a>(bytes: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
        *pos += 1;
    }
    &bytes[start..*pos]
}

/// A length as `i64` (lengths of in-memory strings always fit).
fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// 10^`n` if it fits in a `u128` (n ≤ 38).
fn pow10(n: i64) -> Option<u128> {
    10u128.checked_pow(u32::try_from(n).ok()?)
}

/// Whether `mantissa × 10^exponent` is strictly greater than the whole number `bound`.
fn exceeds(mantissa: u128, exponent: i64, bound: u128) -> bool {
    if exponent >= 0 {
        pow10(exponent).and_then(|p| mantissa.checked_mul(p)).is_none_or(|v| v > bound)
    } else {
        match pow10(-exponent) {
            // m / p > bound  ⇔  m > bound × p  (as m and p are integers).
            Some(p) => bound.checked_mul(p).is_some_and(|limit| mantissa > limit),
            None => false, // divisor above 10^38 > mantissa, so the amount is below 1
        }
    }
}

/// A 256-bit unsigned integer, little-endian 64-bit limbs: just enough for a 38-digit
/// mantissa shifted left by up to 60 bits (`Ei`) and then divided by powers of ten.
#[derive(Clone, Copy)]
struct U256([u64; 4]);

impl U256 {
    /// `value << shift`, for `shift` ≤ 64 (nothing is lost: `value` < 2^128).
    fn from_u128_shl(value: u128, shift: u32) -> U256 {
        let lo = value as u64;
        let hi = (value >> 64) as u64;
        if shift == 0 {
            return U256([lo, hi, 0, 0]);
        }
        U256([lo << shift, (hi << shift) | (lo >> (64 - shift)), hi >> (64 - shift), 0])
    }

    fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Divides by the small divisor `d` in place and returns the remainder.
    fn div_rem_small(&mut self, d: u64) -> u64 {
        let mut remainder: u128 = 0;
        for limb in self.0.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / u128::from(d)) as u64;
            remainder = current % u128::from(d);
        }
        remainder as u64
    }

    /// `self / 10^n` and whether the division left a remainder. Stops early once the
    /// quotient is zero, so huge `n` (an `e-2000000000` exponent) costs nothing.
    fn div_pow10(mut self, mut n: i64) -> (U256, bool) {
        let mut remainder = false;
        while n > 0 && !self.is_zero() {
            let step = n.min(19); // 10^19 < 2^64
            remainder |= self.div_rem_small(10u64.pow(step as u32)) != 0;
            n -= step;
        }
        (self, remainder)
    }

    fn to_u128(self) -> Option<u128> {
        let [a, b, c, d] = self.0;
        (c == 0 && d == 0).then(|| (u128::from(b) << 64) | u128::from(a))
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts of named resources

/// Whether resource (or quota key) `name` is counted in millicores: `cpu`, `requests.cpu`,
/// `limits.cpu`. Everything else is in whole units of `Value()`.
pub fn is_milli_resource(name: &str) -> bool {
    base_resource(name) == CPU
}

/// Whether resource (or quota key) `name` is an amount of bytes: memory, ephemeral-storage,
/// storage and huge pages.
fn is_byte_resource(name: &str) -> bool {
    let base = base_resource(name);
    matches!(base, "memory" | "ephemeral-storage" | "storage") || base.starts_with("hugepages-")
}

/// `value` of resource (or quota key) `name`, in capsim units, as Kubernetes prints the quantity
/// (`Quantity.String()`): cpu as millicores (`500m`, `1`, `1500m`); byte amounts that are whole
/// multiples of 1024 with binary suffixes (`99Mi`, `1536Mi`, `2Gi`) and others with decimal ones
/// (`500M`, `1k`, `123`); counts and extended resources as decimal numbers (`2`, `1k`).
///
/// The binary/decimal choice for bytes stands in for the suffix family upstream remembers from
/// the original text, which capsim does not keep.
pub fn format_quantity(name: &str, value: i64) -> String {
    let q = if is_milli_resource(name) {
        Quantity::new_milli(value, Format::DecimalSI)
    } else if is_byte_resource(name) && value != 0 && value % 1024 == 0 {
        Quantity::new(value, Format::BinarySI)
    } else {
        Quantity::new(value, Format::DecimalSI)
    };
    q.to_string()
}

/// A ratio kept in thousandths, printed as Kubernetes prints it (`2000` → `2`, `1500` → `1500m`).
pub fn format_ratio(milli: i64) -> String {
    Quantity::new_milli(milli, Format::DecimalSI).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|_| panic!("{s:?} should parse"))
    }

    #[test]
    fn tenth_of_a_core_is_100_millicores() {
        assert_eq!(q("0.1").milli_value(), 100);
    }

    #[test]
    fn sub_milli_amount_rounds_up_to_one_millicore() {
        assert_eq!(q("0.0001").milli_value(), 1);
        assert_eq!(q("0.0001").value(), 1);
    }

    #[test]
    fn binary_and_decimal_suffixes_scale_bytes() {
        assert_eq!(q("128Mi").value(), 134_217_728);
        assert_eq!(q("1G").value(), 1_000_000_000);
        assert_eq!(q("1.5Gi").value(), 1_610_612_736);
        assert_eq!(q("1Ki").value(), 1024);
        assert_eq!(q("1k").value(), 1000);
        assert_eq!(q("2Ei").value(), 2 << 60);
    }

    #[test]
    fn exponent_form_scales_by_powers_of_ten() {
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("12E-6").milli_value(), 1); // 0.000012 rounds up to 1m
        assert_eq!(q("12E-6").scaled_value(-9), 12_000);
        assert_eq!(q("1.3E+6").value(), 1_300_000);
        assert_eq!(q("1e3").format(), Format::DecimalExponent);
    }

    #[test]
    fn millicores_round_up_to_whole_cores() {
        assert_eq!(q("100m").value(), 1);
        assert_eq!(q("100m").milli_value(), 100);
        assert_eq!(q("1001m").value(), 2);
    }

    #[test]
    fn negative_amounts_round_away_from_zero() {
        assert_eq!(q("-1.5").value(), -2);
        assert_eq!(q("-1500m").value(), -2);
        assert_eq!(q("-1.5").milli_value(), -1500);
        assert_eq!(q("-0.0005").milli_value(), -1);
        assert_eq!(q("-1").value(), -1);
        assert_eq!(q("-0").to_string(), "0");
        assert!(!q("-0").is_negative());
    }

    #[test]
    fn parsing_rounds_magnitude_up_to_nano_units() {
        assert_eq!(q("3.001n").to_decimal_string(), "0.000000004");
        assert_eq!(q("0.5e-9").scaled_value(-9), 1);
        assert_eq!(q("1e-2147483647").scaled_value(-9), 1);
        assert_eq!(q("-1.1E-9").to_decimal_string(), "-0.000000002");
        assert_eq!(q("0.000000000001Ki").to_string(), "2n");
    }

    #[test]
    fn values_saturate_at_i64_bounds() {
        assert_eq!(q("12E").value(), i64::MAX);
        assert_eq!(q("12E").to_decimal_string(), "12000000000000000000");
        assert_eq!(q("9223372036854775807").value(), i64::MAX);
        assert_eq!(q("9223372036854775807").milli_value(), i64::MAX);
        assert_eq!(q("-9223372036854775808").value(), i64::MIN);
        assert_eq!(q("-1e40").milli_value(), i64::MIN);
        assert_eq!(q("1e2147483647").value(), i64::MAX);
        assert_eq!(q("1e2147483647").to_string(), "10e2147483646");
    }

    #[test]
    fn binary_inputs_are_capped_at_max_int64() {
        // Upstream `maxAllowed` is 2^63-1 (amount.go).
        assert_eq!(q("9Ei").to_decimal_string(), "9223372036854775807");
        assert_eq!(q("9223372036854775807Ki").value(), i64::MAX);
        assert_eq!(q("-9Ei").value(), -i64::MAX);
        assert_eq!(q("9Ei").format(), Format::BinarySI);
        assert_eq!(q("7Ei").value(), 7 << 60);
        // Decimal inputs are not capped.
        assert_eq!(q("10E").to_decimal_string(), "10000000000000000000");
    }

    #[test]
    fn fractional_binary_below_one_switches_to_decimal_si() {
        assert_eq!(q("0.0005Ki").format(), Format::DecimalSI); // 0.512
        assert_eq!(q("-0.0005Ki").format(), Format::DecimalSI);
        assert_eq!(q("0.5Ki").format(), Format::BinarySI); // 512
        assert_eq!(q("0Ki").format(), Format::BinarySI);
        assert_eq!(q("1.5Ki").format(), Format::BinarySI);
    }

    #[test]
    fn long_inputs_keep_nano_precision() {
        assert_eq!(q("0.0000000000000000000000000000000000000000001").scaled_value(-9), 1);
        assert_eq!(
            q("123456789012345678901234567.123456789").to_decimal_string(),
            "123456789012345678901234567.123456789"
        );
        // 38 significant digits times 2^60 needs the 256-bit numerator (checked with exact
        // rationals: ceil(x × 2^60 × 10^9)).
        let wide = q("0.12345678901234567890123456789012345678Ei");
        assert_eq!(wide.to_decimal_string(), "142335986942043633.765524428");
        assert_eq!(wide.milli_value(), i64::MAX);
        assert_eq!(wide.value(), 142_335_986_942_043_634);
        assert_eq!(wide.format(), Format::BinarySI);
        assert_eq!(q("123456789012345678901234567890.5Ei").value(), i64::MAX);
        assert_eq!(q("000000000000000000000000000000000000000000000001").value(), 1);
    }

    #[test]
    fn canonical_form_uses_the_largest_whole_suffix() {
        assert_eq!(q("1.5Gi").to_string(), "1536Mi");
        assert_eq!(q("1.5").to_string(), "1500m");
        assert_eq!(q("0.5").to_string(), "500m");
        assert_eq!(q("-1.08").to_string(), "-1080m");
        assert_eq!(q("1000e-12").to_string(), "1e-9");
        assert_eq!(q("0.08e0").to_string(), "80e-3");
        assert_eq!(q("1000E").to_string(), "1e21");
        assert_eq!(Quantity::new_scaled(1, -12).to_string(), "1e-12");
        assert_eq!(Quantity::new_scaled(1, -10).to_string(), "100e-12");
        assert_eq!(Quantity::new(2000, Format::BinarySI).to_string(), "2000");
        assert_eq!(Quantity::new(-2048, Format::BinarySI).to_string(), "-2Ki");
        assert_eq!(q("1Ei").with_format(Format::BinarySI).to_string(), "1Ei");
        // 1024 × 10^18 = 2^28 × 5^18: two factors of 1024.
        assert_eq!(q("1024E").with_format(Format::BinarySI).to_string(), "976562500000000Mi");
        assert_eq!(
            q("1180591620717411303424").with_format(Format::BinarySI).to_string(),
            "1180591620717411303424"
        );
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        for bad in [
            "",
            ".",
            "-",
            "+",
            "Ki",
            "1.2.3",
            "1K",
            "abc",
            "1 Gi",
            " 1",
            "1 ",
            "1Gi ",
            "1e",
            "1e+",
            "1E3.5",
            "1ee3",
            "1Mi5",
            "--1",
            "1,5",
            "1e2147483648",
            "1e-2147483648",
            // i64::MIN, whose `abs()` overflowed (found by fuzz/quantity).
            "1e-9223372036854775808",
            "1e99999999999999999999",
            "1_000",
            "１",
        ] {
            assert_eq!(Quantity::parse(bad), Err(QuantityError), "{bad:?} should not parse");
        }
    }

    #[test]
    fn leading_sign_and_odd_but_valid_numbers_parse() {
        assert_eq!(q("+1.5Gi"), q("1.5Gi"));
        assert_eq!(q("1."), q("1"));
        assert_eq!(q(".5"), q("500m"));
        assert_eq!(q("1.G").value(), 1_000_000_000);
        assert_eq!(q("1e+03").value(), 1000);
        assert_eq!("250m".parse::<Quantity>().map(|x| x.milli_value()), Ok(250));
    }

    proptest! {
        #[test]
        fn millicores_round_trip(m in 0i64..1_000_000_000_000) {
            prop_assert_eq!(q(&format!("{m}m")).milli_value(), m);
        }

        #[test]
        fn plain_integers_round_trip(b in any::<i64>()) {
            prop_assert_eq!(q(&format!("{b}")).value(), b);
        }

        #[test]
        fn mebibytes_round_trip(k in 0i64..(1 << 20)) {
            prop_assert_eq!(q(&format!("{k}Mi")).value(), k << 20);
        }

        #[test]
        fn canonical_string_parses_back_to_the_same_amount(
            m in any::<i64>(),
            format in prop_oneof![Just(Format::DecimalSI), Just(Format::BinarySI), Just(Format::DecimalExponent)],
        ) {
            let original = Quantity::new_milli(m, format);
            let reparsed = q(&original.to_string());
            prop_assert_eq!(reparsed.milli_value(), m);
            prop_assert_eq!(reparsed.to_decimal_string(), original.to_decimal_string());
            prop_assert_eq!(reparsed.to_string(), original.to_string());
        }
    }

    #[test]
    fn quantities_print_in_canonical_form() {
        let cases = [
            ("cpu", 500, "500m"),
            ("cpu", 1000, "1"),
            ("requests.cpu", 1500, "1500m"),
            ("limits.cpu", 2000, "2"),
            ("memory", 2 * (1 << 30), "2Gi"),
            ("limits.memory", 1536 * (1 << 20), "1536Mi"),
            ("memory", 0, "0"),
            ("memory", 500_000_000, "500M"),
            ("memory", 1000, "1k"),
            ("requests.ephemeral-storage", 10 * (1 << 30), "10Gi"),
            ("pods", 10, "10"),
            ("count/pods", 1000, "1k"),
            ("requests.nvidia.com/gpu", 2, "2"),
            ("hugepages-2Mi", 4 * (1 << 20), "4Mi"),
        ];
        for (name, v, want) in cases {
            assert_eq!(format_quantity(name, v), want, "{name}={v}");
        }
        assert_eq!((format_ratio(2000), format_ratio(1500)), ("2".to_string(), "1500m".to_string()));
    }
}
