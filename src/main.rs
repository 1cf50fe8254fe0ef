//! The `firecast` binary: parse the command line and run it.

use std::process::ExitCode;

/// Many small allocations a request (headers, JSON, rows): glibc's allocator spent a fifth of the
/// public quiz's time under load (`perf`), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    firecast::cli::main()
}
