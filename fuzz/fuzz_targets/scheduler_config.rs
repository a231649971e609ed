//! A KubeSchedulerConfiguration file: strict decoding, defaulting, merging with the default
//! plugins and validation (`scenario::load_scheduler_config`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = capsim_fuzz::write_input("config.yaml", data);
    let _ = capsim::scenario::load_scheduler_config(&path);
});
