//! Reading the user's input files: regular files only.
//!
//! A manifest path that names a device (`/dev/zero`, `/dev/urandom`), a FIFO or a directory
//! would read for ever, block, or fail with an unhelpful message. Every loader reads through
//! [`read_text`] or [`read_bytes`], which refuse anything but a regular file (a symbolic link
//! is followed) before reading a byte.

use std::path::Path;

use crate::error::InputError;

/// The whole content of the regular file at `path`.
///
/// # Errors
/// [`InputError::Io`] when `path` does not exist, is not a regular file (a directory, a device,
/// a FIFO or a socket: "not a regular file"), or cannot be read.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "a device, FIFO or socket" };
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a regular file ({what}); capsim reads inputs from regular files only"),
        )));
    }
    std::fs::read(path).map_err(io)
}

/// [`read_bytes`] as UTF-8 text.
///
/// # Errors
/// As [`read_bytes`], and [`InputError::Io`] when the file is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| InputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text: {}", e.utf8_error()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, "kind: Pod\n").unwrap();
        assert_eq!(read_text(&f).unwrap(), "kind: Pod\n");
        let msg = |e: InputError| match e {
            InputError::Io { source, .. } => source.to_string(),
            other => panic!("{other}"),
        };
        assert!(msg(read_text(dir.path()).unwrap_err()).starts_with("not a regular file (a directory)"));
        assert!(
            msg(read_bytes(Path::new("/dev/zero")).unwrap_err())
                .starts_with("not a regular file (a device, FIFO or socket)")
        );
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(msg(read_text(&f).unwrap_err()).starts_with("not UTF-8 text"));
    }
}
