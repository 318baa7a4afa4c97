mod cli;
mod drift;
mod error;
mod git;
mod hooks;
mod ingest;
mod ledger;
mod markdown;
mod output;
mod redact;
mod store;
mod sync;
mod trust;
mod verify;

use clap::Parser;
use error::{Outcome, UserError};
use std::process::ExitCode;

fn main() -> ExitCode {
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
