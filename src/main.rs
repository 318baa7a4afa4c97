mod ci;
mod cli;
mod drift;
mod error;
mod git;
mod hooks;
mod ingest;
mod ledger;
mod log_view;
mod markdown;
mod output;
mod redact;
mod serve;
mod store;
mod sync;
mod terminal;
mod trust;
mod verify;

use clap::Parser;
use error::{Outcome, UserError};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Hooks run on every commit: their entry point skips building the whole
    // command-line parser. The shims always call `git-ledger hook NAME …`.
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 3 && args[1] == "hook" && !args[2].starts_with('-') {
        return match hooks::run(&args[2], &args[3..]) {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Refused => ExitCode::from(1),
        };
    }
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Refused) => ExitCode::from(1),
        Err(err) => {
            if let Some(u) = err.downcast_ref::<UserError>() {
                eprintln!("error: {}", u.message);
                if let Some(h) = &u.hint {
                    eprintln!("hint: {h}");
                }
                ExitCode::from(2)
            } else {
                eprintln!("error: {err:#}");
                eprintln!(
                    "hint: this is a bug or a damaged repository; `git fsck` checks the latter"
                );
                ExitCode::from(3)
            }
        }
    }
}
