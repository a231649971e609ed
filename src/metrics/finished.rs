//! Finished pods, streamed out of memory: once a pod has ended and left its node, the engine
//! frees it and hands its final [`PodRecord`] here with the few [`PodFacts`] results group by.
//! Memory holds at most [`SPILL_PODS`] of them; the rest wait in temporary files, each a run
//! sorted by pod id. Reading them back ([`FinishedPods::merged`]) merges the runs, the ones in
//! memory and the pods still alive into one stream in id (creation) order, so `pods.csv` keeps
//! creation order whatever order pods finished in (issue 16: memory bounded by what is alive).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};

use super::PodRecord;
use crate::model::{Pod, PodId};

/// Finished pods held in memory before they are written, sorted, to a temporary file.
pub const SPILL_PODS: usize = 131_072;

/// What results keep of a pod's spec once the pod is freed: its identity and what reports
/// group pods by.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodFacts {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.priority` (resolved by admission).
    pub priority: i32,
    /// `spec.schedulerName`.
    pub scheduler_name: String,
    /// Effective cpu request, millicores (the pod's size class).
    pub milli_cpu: i64,
    /// Milli-GPU per device of a GPU pod (openb's `gpu-milli`), if it has GPUs.
    pub gpu_milli: Option<u32>,
}

impl PodFacts {
    /// The facts of `pod`.
    pub fn of(pod: &Pod) -> Self {
        PodFacts {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            priority: pod.priority,
            scheduler_name: pod.scheduler_name.clone(),
            milli_cpu: pod.requests.milli_cpu,
            gpu_milli: crate::model::gpu::pod_gpu(pod).map(|g| g.milli),
        }
    }
}

/// One pod as results read it: its id, facts and record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodResult {
    /// The pod's id (creation order).
    pub id: PodId,
    /// Its identity and grouping fields.
    pub facts: PodFacts,
    /// What happened to it.
    pub record: PodRecord,
}

/// The finished pods of a run.
#[derive(Default)]
pub struct FinishedPods {
    /// Held in memory, in the order they finished.
    recent: Vec<PodResult>,
    /// Temporary files (deleted when dropped), each a run of length-prefixed
    /// [`postcard`]-encoded [`PodResult`]s sorted by id.
    runs: Vec<File>,
    /// Pods in the runs.
    spilled: u64,
    /// A run could not be written: everything stays in memory from then on.
    in_memory_only: bool,
}

impl FinishedPods {
    /// Adds a finished pod (spilling the ones held when [`SPILL_PODS`] are reached).
    pub fn push(&mut self, pod: PodResult) {
        self.recent.push(pod);
        if self.recent.len() >= SPILL_PODS && !self.in_memory_only && self.spill().is_err() {
            // A full or read-only temp dir: keep the pods in memory rather than fail the run.
            self.in_memory_only = true;
        }
    }

    fn spill(&mut self) -> std::io::Result<()> {
        self.recent.sort_unstable_by_key(|p| p.id);
        let mut out = BufWriter::new(tempfile::tempfile()?);
        for p in &self.recent {
            let bytes = postcard::to_stdvec(p).map_err(std::io::Error::other)?;
            out.write_all(&(bytes.len() as u32).to_le_bytes())?;
            out.write_all(&bytes)?;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        self.runs.push(file);
        self.spilled += self.recent.len() as u64;
        self.recent.clear();
        Ok(())
    }

    /// Finished pods in all.
    pub fn len(&self) -> u64 {
        self.spilled + self.recent.len() as u64
    }

    /// True when no pod has finished.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every finished pod and every pod of `alive` (which must come in id order), in id order.
    ///
    /// # Errors
    /// A temporary file cannot be read back: the error comes in place of the next pod, and the
    /// stream ends.
    pub fn merged<'a>(
        &'a self,
        alive: impl Iterator<Item = PodResult> + 'a,
    ) -> impl Iterator<Item = std::io::Result<PodResult>> + 'a {
        let mut order: Vec<&PodResult> = self.recent.iter().collect();
        order.sort_unstable_by_key(|p| p.id);
        let mut sources: Vec<Box<dyn Iterator<Item = std::io::Result<PodResult>> + 'a>> =
            vec![Box::new(order.into_iter().cloned().map(Ok)), Box::new(alive.map(Ok))];
        for run in &self.runs {
            sources.push(Box::new(RunReader::open(run)));
        }
        Merge::new(sources)
    }
}

/// Reads one run back.
struct RunReader {
    input: Option<BufReader<File>>,
    buf: Vec<u8>,
    /// An error opening the run, reported as its first item.
    failed: Option<std::io::Error>,
}

impl RunReader {
    fn open(run: &File) -> Self {
        let opened = run.try_clone().and_then(|mut f| f.seek(SeekFrom::Start(0)).map(|_| f));
        match opened {
            Ok(f) => RunReader { input: Some(BufReader::new(f)), buf: Vec::new(), failed: None },
            Err(e) => RunReader { input: None, buf: Vec::new(), failed: Some(e) },
        }
    }
}

impl Iterator for RunReader {
    type Item = std::io::Result<PodResult>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.failed.take() {
            return Some(Err(e));
        }
        let input = self.input.as_mut()?;
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return None,
            Err(e) => return Some(Err(e)),
            Ok(()) => {}
        }
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        let read = input
            .read_exact(&mut self.buf)
            .and_then(|()| postcard::from_bytes(&self.buf).map_err(std::io::Error::other));
        if read.is_err() {
            self.input = None;
        }
        Some(read)
    }
}

/// A k-way merge by pod id of sources each in id order; an error is passed on at once and ends
/// the stream.
struct Merge<'a> {
    sources: Vec<Box<dyn Iterator<Item = std::io::Result<PodResult>> + 'a>>,
    heads: Vec<Option<PodResult>>,
    heap: BinaryHeap<Reverse<(PodId, usize)>>,
    error: Option<std::io::Error>,
    started: bool,
    done: bool,
}

impl<'a> Merge<'a> {
    fn new(sources: Vec<Box<dyn Iterator<Item = std::io::Result<PodResult>> + 'a>>) -> Self {
        let heads = sources.iter().map(|_| None).collect();
        Merge { sources, heads, heap: BinaryHeap::new(), error: None, started: false, done: false }
    }

    /// Takes source `k`'s next pod into the heap.
    fn refill(&mut self, k: usize) {
        match self.sources[k].next() {
            Some(Ok(p)) => {
                self.heap.push(Reverse((p.id, k)));
                self.heads[k] = Some(p);
            }
            Some(Err(e)) => self.error = Some(e),
            None => {}
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = std::io::Result<PodResult>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            for k in 0..self.sources.len() {
                self.refill(k);
            }
        }
        if let Some(e) = self.error.take() {
            self.done = true;
            return Some(Err(e));
        }
        let Reverse((_, k)) = self.heap.pop()?;
        let pod = self.heads[k].take();
        self.refill(k);
        pod.map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::PodOutcome;

    fn pod(id: PodId) -> PodResult {
        let mut record = PodRecord::new();
        record.outcome = PodOutcome::Succeeded;
        record.attempts = id;
        record.last_reason = format!("reason {id}");
        PodResult { id, facts: PodFacts { name: format!("p-{id}"), ..Default::default() }, record }
    }

    /// Pods finishing out of order, spilled over three runs, come back in id order merged with
    /// the pods still alive, and the same as when everything stays in memory.
    #[test]
    fn spilled_runs_merge_back_in_creation_order() {
        let n = SPILL_PODS as u32 * 3 + 10;
        // Every third id is still alive at the end; the others finish in a scrambled order.
        let finishing: Vec<PodId> = (0..n).map(|i| (i * 7919) % n).filter(|i| i % 3 != 0).collect();
        let mut spilled = FinishedPods::default();
        let mut held = FinishedPods { in_memory_only: true, ..Default::default() };
        for id in &finishing {
            spilled.push(pod(*id));
            held.push(pod(*id));
        }
        assert_eq!((spilled.runs.len(), spilled.len()), (2, finishing.len() as u64));
        let alive = || (0..n).filter(|i| i % 3 == 0).map(pod);
        let back: Vec<PodResult> = spilled.merged(alive()).map(Result::unwrap).collect();
        assert_eq!(back.len(), n as usize);
        assert!(back.iter().enumerate().all(|(i, p)| p.id == i as u32 && p.record.attempts == i as u32));
        assert_eq!(back[5].facts.name, "p-5");
        assert_eq!(back[5].record.last_reason, "reason 5");
        let in_memory: Vec<PodResult> = held.merged(alive()).map(Result::unwrap).collect();
        assert_eq!(back, in_memory);
    }
}
