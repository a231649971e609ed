//! Typed errors of the library.
//!
//! [`InputError`] is bad user input (a file, a line, a field, what was expected): the CLI maps it to
//! exit code 2. [`SimError`] wraps it together with internal invariant violations, which are bugs.

use std::path::PathBuf;

/// A problem with user-supplied input. Every variant names the file; most name the line and field.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file could not be read.
    #[error("{path}: cannot read")]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A field had a value of the wrong shape (a malformed quantity, a non-number, ...).
    #[error("{}field `{field}`: {message}", location(path, *line))]
    Field {
        /// The file holding the bad value.
        path: PathBuf,
        /// 1-based line of the value (0 when unknown).
        line: usize,
        /// Field path, e.g. `spec.containers[0].resources.requests.cpu` or a CSV column name.
        field: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A YAML or JSON document did not parse or had a wrong type.
    #[error("{}{message}", location(path, *line))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The parser's message, with the field path where known.
        message: String,
    },
}

/// `path:line: ` (or `path: ` when the line is unknown, 0).
fn location(path: &std::path::Path, line: usize) -> String {
    if line == 0 { format!("{}: ", path.display()) } else { format!("{}:{line}: ", path.display()) }
}

/// Any error of a simulation run: bad input, or an internal invariant broken (a bug).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad user input; exit code 2.
    #[error(transparent)]
    Input(#[from] InputError),
    /// An internal invariant was broken. This is a bug in capsim: please report it.
    #[error("internal error (a bug in capsim, please report it): {0}")]
    Internal(String),
    /// Writing results failed.
    #[error("writing results to {path}: {message}")]
    Output {
        /// The file or folder being written.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
