//! Error locations in a scenario's text: the line of a field path, of a configuration error's
//! subject, of a converted object's field; and the Go-style durations every section uses.

use std::path::Path;

use crate::error::InputError;
use crate::time::SimTime;

/// An [`InputError::Field`] at the line of `field` (see [`field_line`]).
pub(super) fn field_err(path: &Path, text: &str, needle: &str, field: &str, message: String) -> InputError {
    InputError::Field {
        path: path.to_path_buf(),
        line: field_line(text, needle, field),
        field: field.into(),
        message,
    }
}

/// The line of `field` (a path like `spec.events[3].taint.add[0].effect`) in a scenario's text:
/// inside the list item its path names (block-style lists), the first line from there that
/// holds `needle` (or the item's own line); else the first line of the file holding `needle`.
pub fn field_line(text: &str, needle: &str, field: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut narrowed = false;
    for seg in field.split('.') {
        let Some((key, rest)) = seg.split_once('[') else { continue };
        let Some(n) = rest.strip_suffix(']').and_then(|x| x.parse::<usize>().ok()) else { break };
        match list_item(&lines, from, key, n) {
            Some(i) => {
                from = i;
                narrowed = true;
            }
            None => break,
        }
    }
    if !narrowed {
        return find_line(text, needle);
    }
    let found = if needle.is_empty() {
        None
    } else {
        lines.iter().enumerate().skip(from).find(|(_, l)| l.contains(needle)).map(|(i, _)| i)
    };
    found.unwrap_or(from) + 1
}

/// The 0-based line where item `n` of the block-style list under `key:` starts, searching from
/// line `from`.
fn list_item(lines: &[&str], from: usize, key: &str, n: usize) -> Option<usize> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let k = (from..lines.len()).find(|i| {
        let t = lines[*i].trim_start().trim_start_matches("- ");
        t.starts_with(&format!("{key}:"))
    })?;
    if !lines[k].trim_end().ends_with(':') {
        return None; // a flow-style list on the key's line
    }
    let key_indent = indent(lines[k]);
    let mut item_indent = None;
    let mut count = 0;
    for (i, l) in lines.iter().enumerate().skip(k + 1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent(l);
        let is_item = t.starts_with("- ") || t == "-";
        if ind < key_indent || (ind == key_indent && !is_item) {
            return None;
        }
        if is_item && *item_indent.get_or_insert(ind) == ind {
            if count == n {
                return Some(i);
            }
            count += 1;
        }
    }
    None
}

/// The line of a configuration error: where its subject (a plugin or profile name) appears, or
/// else where the last key of its field path does (`profiles[0].percentageOfNodesToScore` →
/// `percentageOfNodesToScore:`), or else 0.
pub fn locate(text: &str, subject: &str, field: &str) -> usize {
    let by_subject = find_line(text, subject);
    if by_subject > 0 {
        return by_subject;
    }
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    find_line(text, &format!("{leaf}:"))
}

/// 1-based line of the first line of `text` that contains `needle` (0 when absent): locates
/// values that a checked field path cannot (plugin names in a config, for instance).
pub fn find_line(text: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or(0)
}

/// Moves a conversion error from the line where its object starts to the line of the field
/// itself: the first line at or after `start` that holds the field's last key (and the bad value,
/// when the message quotes one).
pub fn refine_line(e: InputError, path: &Path) -> InputError {
    let InputError::Field { path: p, line, field, message } = e else { return e };
    let Ok(text) = std::fs::read_to_string(path) else {
        return InputError::Field { path: p, line, field, message };
    };
    let leaf = field_leaf(&field);
    let value = message.split('"').nth(1).unwrap_or("");
    let find = |key: &str, value: &str| {
        text.lines()
            .enumerate()
            .skip(line.saturating_sub(1))
            .find(|(_, l)| l.contains(&format!("{key}:")) && l.contains(value))
            .map(|(i, _)| i + 1)
    };
    // The field itself, else (a required key that is absent) the nearest enclosing key written.
    let found = find(leaf, value).or_else(|| {
        field.split('.').rev().skip(1).find_map(|seg| find(seg.split('[').next().unwrap_or(seg), ""))
    });
    InputError::Field { path: p, line: found.unwrap_or(line), field, message }
}

/// The key a field path ends with, as written in YAML: `cpu` for `spec.resources.requests[cpu]`
/// (a map key in brackets), `ports` for `spec.containers[0].ports[1]` (an index), `limits` for
/// `spec.resources.containers[0][memory].limits`.
fn field_leaf(field: &str) -> &str {
    if let Some(inner) = field.strip_suffix(']').and_then(|f| f.rsplit_once('[')).map(|(_, k)| k)
        && !inner.is_empty()
        && !inner.bytes().all(|b| b.is_ascii_digit())
    {
        return inner;
    }
    let mut depth = 0;
    let start = field
        .char_indices()
        .rev()
        .find(|(_, c)| {
            match c {
                ']' => depth += 1,
                '[' => depth -= 1,
                '.' if depth == 0 => return true,
                _ => {}
            }
            false
        })
        .map_or(0, |(i, _)| i + 1);
    let leaf = &field[start..];
    leaf.split('[').next().unwrap_or(leaf)
}

/// Parses a Go-style duration (`90s`, `1h30m`, `72h`, `500ms`) into virtual time.
///
/// # Errors
/// A malformed duration, naming `field`.
pub fn parse_duration(s: &str, path: &Path, text: &str, field: &str) -> Result<SimTime, InputError> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        field_err(path, text, s, field, format!("{s:?} is not a duration like 90s, 1h30m or 72h: {e}"))
    })?;
    match i64::try_from(d.as_millis()) {
        Ok(ms) if ms <= SimTime::MAX.0 => Ok(SimTime(ms)),
        _ => Err(field_err(path, text, s, field, format!("{s:?} is longer than 100 years of virtual time"))),
    }
}

/// Reads a file named by the scenario.
pub(super) fn read_text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })
}
