//! The run's Kubernetes-style events, streamed to disk as they pile up: memory holds at most
//! [`SPILL_EVENTS`] of them, older ones wait as finished `events.csv` rows in a temporary file
//! (issue 8: memory must not grow with virtual time). Writing the log gives the same bytes
//! whether or not it spilled.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::KubeEvent;

/// Events held in memory before they are written to the spill file.
pub const SPILL_EVENTS: usize = 65_536;

/// Columns of `events.csv`, in [`KubeEvent`] field order.
pub const EVENT_COLUMNS: [&str; 6] = ["time_s", "object", "type", "reason", "message", "source"];

/// Events in the order they happened.
#[derive(Default)]
pub struct EventLog {
    recent: Vec<KubeEvent>,
    spill: Option<Spill>,
    /// The spill file could not be written: everything stays in memory.
    in_memory_only: bool,
}

/// A temporary file of CSV rows (no header), from [`tempfile::tempfile`]: it has no name (or,
/// where that is impossible, one the OS deletes on close), so nothing is left behind even when
/// a run is killed.
struct Spill {
    out: BufWriter<File>,
    rows: u64,
    /// Bytes of complete batches in the file.
    bytes: u64,
}

fn csv_rows(out: impl Write) -> csv::Writer<impl Write> {
    csv::WriterBuilder::new().has_headers(false).from_writer(out)
}

impl EventLog {
    /// Appends an event (spilling the ones held when [`SPILL_EVENTS`] are reached).
    pub fn push(&mut self, e: KubeEvent) {
        self.recent.push(e);
        if self.recent.len() >= SPILL_EVENTS && !self.in_memory_only && self.spill_recent().is_err() {
            // A full or read-only temp dir: keep the batches already written, drop the partial
            // one, and go on in memory rather than fail the run.
            // (Writing reads back only `bytes`, the complete batches.)
            self.in_memory_only = true;
        }
    }

    fn spill_recent(&mut self) -> std::io::Result<()> {
        if self.spill.is_none() {
            self.spill = Some(Spill { out: BufWriter::new(tempfile::tempfile()?), rows: 0, bytes: 0 });
        }
        let spill = self.spill.as_mut().expect("created above");
        let mut w = csv_rows(&mut spill.out);
        for e in &self.recent {
            w.serialize(e).map_err(std::io::Error::other)?;
        }
        w.flush()?;
        drop(w);
        spill.out.flush()?;
        spill.bytes = spill.out.get_ref().stream_position()?;
        spill.rows += self.recent.len() as u64;
        self.recent.clear();
        Ok(())
    }

    /// The events held in memory, oldest first: every event of a run that recorded fewer than
    /// [`SPILL_EVENTS`], else the latest ones (the rest are in the spill file).
    pub fn iter(&self) -> std::slice::Iter<'_, KubeEvent> {
        self.recent.iter()
    }

    /// Events recorded in all.
    pub fn len(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.rows) + self.recent.len() as u64
    }

    /// True when no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes `events.csv` (header, spilled rows, then the ones in memory) to `path`.
    ///
    /// # Errors
    /// The file cannot be written or the spill file read back.
    pub fn write_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut out = BufWriter::new(File::create(path)?);
        let mut w = csv_rows(&mut out);
        w.write_record(EVENT_COLUMNS)?;
        w.flush()?;
        drop(w);
        if let Some(s) = &self.spill {
            let mut file = s.out.get_ref();
            file.seek(SeekFrom::Start(0))?;
            std::io::copy(&mut std::io::Read::take(file, s.bytes), &mut out)?;
            file.seek(SeekFrom::End(0))?;
        }
        let mut w = csv_rows(&mut out);
        for e in &self.recent {
            w.serialize(e).map_err(std::io::Error::other)?;
        }
        w.flush()?;
        drop(w);
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize) -> KubeEvent {
        KubeEvent {
            time_ms: i as i64,
            time_s: format!("{i}"),
            object: format!("Pod/default/p-{i}"),
            kind: "Normal",
            reason: "Scheduled",
            message: format!("Successfully assigned default/p-{i} to n, \"quoted\""),
            source: "default-scheduler".into(),
        }
    }

    #[test]
    fn a_spilled_log_writes_the_same_bytes_as_one_held_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let n = SPILL_EVENTS * 2 + 5;
        let mut spilled = EventLog::default();
        for i in 0..n {
            spilled.push(event(i));
        }
        assert_eq!(spilled.len(), n as u64);
        assert_eq!(spilled.iter().count(), 5);
        spilled.write_csv(&dir.path().join("a.csv")).unwrap();
        let mut held = EventLog { in_memory_only: true, ..Default::default() };
        for i in 0..n {
            held.push(event(i));
        }
        assert_eq!(held.iter().count(), n);
        held.write_csv(&dir.path().join("b.csv")).unwrap();
        let a = std::fs::read(dir.path().join("a.csv")).unwrap();
        assert_eq!(a, std::fs::read(dir.path().join("b.csv")).unwrap());
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count(), n + 1);
        assert!(text.starts_with("time_s,object,type,reason,message,source\n0,Pod/default/p-0,Normal,"));
    }
}
