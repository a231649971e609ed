//! A scenario built from a small description (`capsim_fuzz::structured::Scenario`), valid by
//! construction as far as possible, loaded (`scenario::load`) and run to its end
//! (`sim::engine::run`). A load error is fine; an internal error of the run is a bug in
//! capsim and fails the target.
//!
//! `CAPSIM_FUZZ_DEBUG=1` prints why rendered scenarios fail to load; `CAPSIM_FUZZ_RENDER_TO`
//! (below) keeps the files of the last input.
#![no_main]

use capsim::error::SimError;
use capsim_fuzz::structured::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|desc: Scenario| {
    // CAPSIM_FUZZ_RENDER_TO=<folder> keeps the rendered scenario there (to replay a crash with
    // `capsim run`); by default it goes to this process's temporary folder.
    // Only the private folder is emptied first; a folder of the user's is only written into.
    let dir = match std::env::var_os("CAPSIM_FUZZ_RENDER_TO") {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            let d = capsim_fuzz::work_dir().join("structured");
            let _ = std::fs::remove_dir_all(&d);
            d
        }
    };
    let path = desc.render(&dir);
    let sc = match capsim::scenario::load(&path) {
        Ok(sc) => sc,
        Err(e) => {
            // CAPSIM_FUZZ_DEBUG=1 shows why rendered scenarios fail to load (a description the
            // renderer should make valid more often).
            if std::env::var_os("CAPSIM_FUZZ_DEBUG").is_some() {
                eprintln!("load: {e}");
            }
            return;
        }
    };
    match capsim::sim::engine::run(&sc, u64::from(desc.seed)) {
        Ok(_) | Err(SimError::Input(_)) => {}
        Err(e @ SimError::Internal(_)) => panic!("{e}"),
        Err(e @ SimError::Output { .. }) => panic!("a run wrote output: {e}"),
    }
});
