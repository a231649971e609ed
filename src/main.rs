//! The `capsim` binary: parses the command line and maps errors to exit codes.

use clap::Parser;

fn main() {
    let cli = capsim::cli::Cli::parse();
    if let Err(f) = capsim::cli::execute(cli) {
        eprintln!("capsim: error: {:#}", f.error);
        std::process::exit(f.code);
    }
}
