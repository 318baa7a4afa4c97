//! `completions SHELL` and the hidden `manpages DIR`: generated from the
//! argument definitions, so they never disagree with the binary.

use super::Cli;
use crate::error::{Outcome, user_hint};
use crate::output;
use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::PathBuf;

#[derive(Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

#[derive(Args)]
pub struct ManpagesArgs {
    /// Directory to write git-ledger.1 and git-ledger-<command>.1 into
    pub dir: PathBuf,
}

/// Lets git's own bash completion (`git ledger <TAB>`) use ours: git calls
/// `_git_ledger` for the `ledger` subcommand.
const GIT_BASH_BRIDGE: &str = r#"
# `git ledger <TAB>`: git's completion calls _git_ledger for external commands.
_git_ledger() {
    local COMP_WORDS=("git-ledger" "${words[@]:2}")
    local COMP_CWORD=$((cword - 1))
    COMPREPLY=()
    _git__ledger "git-ledger" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

/// The command tree named as the binary `git-ledger` throughout: help
/// text says `git ledger`, which generators would turn into broken names.
fn binary_named(cmd: clap::Command, bin: &str) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let mut cmd = cmd
        .bin_name(bin.to_string())
        .display_name(bin.replace(' ', "-"));
    for name in names {
        let sub_bin = format!("{bin} {name}");
        cmd = cmd.mut_subcommand(name, |s| binary_named(s, &sub_bin));
    }
    cmd
}

pub fn completions(a: CompletionsArgs) -> Result<Outcome> {
    let mut cmd = binary_named(Cli::command(), "git-ledger");
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "git-ledger", &mut buf);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if a.shell == Shell::Bash {
        // The bash generator names case labels with `-` → `__subcmd__` but
        // dispatches with `-` → `__`; for a hyphenated binary they differ.
        text = text.replace("git__subcmd__ledger", "git__ledger");
        text.push_str(GIT_BASH_BRIDGE);
    }
    output::emit_exact(&text);
    Ok(Outcome::Ok)
}

pub fn manpages(a: ManpagesArgs) -> Result<Outcome> {
    std::fs::create_dir_all(&a.dir).map_err(|e| {
        user_hint(
            format!("cannot create {}: {e}", a.dir.display()),
            "give a directory you can write to",
        )
    })?;
    let mut cmd = binary_named(Cli::command(), "git-ledger");
    cmd.build();
    write_page(&a.dir, "git-ledger", cmd.clone())?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("git-ledger-{}", sub.get_name());
        write_page(&a.dir, &name, sub.clone().name(name.clone()))?;
    }
    output::say(&format!("wrote man pages to {}", a.dir.display()));
    Ok(Outcome::Ok)
}

fn write_page(dir: &std::path::Path, name: &str, cmd: clap::Command) -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))
}
