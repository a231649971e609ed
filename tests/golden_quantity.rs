//! Golden test: `Quantity` against the facts upstream's
//! `k8s.io/apimachinery/pkg/api/resource/quantity_test.go` asserts, restated as data in
//! `tests/conformance/golden/quantity.json` (see its `notes`, `format_cases_note` and `skipped` fields).
//!
//! Every field present in a row is checked: `exact` (the amount as a plain decimal), `format`
//! (suffix family), `canonical` (`String()`), `value` (`Value()`), `milli_value`
//! (`MilliValue()`). Failures are collected so one run reports every wrong row.

use capsim::api::quantity::{Format, Quantity};
use serde_json::Value;

const GOLDEN: &str = include_str!("conformance/golden/quantity.json");

fn golden() -> Value {
    serde_json::from_str(GOLDEN).expect("tests/conformance/golden/quantity.json is valid JSON")
}

fn rows<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc[key].as_array().unwrap_or_else(|| panic!("golden file has no `{key}` array"))
}

fn str_field<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).map(|v| v.as_str().unwrap_or_else(|| panic!("`{key}` is not a string in {row}")))
}

fn int_field(row: &Value, key: &str) -> Option<i64> {
    row.get(key).map(|v| v.as_i64().unwrap_or_else(|| panic!("`{key}` is not an i64 in {row}")))
}

/// Upstream's format names. The test table also builds quantities with an unknown format
/// string; upstream's `CanonicalizeBytes` treats any unknown format as `DecimalExponent`.
fn format_named(name: &str) -> Format {
    match name {
        "DecimalSI" => Format::DecimalSI,
        "BinarySI" => Format::BinarySI,
        "DecimalExponent" => Format::DecimalExponent,
        other if other.starts_with("invalid") => Format::DecimalExponent,
        other => panic!("unknown format {other:?} in golden file"),
    }
}

/// Compares and records a mismatch; returns 1 so callers can count the checks made.
fn check<T: PartialEq + std::fmt::Debug>(failures: &mut Vec<String>, what: String, got: T, want: T) -> usize {
    if got != want {
        failures.push(format!("{what}: got {got:?}, want {want:?}"));
    }
    1
}

fn negated(exact: &str) -> String {
    if exact == "0" { "0".to_owned() } else { format!("-{exact}") }
}

#[test]
fn parsed_inputs_match_every_asserted_field() {
    let doc = golden();
    let mut failures = Vec::new();
    let mut checks = [0usize; 5]; // exact, format, canonical, value, milli_value
    for row in rows(&doc, "cases") {
        let input = str_field(row, "input").expect("every case has an input");
        let q = match Quantity::parse(input) {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!("{input:?}: unexpected parse error: {e}"));
                continue;
            }
        };
        if let Some(exact) = str_field(row, "exact") {
            checks[0] +=
                check(&mut failures, format!("{input:?} exact"), q.to_decimal_string(), exact.to_owned());
        }
        if let Some(format) = str_field(row, "format") {
            checks[1] += check(&mut failures, format!("{input:?} format"), q.format(), format_named(format));
        }
        if let Some(canonical) = str_field(row, "canonical") {
            checks[2] +=
                check(&mut failures, format!("{input:?} canonical"), q.to_string(), canonical.to_owned());
        }
        if let Some(value) = int_field(row, "value") {
            checks[3] += check(&mut failures, format!("{input:?} value"), q.value(), value);
        }
        if let Some(milli) = int_field(row, "milli_value") {
            checks[4] += check(&mut failures, format!("{input:?} milli_value"), q.milli_value(), milli);
        }
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
    // Guard against a golden file (or a filter bug) that silently checks nothing.
    let expected_counts = ["exact", "format", "canonical", "value", "milli_value"]
        .map(|key| rows(&doc, "cases").iter().filter(|row| row.get(key).is_some()).count());
    assert_eq!(checks, expected_counts);
    assert!(checks.iter().all(|&n| n > 0), "some field was never checked: {checks:?}");
}

#[test]
fn sign_prefixes_negate_or_keep_the_parsed_amount() {
    // From the file's notes: a leading '-' gives the negated amount with the same format, a
    // leading '+' the same amount and format.
    let doc = golden();
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows(&doc, "cases") {
        let (Some(input), Some(exact), Some(format)) =
            (str_field(row, "input"), str_field(row, "exact"), str_field(row, "format"))
        else {
            continue;
        };
        let format = format_named(format);
        for (prefix, want) in [("-", negated(exact)), ("+", exact.to_owned())] {
            let signed = format!("{prefix}{input}");
            match Quantity::parse(&signed) {
                Ok(q) => {
                    check(&mut failures, format!("{signed:?} exact"), q.to_decimal_string(), want);
                    checked += check(&mut failures, format!("{signed:?} format"), q.format(), format);
                }
                Err(e) => failures.push(format!("{signed:?}: unexpected parse error: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} sign mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 100, "only {checked} signed inputs checked");
}

#[test]
fn constructed_quantities_print_their_canonical_form() {
    let doc = golden();
    let mut failures = Vec::new();
    let cases = rows(&doc, "format_cases");
    for row in cases {
        let kind = str_field(row, "kind").expect("every format case has a kind");
        let format = || format_named(str_field(row, "format").expect("format present"));
        let amount = || int_field(row, "amount").expect("amount present");
        let q = match kind {
            // An exact amount with a format: parse the plain decimal, then set the format.
            "exact" => {
                let exact = str_field(row, "exact").expect("exact present");
                let parsed = Quantity::parse(exact).expect("exact amounts parse");
                check(
                    &mut failures,
                    format!("{exact:?} round trip"),
                    parsed.to_decimal_string(),
                    exact.to_owned(),
                );
                parsed.with_format(format())
            }
            "milli" => {
                Quantity::new_milli(int_field(row, "milli_amount").expect("milli_amount present"), format())
            }
            "int" => Quantity::new(amount(), format()),
            "scaled" => {
                let scale = int_field(row, "scale").expect("scale present");
                Quantity::new_scaled(amount(), i32::try_from(scale).expect("scale fits i32"))
            }
            other => panic!("unknown format case kind {other:?}"),
        };
        let canonical = str_field(row, "canonical").expect("every format case has a canonical form");
        check(&mut failures, format!("{row}"), q.to_string(), canonical.to_owned());
        // Upstream's table also re-parses each canonical string; it must give the same amount.
        match Quantity::parse(canonical) {
            Ok(back) => {
                check(
                    &mut failures,
                    format!("{canonical:?} reparsed"),
                    back.to_decimal_string(),
                    q.to_decimal_string(),
                );
            }
            Err(e) => failures.push(format!("{canonical:?}: canonical form does not parse: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} format mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(cases.len() > 50, "only {} format cases", cases.len());
}

#[test]
fn invalid_inputs_are_rejected() {
    let doc = golden();
    let invalid = rows(&doc, "invalid_inputs");
    let accepted: Vec<String> = invalid
        .iter()
        .map(|v| v.as_str().expect("invalid inputs are strings"))
        .filter_map(|s| Quantity::parse(s).ok().map(|q| format!("{s:?} parsed as {q}")))
        .collect();
    assert!(accepted.is_empty(), "malformed inputs accepted:\n{}", accepted.join("\n"));
    assert!(invalid.len() >= 12, "only {} invalid inputs", invalid.len());
}
