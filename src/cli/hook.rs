//! `git ledger hook NAME [ARGS]`: the entry point the installed shims call.
//! Never fails a commit on an internal error (see `hooks`).

use super::Ctx;
use crate::error::Outcome;
use anyhow::Result;
use clap::Args;
use std::ffi::OsString;

#[derive(Args)]
pub struct HookArgs {
    /// prepare-commit-msg, commit-msg, post-commit, post-merge or post-rewrite
    pub name: String,
    /// The arguments git passed to the hook
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

pub fn run(_ctx: &Ctx, a: HookArgs) -> Result<Outcome> {
    Ok(crate::hooks::run(&a.name, &a.args))
}
