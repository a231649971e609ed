//! Results folders on disk: written atomically through a temporary sibling, marked with
//! [`MARKER`], replaced only when they hold nothing capsim did not write, and cleaned up after
//! an interrupted process.
//!
//! The marker (`.capsim-results`) names the kind of folder (`run`, `compare`, `plan`, ...) and
//! every file and folder capsim wrote into it. An existing `--out` is replaced only if it is
//! empty, or carries a marker of the same kind that lists every entry it holds; a folder of an
//! older capsim (no marker), a user's folder, or a results folder with a file added by hand is
//! refused. The temporary sibling is `.tmp-<leaf>-<pid>`: [`remove_temporary_folders`] (called
//! on SIGINT/SIGTERM) removes those of this process, and each write first sweeps those left by
//! processes that are gone.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::SimError;

/// The file that marks a folder as written by capsim.
pub const MARKER: &str = ".capsim-results";

/// The first line of every marker.
const MARKER_HEADER: &str =
    "# capsim results folder: capsim replaces it only while it holds nothing but the entries below";

/// Temporary folders this process is writing (removed by [`remove_temporary_folders`]).
static TEMPORARY: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn out_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::Output { path: path.to_path_buf(), message: e.to_string() }
}

fn temporary() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    TEMPORARY.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes the temporary folders this process is writing; for a signal handler, before exit.
pub fn remove_temporary_folders() {
    let tmp = temporary();
    for p in tmp.iter() {
        // A writer may still be adding files: try a few times.
        for _ in 0..5 {
            if fs::remove_dir_all(p).is_ok() || !p.exists() {
                break;
            }
        }
    }
    // The guard stays held until the process exits, so no rename starts after this.
    std::mem::forget(tmp);
}

/// Every entry under `dir` (files, folders, links), as `/`-separated relative paths, sorted.
fn entries(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut all = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            if e.file_type()?.is_dir() {
                stack.push(p);
            }
            all.insert(rel);
        }
    }
    Ok(all)
}

/// The marker's text: the header, the kind, then every entry.
fn marker_text(kind: &str, listed: &BTreeSet<String>) -> String {
    let mut s = format!("{MARKER_HEADER}\nkind {kind}\n");
    for e in listed {
        s.push_str(&format!("entry {e}\n"));
    }
    s
}

/// Reads a marker: its kind and entries (`None` if it is not a capsim marker).
fn read_marker(path: &Path) -> Option<(String, BTreeSet<String>)> {
    let text = fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != MARKER_HEADER {
        return None;
    }
    let kind = lines.next()?.strip_prefix("kind ")?.to_string();
    let listed = lines.filter_map(|l| l.strip_prefix("entry ").map(String::from)).collect();
    Some((kind, listed))
}

/// Refuses to replace `out` unless it is absent, an empty folder, or a capsim results folder of
/// this `kind` holding only what capsim wrote into it. Creates `out`'s parent folders.
///
/// # Errors
/// [`SimError::Output`] saying why the folder is refused.
pub fn check_replaceable(out: &Path, kind: &str) -> Result<(), SimError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| out_err(parent, format!("cannot create the parent folder: {e}")))?;
    if fs::symlink_metadata(out).is_err() {
        return Ok(());
    }
    if !out.is_dir() || fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(out_err(out, "exists and is not a folder; choose another --out"));
    }
    // Look at the top level only until the marker says the folder is capsim's: `--out $HOME`
    // must be refused without walking the whole tree.
    let mut top = fs::read_dir(out).map_err(|e| out_err(out, e))?;
    if top.next().is_none() {
        return Ok(());
    }
    let Some((was, listed)) = read_marker(&out.join(MARKER)) else {
        return Err(out_err(
            out,
            format!(
                "exists and is not a capsim results folder (no {MARKER} marker); refusing to replace it (a folder of an older capsim has none: delete it by hand, or choose another --out)"
            ),
        ));
    };
    if was != kind {
        return Err(out_err(
            out,
            format!(
                "holds capsim results of another kind ({was:?}, not {kind:?}); refusing to replace it; choose another --out"
            ),
        ));
    }
    let found = entries(out).map_err(|e| out_err(out, e))?;
    let foreign: Vec<&String> = found.iter().filter(|e| *e != MARKER && !listed.contains(*e)).collect();
    if let Some(first) = foreign.first() {
        return Err(out_err(
            out,
            format!(
                "holds {} entr{} capsim did not write ({first}{}); refusing to replace it; move them away or choose another --out",
                foreign.len(),
                if foreign.len() == 1 { "y" } else { "ies" },
                if foreign.len() > 1 { ", ..." } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Whether the process `pid` is gone (a stale temporary folder's owner).
fn process_gone(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// Removes the `.tmp-*-<pid>` folders in `parent` left by processes that are gone (those
/// capsim marked, or empty ones).
fn sweep_stale(parent: &Path) {
    let Ok(rd) = fs::read_dir(parent) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".tmp-") else { continue };
        let Some(pid) = rest.rsplit_once('-').and_then(|(_, p)| p.parse::<i32>().ok()) else { continue };
        let p = e.path();
        let marked = p.join(MARKER).is_file() || fs::read_dir(&p).is_ok_and(|mut d| d.next().is_none());
        if pid > 0
            && pid != std::process::id() as i32
            && e.file_type().is_ok_and(|t| t.is_dir())
            && marked
            && process_gone(pid)
        {
            let _ = fs::remove_dir_all(&p);
        }
    }
}

/// Writes a folder of `kind` at `out` atomically: `body` fills a temporary sibling folder,
/// which gets the [`MARKER`] and then replaces `out` (allowed as [`check_replaceable`] says).
/// On an error the temporary folder is removed and `out` is untouched.
///
/// Test hook: with `CAPSIM_TEST_PAUSE_WRITE_MS` set, the write pauses that long once the
/// temporary folder exists (for the test that interrupts a write).
///
/// # Errors
/// [`SimError::Output`] from the checks, `body`, or the rename.
pub fn write_folder<T>(
    out: &Path,
    kind: &str,
    body: impl FnOnce(&Path) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| out_err(parent, e))?;
    let leaf = out.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "results".into());
    let tmp: PathBuf = parent.join(format!(".tmp-{leaf}-{}", std::process::id()));
    check_replaceable(out, kind)?;
    sweep_stale(parent);
    let _ = fs::remove_dir_all(&tmp);
    temporary().insert(tmp.clone());
    let result = (|| {
        fs::create_dir_all(&tmp).map_err(|e| out_err(&tmp, e))?;
        fs::write(tmp.join(MARKER), marker_text(kind, &BTreeSet::new())).map_err(|e| out_err(&tmp, e))?;
        if let Some(ms) = std::env::var("CAPSIM_TEST_PAUSE_WRITE_MS").ok().and_then(|v| v.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let v = body(&tmp)?;
        let mut listed = entries(&tmp).map_err(|e| out_err(&tmp, e))?;
        listed.remove(MARKER);
        fs::write(tmp.join(MARKER), marker_text(kind, &listed)).map_err(|e| out_err(&tmp, e))?;
        // Held while the old folder goes and the new one takes its place, so a signal's
        // clean-up waits for the rename rather than racing it.
        let mut guard = temporary();
        if out.exists() {
            fs::remove_dir_all(out).map_err(|e| out_err(out, e))?;
        }
        fs::rename(&tmp, out).map_err(|e| out_err(out, e))?;
        guard.remove(&tmp);
        Ok(v)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
        temporary().remove(&tmp);
    }
    result
}
