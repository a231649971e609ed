//! Reader of the Alibaba GPU cluster trace "openb" (cluster-trace-gpu-v2023): node lists
//! (`sn,cpu_milli,memory_mib,gpu,model`) and pod lists
//! (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,
//! deletion_time,scheduled_time`; the `multigpu*` variants carry only the first five columns).
//!
//! Mapping (as the oracle's openb scenarios do): `cpu_milli` → cpu (millicores), `memory_mib` →
//! memory (MiB → bytes), node `gpu` → allocatable `nvidia.com/gpu` (that many devices of 1000
//! milli-GPU), node `model` → label [`GPU_MODEL_LABEL`]; pod `num_gpu`, `gpu_milli`, `gpu_spec`
//! (`A|B`) → a GPU-sharing request ([`crate::model::gpu::GpuShare`]: `num_gpu` GPUs of
//! `gpu_milli` each, models `A` or `B`), as the FGD paper's simulator converts them; `qos` →
//! label `openb/qos`. Nodes allow 110 pods (the kubelet default).

use std::collections::BTreeMap;
use std::path::Path;

use crate::api::names::dns1123_subdomain;
use crate::error::InputError;
use crate::model::gpu::GpuShare;
use crate::model::resources::{NVIDIA_GPU, Resources};
use crate::model::{ContainerImage, Labels, Node, Pod, simple_pod};
use crate::time::SimTime;

/// Node label carrying the GPU model (`P100`, `T4`, `V100M16`, ...).
pub const GPU_MODEL_LABEL: &str = crate::model::gpu::GPU_MODEL_KEY;
/// Pod label carrying the trace's `qos` column.
pub const QOS_LABEL: &str = "openb/qos";
/// `maxPods` given to every trace node (the kubelet default).
pub const NODE_MAX_PODS: i64 = 110;

/// A pod of the trace with its arrival and departure.
#[derive(Clone, Debug)]
pub struct Arrival {
    /// The pod, pending (no `nodeName`).
    pub pod: Pod,
    /// When it is created (`creation_time`).
    pub created: SimTime,
    /// When it is deleted (`deletion_time`), if the trace says.
    pub deleted: Option<SimTime>,
    /// 1-based line of the row in its file.
    pub line: usize,
}

/// The pods of one pod list, sorted by creation time (file order among equal times).
#[derive(Clone, Debug, Default)]
pub struct PodList {
    /// Arrivals in creation order.
    pub arrivals: Vec<Arrival>,
}

/// A CSV file with a header, read into rows addressed by column name, with errors that name the
/// file, line and column.
struct Table<'a> {
    path: &'a Path,
    columns: BTreeMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl<'a> Table<'a> {
    fn read(path: &'a Path) -> Result<Self, InputError> {
        let text = crate::api::input::read_bytes(path)?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_slice());
        let syntax = |e: csv::Error| InputError::Syntax {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line() as usize).unwrap_or(0),
            message: e.to_string(),
        };
        let header = reader.headers().map_err(syntax)?.clone();
        let columns = header.iter().enumerate().map(|(i, h)| (h.trim().to_string(), i)).collect();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(syntax)?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            rows.push((line, rec));
        }
        Ok(Table { path, columns, rows })
    }

    fn require(&self, names: &[&str]) -> Result<(), InputError> {
        for n in names {
            if !self.columns.contains_key(*n) {
                return Err(InputError::Field {
                    path: self.path.to_path_buf(),
                    line: 1,
                    field: (*n).to_string(),
                    message: format!("missing column; expected a header with {}", names.join(",")),
                });
            }
        }
        Ok(())
    }

    fn has(&self, name: &str) -> bool {
        self.columns.contains_key(name)
    }

    fn text<'r>(&self, rec: &'r csv::StringRecord, name: &str) -> &'r str {
        self.columns.get(name).and_then(|i| rec.get(*i)).unwrap_or("").trim()
    }

    /// The cell of column `name` as an integer in `0..=max` (the column's unit is implied).
    fn int(&self, line: usize, rec: &csv::StringRecord, name: &str) -> Result<i64, InputError> {
        let max = column_max(name);
        let s = self.text(rec, name);
        s.parse::<i64>().ok().filter(|v| (0..=max).contains(v)).ok_or_else(|| InputError::Field {
            path: self.path.to_path_buf(),
            line,
            field: name.to_string(),
            message: format!("{s:?} is not an integer from 0 to {max}"),
        })
    }

    fn bad(&self, line: usize, name: &str, message: String) -> InputError {
        InputError::Field { path: self.path.to_path_buf(), line, field: name.to_string(), message }
    }

    fn opt_int(&self, line: usize, rec: &csv::StringRecord, name: &str) -> Result<Option<i64>, InputError> {
        if self.text(rec, name).is_empty() { Ok(None) } else { self.int(line, rec, name).map(Some) }
    }
}

/// The largest value a column may hold, so unit conversions can never overflow: MiB stay below
/// 2^43 (8 EiB), times below 100 years of seconds, counts and millicores below 10^12.
fn column_max(name: &str) -> i64 {
    match name {
        "memory_mib" => 1 << 43,
        "creation_time" | "deletion_time" | "scheduled_time" => SimTime::MAX.0 / 1000,
        _ => 1_000_000_000_000,
    }
}

/// Reads an openb node list into Nodes (in file order).
///
/// # Errors
/// A missing file, a missing column, or a cell that is not a non-negative integer, naming the
/// file, line and column.
pub fn read_nodes(path: &Path) -> Result<Vec<Node>, InputError> {
    let t = Table::read(path)?;
    t.require(&["sn", "cpu_milli", "memory_mib", "gpu", "model"])?;
    let mut nodes = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let name = t.text(rec, "sn").to_string();
        if name.is_empty() {
            return Err(InputError::Field {
                path: path.to_path_buf(),
                line: *line,
                field: "sn".into(),
                message: "Required value: name or generateName is required".into(),
            });
        }
        if let Some(m) = dns1123_subdomain(&name).into_iter().next() {
            return Err(t.bad(*line, "sn", format!("Invalid value: {name:?}: {m}")));
        }
        let mut alloc = Resources {
            milli_cpu: t.int(*line, rec, "cpu_milli")?,
            memory: t.int(*line, rec, "memory_mib")? << 20,
            pods: NODE_MAX_PODS,
            ..Default::default()
        };
        let gpus = t.int(*line, rec, "gpu")?;
        if gpus > 0 {
            alloc.set(NVIDIA_GPU, gpus);
        }
        let mut labels = Labels::new();
        labels.insert("kubernetes.io/hostname".into(), name.clone());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        let model = t.text(rec, "model");
        if !model.is_empty() {
            labels.insert(GPU_MODEL_LABEL.into(), model.to_string());
        }
        nodes.push(Node {
            name,
            labels,
            taints: Vec::new(),
            unschedulable: false,
            capacity: alloc.clone(),
            allocatable: alloc,
            images: Vec::<ContainerImage>::new(),
        });
    }
    Ok(nodes)
}

/// Reads an openb pod list into arrivals sorted by `creation_time` (seconds → virtual time).
/// Files without time columns (`multigpu*`) create every pod at time 0 and never delete them.
///
/// # Errors
/// A missing file, a missing column, or a cell that is not a non-negative integer, naming the
/// file, line and column; a `deletion_time` before `creation_time`.
pub fn read_pods(path: &Path) -> Result<PodList, InputError> {
    let t = Table::read(path)?;
    t.require(&["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"])?;
    let timed = t.has("creation_time");
    let mut list = PodList::default();
    // First line of each pod name: the API server refuses a second pod of the same name.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (line, rec) in &t.rows {
        let name = t.text(rec, "name");
        if let Some(m) = dns1123_subdomain(name).into_iter().next() {
            return Err(t.bad(*line, "name", format!("Invalid value: {name:?}: {m}")));
        }
        if let Some(first) = seen.insert(name, *line) {
            return Err(t.bad(
                *line,
                "name",
                format!("pods {name:?} already exists (defined at line {first})"),
            ));
        }
        let req = Resources {
            milli_cpu: t.int(*line, rec, "cpu_milli")?,
            memory: t.int(*line, rec, "memory_mib")? << 20,
            ..Default::default()
        };
        let num_gpu = t.int(*line, rec, "num_gpu")?;
        let gpu_milli = t.int(*line, rec, "gpu_milli")?;
        let mut pod = simple_pod(name, req.clone());
        // The trace's requests are explicit, zeros included (one pod asks for 0 MiB).
        pod.containers[0].has_cpu_request = true;
        pod.containers[0].has_memory_request = true;
        let qos = t.text(rec, "qos");
        if !qos.is_empty() {
            pod.labels.insert(QOS_LABEL.into(), qos.to_string());
        }
        if num_gpu > 0 {
            if !(1..=255).contains(&num_gpu) {
                return Err(t.bad(*line, "num_gpu", format!("{num_gpu}: expected 0 to 255 GPUs")));
            }
            // As the FGD simulator converts the trace: milli clamped to 1..=1000 per GPU.
            let milli = gpu_milli.clamp(1, 1000) as u32;
            if milli < 1000 && num_gpu > 1 {
                return Err(t.bad(
                    *line,
                    "num_gpu",
                    format!("{num_gpu}: a pod sharing a GPU (gpu_milli {gpu_milli} < 1000) asks for one GPU"),
                ));
            }
            let mut models: Vec<String> = t
                .text(rec, "gpu_spec")
                .split('|')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            models.dedup();
            pod.gpu_share = Some(GpuShare { count: num_gpu as u32, milli, models });
        }
        pod.refresh_requests();
        let (created, deleted) = if timed {
            let c = t.int(*line, rec, "creation_time")?;
            let d = t.opt_int(*line, rec, "deletion_time")?;
            if let Some(d) = d
                && d < c
            {
                return Err(InputError::Field {
                    path: path.to_path_buf(),
                    line: *line,
                    field: "deletion_time".into(),
                    message: format!("{d} is before creation_time {c}"),
                });
            }
            (SimTime::from_secs(c), d.map(SimTime::from_secs))
        } else {
            (SimTime::ZERO, None)
        };
        list.arrivals.push(Arrival { pod, created, deleted, line: *line });
    }
    // Several variant files are not sorted by creation time; keep file order among equals.
    list.arrivals.sort_by_key(|a| a.created);
    Ok(list)
}
