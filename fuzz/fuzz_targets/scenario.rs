//! A scenario file, loaded with everything it names (`scenario::load`), beside small valid
//! support files (`capsim_fuzz::SUPPORT_FILES` and a trimmed copy of `workloads/`), so a fuzzed
//! scenario that names them gets deep. A loaded scenario is not run (`structured_scenario`
//! runs scenarios). `CAPSIM_FUZZ_DEBUG=1` prints what loading says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = capsim_fuzz::write_in(capsim_fuzz::support_dir(), "scenario.yaml", data);
    let loaded = capsim::scenario::load(&path);
    // CAPSIM_FUZZ_DEBUG=1 prints what loading says (to check that seeds load).
    if std::env::var_os("CAPSIM_FUZZ_DEBUG").is_some() {
        match loaded {
            Ok(sc) => eprintln!("loaded {:?}: {} nodes, {} pods", sc.name, sc.nodes.len(), sc.arrivals.len()),
            Err(e) => eprintln!("load: {e}"),
        }
    }
});
