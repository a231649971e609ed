//! The `capsim` binary: parses the command line and maps errors to exit codes.

use clap::Parser;

fn main() {
    // Like other command-line tools, end quietly when the reader of stdout goes away
    // (`capsim bench | head -1`) instead of panicking on the broken pipe.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = capsim::cli::Cli::parse();
    if let Err(f) = capsim::cli::execute(cli) {
        eprintln!("capsim: error: {:#}", f.error);
        std::process::exit(f.code);
    }
}
