//! The small text parsers: scenario durations (`scenario::parse_duration`), Job run times
//! (`RunTime::parse`, then a draw from the parsed distribution) and `capsim plan --slo`
//! (`parse_slo`).
#![no_main]

use std::path::Path;

use capsim::experiment::plan::parse_slo;
use capsim::scenario::parse_duration;
use capsim::time::RunTime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let text = format!("spec:\n  duration: {s}\n");
    let _ = parse_duration(s, Path::new("scenario.yaml"), &text, "spec.duration");
    if let Ok(rt) = RunTime::parse(s) {
        let mut rng = capsim::rng::stream(1, capsim::rng::Stream::Workload);
        for _ in 0..4 {
            let ms = rt.draw(&mut rng);
            assert!(ms >= 1, "{s:?} drew {ms} ms");
        }
    }
    let _ = parse_slo(s);
});
