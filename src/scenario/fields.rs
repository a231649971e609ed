//! Error locations in a scenario's text (the line serde-saphyr saw a field path at, see
//! [`crate::api::spans`]), and the Go-style durations every section uses.

use std::path::Path;

use crate::api::spans::field_line;
use crate::error::InputError;
use crate::time::SimTime;

/// An [`InputError::Field`] about `field` (a path like `spec.events[3].taint.add[0].effect`)
/// of the single-document file `text`, at the line of the field (or of its deepest part
/// written).
pub(super) fn field_err(path: &Path, text: &str, field: &str, message: String) -> InputError {
    InputError::Field {
        path: path.to_path_buf(),
        line: field_line(text, 0, field),
        field: field.into(),
        message,
    }
}

/// Moves a conversion error from the line where its object starts to the line of the field
/// itself (or of its deepest part written), read from the file again.
pub fn refine_line(e: InputError, path: &Path) -> InputError {
    let InputError::Field { path: p, line, field, message } = e else { return e };
    let Ok(text) = crate::api::input::read_text(path) else {
        return InputError::Field { path: p, line, field, message };
    };
    let line = field_line(&text, line, &field);
    InputError::Field { path: p, line, field, message }
}

/// Parses a Go-style duration (`90s`, `1h30m`, `72h`, `500ms`) into virtual time.
///
/// # Errors
/// A malformed duration, naming `field`.
pub fn parse_duration(s: &str, path: &Path, text: &str, field: &str) -> Result<SimTime, InputError> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        field_err(path, text, field, format!("{s:?} is not a duration like 90s, 1h30m or 72h: {e}"))
    })?;
    match i64::try_from(d.as_millis()) {
        Ok(ms) if ms <= SimTime::MAX.0 => Ok(SimTime(ms)),
        _ => Err(field_err(path, text, field, format!("{s:?} is longer than 100 years of virtual time"))),
    }
}

/// Reads a file named by the scenario.
pub(super) fn read_text(path: &Path) -> Result<String, InputError> {
    crate::api::input::read_text(path)
}

/// Refuses a file whose (first) document is an object of another `kind` than `expected`: a
/// Node, a KubeSchedulerConfiguration or a Deployment given where a Scenario belongs is named as
/// such, rather than by its first field being unknown to a Scenario. A document without a
/// `kind`, or text that does not parse, is left to the typed parse that follows.
///
/// # Errors
/// [`InputError::Field`] on `kind`.
pub fn expect_kind(path: &Path, text: &str, expected: &str, api_version: &str) -> Result<(), InputError> {
    let Ok(docs) = crate::api::spans::documents(text) else { return Ok(()) };
    let Some(kind) = docs.first().and_then(|d| d.get("kind")).and_then(|k| k.as_str()) else { return Ok(()) };
    if kind == expected {
        return Ok(());
    }
    let more =
        if docs.len() > 1 { format!(" (the first of {} documents)", docs.len()) } else { String::new() };
    Err(field_err(
        path,
        text,
        "kind",
        format!(
            "{kind:?}{more}: expected {expected} ({api_version}); see docs/ for what each capsim command reads"
        ),
    ))
}
