//! The `firecast` binary: parse the command line and run it.

use std::process::ExitCode;

fn main() -> ExitCode {
    firecast::cli::main()
}
