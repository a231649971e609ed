//! A tiny block-style YAML writer for [`serde_json::Value`], in the layout `kubectl` and people
//! write (so capsim's fast manifest reader takes the rendered files, not only its fallback).
//! Strings are written plain when that cannot change their type, double-quoted otherwise.

use serde_json::Value;

/// `v` (an object) as a block YAML document.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(_) => map(v, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// Several documents separated by `---`.
pub fn documents(docs: &[Value]) -> String {
    docs.iter().map(to_yaml).collect::<Vec<_>>().join("---\n")
}

fn plain_ok(s: &str) -> bool {
    let reserved = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "True", "False", "Null", "NULL", "TRUE",
        "FALSE", "Yes", "No", "On", "Off", "Y", "N", "~",
    ];
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        && !reserved.contains(&s)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).expect("a string serialises"),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        _ => unreachable!("collections are written as blocks"),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => false,
    }
}

fn key(k: &str) -> String {
    if plain_ok(k) { k.to_string() } else { serde_json::to_string(k).expect("a string serialises") }
}

/// The entries of object `v`, each at `indent`.
fn map(v: &Value, indent: usize, out: &mut String) {
    let Value::Object(o) = v else { unreachable!() };
    let pad = " ".repeat(indent);
    for (k, val) in o {
        out.push_str(&pad);
        entry(k, val, indent, out);
    }
}

/// `k: val` with the key already indented.
fn entry(k: &str, val: &Value, indent: usize, out: &mut String) {
    out.push_str(&key(k));
    out.push(':');
    if !is_block(val) {
        out.push(' ');
        out.push_str(&scalar(val));
        out.push('\n');
        return;
    }
    out.push('\n');
    match val {
        Value::Object(_) => map(val, indent + 2, out),
        Value::Array(_) => seq(val, indent, out),
        _ => unreachable!(),
    }
}

/// The items of array `v`, their dashes at `indent`.
fn seq(v: &Value, indent: usize, out: &mut String) {
    let Value::Array(a) = v else { unreachable!() };
    let pad = " ".repeat(indent);
    for item in a {
        out.push_str(&pad);
        out.push_str("- ");
        match item {
            Value::Object(o) if !o.is_empty() => {
                for (i, (k, val)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&pad);
                        out.push_str("  ");
                    }
                    entry(k, val, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                // A sequence inside a sequence: flow style keeps it simple.
                out.push_str(&serde_json::to_string(item).expect("a value serialises"));
                out.push('\n');
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}
