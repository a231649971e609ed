//! A `capsim plan` node-types file (`experiment::plan::load_node_types`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = capsim_fuzz::write_input("node-types.yaml", data);
    let _ = capsim::experiment::plan::load_node_types(&path);
});
