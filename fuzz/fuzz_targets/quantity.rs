//! `Quantity::parse` on any string; a parsed quantity's `value()`, `milli_value()`, canonical
//! form and (for exponents a test would use) `to_decimal_string()` must not panic, and the
//! canonical form must parse again to the same amount.
#![no_main]

use capsim::api::quantity::Quantity;
use libfuzzer_sys::fuzz_target;

/// The exponent written after `e`/`E` in `s`, if any (`1e3` → 3). `E` alone is the exa suffix.
fn written_exponent(s: &str) -> Option<i64> {
    let i = s.find(['e', 'E'])?;
    s[i + 1..].parse::<i64>().ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(q) = Quantity::parse(s) else { return };
    let _ = q.value();
    let _ = q.milli_value();
    let _ = q.scaled_value(-9);
    let _ = q.is_zero();
    // `to_decimal_string` writes every digit (its length grows with the exponent): only for
    // exponents of a sane size.
    if written_exponent(s).is_none_or(|e| e.unsigned_abs() <= 4096) {
        let _ = q.to_decimal_string();
    }
    let canonical = q.to_string();
    let again = Quantity::parse(&canonical)
        .unwrap_or_else(|e| panic!("{s:?} prints as {canonical:?}, which does not parse: {e}"));
    assert_eq!(
        (again.value(), again.milli_value()),
        (q.value(), q.milli_value()),
        "{s:?} prints as {canonical:?}, which reads as another amount"
    );
});
