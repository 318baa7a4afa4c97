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

/// Step ids, statuses and phases come from the repository: the scripts ask
/// `git-ledger __complete` first and fall back to what clap generated.
/// Also lets git's own bash completion (`git ledger <TAB>`) use ours: git
/// calls `_git_ledger` for the `ledger` subcommand.
const BASH_DYNAMIC: &str = r#"
# Step ids, statuses and phases, read from the repository.
_git_ledger_dynamic() {
    local found
    found=$(git-ledger __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    if [[ -n "$found" ]]; then
        # One candidate a line; a phase may hold spaces, so quote them.
        local IFS=$'\n'
        COMPREPLY=( $(compgen -W "$found" -- "${COMP_WORDS[COMP_CWORD]}") )
        [[ ${#COMPREPLY[@]} -gt 0 ]] && COMPREPLY=( $(printf '%q\n' "${COMPREPLY[@]}") )
    else
        _git__ledger "$@"
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _git_ledger_dynamic -o nosort -o bashdefault -o default git-ledger
else
    complete -F _git_ledger_dynamic -o bashdefault -o default git-ledger
fi

# `git ledger <TAB>`: git's completion calls _git_ledger for external commands.
_git_ledger() {
    local COMP_WORDS=("git-ledger" "${words[@]:2}")
    local COMP_CWORD=$((cword - 1))
    COMPREPLY=()
    _git_ledger_dynamic "git-ledger" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

const ZSH_DYNAMIC: &str = r#"
# Step ids, statuses and phases, read from the repository.
_git-ledger() {
    local -a found
    found=(${(f)"$(git-ledger __complete "${(@)words[2,CURRENT]}" 2>/dev/null)"})
    if (( ${#found} )); then
        compadd -a found
    else
        _git-ledger-static "$@"
    fi
}
"#;

const FISH_DYNAMIC: &str = r#"
# Step ids, statuses and phases, read from the repository.
complete -c git-ledger -f -n 'test -n "$(git-ledger __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)"' -a '(git-ledger __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
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
    text = without_hidden(&text, a.shell);
    match a.shell {
        Shell::Bash => {
            // The bash generator names case labels with `-` → `__subcmd__` but
            // dispatches with `-` → `__`; for a hyphenated binary they differ.
            text = text.replace("git__subcmd__ledger", "git__ledger");
            text.push_str(BASH_DYNAMIC);
        }
        Shell::Zsh => {
            text = text.replacen("_git-ledger() {", "_git-ledger-static() {", 1);
            let tail = "\nif [ \"$funcstack[1]\" = \"_git-ledger\" ]; then";
            match text.find(tail) {
                Some(i) => text.insert_str(i, ZSH_DYNAMIC),
                None => text.push_str(ZSH_DYNAMIC),
            }
        }
        Shell::Fish => text.push_str(FISH_DYNAMIC),
        _ => {}
    }
    output::emit_exact(&text);
    Ok(Outcome::Ok)
}

/// The generators list hidden subcommands too: drop `hook`, `manpages`
/// and `__complete` from what the shells offer.
fn without_hidden(text: &str, shell: Shell) -> String {
    let hidden: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|s| s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        let keep = match shell {
            Shell::Bash if t.starts_with("opts=\"") => {
                let indent = &line[..line.len() - t.len()];
                let words: Vec<&str> = t["opts=\"".len()..t.len() - 1]
                    .split(' ')
                    .filter(|w| !hidden.iter().any(|h| h == w))
                    .collect();
                out.push_str(&format!("{indent}opts=\"{}\"\n", words.join(" ")));
                continue;
            }
            Shell::Fish => !hidden.iter().any(|h| {
                t.contains(&format!("-a \"{h}\"")) || t.contains(&format!("using_subcommand {h}\""))
            }),
            Shell::Zsh => !hidden.iter().any(|h| t.starts_with(&format!("'{h}:"))),
            _ => true,
        };
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
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
    let sub = name.strip_prefix("git-ledger-").unwrap_or("");
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    buf.extend_from_slice(synopsis(&cmd).as_bytes());
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut buf)?;
    }
    buf.extend_from_slice(examples_section(sub).as_bytes());
    buf.extend_from_slice(EXIT_STATUS.as_bytes());
    if cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some() {
        man.render_extra_section(&mut buf)?;
    }
    if cmd.get_version().is_some() || cmd.get_long_version().is_some() {
        man.render_version_section(&mut buf)?;
    }
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))
}

/// Text for roff: backslashes and hyphens escaped, no line read as a request.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// SYNOPSIS with each option's value name (clap_mangen drops them):
/// `git-ledger log [-C <path>] [--since <date>] … [ID]`.
fn synopsis(cmd: &clap::Command) -> String {
    let mut out = format!(
        ".SH SYNOPSIS\n\\fB{}\\fR",
        roff(cmd.get_bin_name().unwrap_or(cmd.get_name()))
    );
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let takes_value = arg.get_action().takes_values();
        let value = match arg.get_value_names().and_then(|v| v.first()) {
            Some(v) if takes_value => format!(" \\fI<{}>\\fR", roff(v)),
            None if takes_value => format!(" \\fI<{}>\\fR", roff(id)),
            _ => String::new(),
        };
        let spelled = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("\\fB\\-{s}\\fR|\\fB\\-\\-{}\\fR", roff(l)),
            (Some(s), None) => format!("\\fB\\-{s}\\fR"),
            (None, Some(l)) => format!("\\fB\\-\\-{}\\fR", roff(l)),
            (None, None) => {
                let name = arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| id.to_uppercase());
                let many = if takes_value && arg.get_num_args().is_some_and(|n| n.max_values() > 1)
                {
                    "…"
                } else {
                    ""
                };
                let shown = format!("\\fI{}\\fR{many}", roff(&name));
                out.push_str(&if arg.is_required_set() {
                    format!(" {shown}")
                } else {
                    format!(" [{shown}]")
                });
                continue;
            }
        };
        out.push_str(&format!(" [{spelled}{value}]"));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        out.push_str(" \\fI<command>\\fR");
    }
    out.push('\n');
    out
}

const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"
.TP
0
Success.
.TP
1
A check said no: drift found (\\fBcheck\\fR), a verification failed (\\fBverify\\fR), a hook refused a commit, \\fBdoctor\\fR found a problem.
.TP
2
Bad input or usage: an unknown step, an invalid status, an unreadable file, not a git repository, no commit yet. The message names the problem and the fix; nothing was written.
.TP
3
An internal error: a bug, or a damaged repository (\\fBgit fsck\\fR tells).
";

/// A few command lines worth copying, for each page.
fn examples(sub: &str) -> &'static [(&'static str, &'static str)] {
    match sub {
        "" => &[
            (
                "git ledger init",
                "set up this clone: notes display, hooks, the remote's ledger",
            ),
            (
                "git ledger add S04 \"Object storage\" --owns 'src/storage/**' --check 'cargo test storage'",
                "define a step",
            ),
            (
                "git ledger verify S04",
                "run its checks in a clean checkout and record the evidence",
            ),
            (
                "git ledger status --status drift,pending",
                "what needs attention",
            ),
            (
                "git ledger next --json",
                "the recommended action, for a script or an agent",
            ),
        ],
        "init" => &[
            (
                "git ledger init",
                "config, hooks, and in a clone the fetch of the remote's ledger",
            ),
            (
                "git ledger init --remote upstream --no-hooks",
                "another remote, no hooks",
            ),
            (
                "git ledger init --undo",
                "take back everything init set (the ledger stays)",
            ),
        ],
        "add" => &[
            (
                "git ledger add S04 \"Object storage\" --owns 'src/storage/**' --check 'cargo test storage' --phase \"Phase 2\"",
                "a scoped, checked step",
            ),
            (
                "git ledger add T001 \"Write the README\"",
                "an unscoped step (it cannot drift)",
            ),
        ],
        "edit" => &[
            (
                "git ledger edit S04 --owns 'src/storage/**' --owns '!src/storage/gen.rs'",
                "replace the owned globs",
            ),
            (
                "git ledger edit S04 --no-checks --title \"Storage\"",
                "clear the checks, rename",
            ),
        ],
        "mark" => &[
            ("git ledger mark S04 wip", "in_progress, bound to HEAD"),
            (
                "git ledger mark S04 verified -m \"checked by hand: uploads work\"",
                "a verification by hand",
            ),
            (
                "git ledger mark S04 done --commit v1.2 --run run-004",
                "bound to a tag, with a run id",
            ),
        ],
        "status" => &[
            (
                "git ledger status",
                "every step, with live drift and progress per phase",
            ),
            (
                "git ledger status --status drift,pending",
                "only what needs attention",
            ),
            (
                "git ledger status --owner src/storage/spaces.rs",
                "the steps that own a file",
            ),
            (
                "git ledger --json status | jq '.steps[].status'",
                "for scripts",
            ),
        ],
        "show" => &[(
            "git ledger show S04",
            "definition, status, evidence, history",
        )],
        "log" => &[
            (
                "git ledger log S04 --since '2 weeks ago'",
                "one step's recent events",
            ),
            ("git ledger log --oneline -n 20", "the last 20 events"),
            (
                "git ledger log --format '%ad %i %w (%an)'",
                "a template of your own",
            ),
        ],
        "next" => &[(
            "git ledger next",
            "fix drift, re-verify, continue, start: the first thing to do",
        )],
        "verify" => &[
            ("git ledger verify S04 S05", "these steps"),
            (
                "git ledger verify --pending",
                "every step waiting for verification",
            ),
            (
                "git ledger verify --in-place S04",
                "test the work tree as it is (recorded as dirty when it is)",
            ),
        ],
        "check" => &[("git ledger check", "in CI: exit 1 while a step has drifted")],
        "hooks" => &[
            (
                "git ledger hooks status",
                "which hooks run git-ledger, and who runs them",
            ),
            (
                "git ledger hooks install",
                "install or update the shims (husky: its .husky scripts)",
            ),
        ],
        "start" => &[(
            "git ledger start S04",
            "this worktree's commits get Ledger-Step: S04",
        )],
        "sync" => &[(
            "git ledger sync",
            "fetch, merge and push the ledger (never forced)",
        )],
        "import" => &[(
            "git ledger import docs/IMPLEMENTATION_LEDGER.md --dry-run",
            "what would be imported",
        )],
        "export" => &[(
            "git ledger export --format html -o ledger.html",
            "a one-page board",
        )],
        "completions" => &[(
            "git ledger completions bash > ~/.local/share/bash-completion/completions/git-ledger",
            "bash completion (needs the bash-completion package)",
        )],
        _ => &[],
    }
}

fn examples_section(sub: &str) -> String {
    let list = examples(sub);
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from(".SH EXAMPLES\n");
    for (cmd, what) in list {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(cmd), roff(what)));
    }
    out
}
