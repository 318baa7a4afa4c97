mod ci;
mod cli;
mod drift;
mod error;
mod git;
mod hex;
mod hooks;
mod ingest;
mod ledger;
mod log_view;
mod markdown;
mod output;
#[cfg(test)]
mod proptest_config;
mod redact;
mod sanitize;
mod serve;
mod store;
mod sync;
mod terminal;
mod trust;
mod verify;

use clap::Parser;
use std::ffi::OsString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

fn main() -> ExitCode {
    error::install_panic_hook();
    git::repo::configure_libgit2();
    // Past a file-size limit (`ulimit -f`) a write fails with EFBIG, which
    // the code handles, instead of the signal ending the process.
    // SAFETY: ignoring a signal installs no handler code.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // Arguments stay OsStrings: a path need not be UTF-8.
    let args: Vec<OsString> = std::env::args_os().collect();
    // Hooks run on every commit: their entry point skips building the whole
    // command-line parser. The shims always call `git-ledger hook NAME …`.
    if args.len() >= 3 && args[1] == "hook" && !args[2].to_string_lossy().starts_with('-') {
        return hooks::run(&args[2].to_string_lossy(), &args[3..]).exit_code();
    }
    match catch_unwind(AssertUnwindSafe(|| run(args))) {
        Ok(code) => code,
        Err(payload) => error::panicked(payload.as_ref()),
    }
}

fn run(args: Vec<OsString>) -> ExitCode {
    error::injected_fault();
    let fast = cli::status_alone(&args);
    let cli = match fast.map_or_else(|| cli::Cli::try_parse_from(args), Ok) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that exit 0; a closed pipe
            // while printing them is no reason to fail.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => error::exit_code(&err),
    }
}
