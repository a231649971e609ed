//! Alibaba openb traces: the bytes as a node list (`read_nodes`) and as a pod list
//! (`read_pods`).
#![no_main]

use capsim::workload::alibaba_openb::{read_nodes, read_pods};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = capsim_fuzz::write_input("trace.csv", data);
    let _ = read_nodes(&path);
    let _ = read_pods(&path);
});
