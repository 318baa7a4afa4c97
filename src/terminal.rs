//! Where stdout goes, decided once per command the way git decides it:
//! a terminal (directly, or through a pager git or we started) gets
//! colour, tables cut to its width and, for the long read commands, the
//! pager; a pipe gets plain, complete text.

use std::io::{IsTerminal, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static TO_TERMINAL: AtomicBool = AtomicBool::new(false);
static PAGING: AtomicBool = AtomicBool::new(false);
/// 0: no width limit (a pipe, or a terminal of unknown size).
static COLUMNS: AtomicUsize = AtomicUsize::new(0);
static PAGER: Mutex<Option<Child>> = Mutex::new(None);

/// Looks at stdout before anything is written. `GIT_PAGER_IN_USE` is how
/// git tells a command it runs that stdout is its pager, so a terminal.
pub fn detect() {
    let git_pages = std::env::var("GIT_PAGER_IN_USE").is_ok_and(|v| is_true(&v));
    let tty = std::io::stdout().is_terminal();
    TO_TERMINAL.store(tty || git_pages, Ordering::Relaxed);
    PAGING.store(git_pages, Ordering::Relaxed);
    let cols = if tty || git_pages {
        columns_from_env().or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout())
                .or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
                .map(|(w, _)| usize::from(w.0))
        })
    } else {
        None
    };
    COLUMNS.store(cols.unwrap_or(0), Ordering::Relaxed);
}

/// `COLUMNS`, as git reads it (git sets it for the commands under its pager).
fn columns_from_env() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1"
    )
}

/// Whether stdout ends on a terminal, through a pager or not.
pub fn to_terminal() -> bool {
    TO_TERMINAL.load(Ordering::Relaxed)
}

/// Whether a pager (ours or git's) reads stdout.
pub fn paging() -> bool {
    PAGING.load(Ordering::Relaxed)
}

/// The width tables must fit, when stdout is a terminal of known size.
pub fn columns() -> Option<usize> {
    Some(COLUMNS.load(Ordering::Relaxed)).filter(|&c| c > 0)
}

/// The pager command git would use: `pager.ledger` when it names one,
/// else `GIT_PAGER`, `core.pager`, `PAGER`, `less`. None: do not page
/// (`pager.ledger=false`, an empty pager, or `cat`).
pub fn pager_command(pager_ledger: Option<&str>, core_pager: Option<&str>) -> Option<String> {
    let chosen = match pager_ledger.map(str::trim) {
        Some(v)
            if matches!(
                v.to_ascii_lowercase().as_str(),
                "false" | "no" | "off" | "0"
            ) =>
        {
            return None;
        }
        Some(v)
            if !v.is_empty()
                && !matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1") =>
        {
            v.to_string()
        }
        _ => std::env::var("GIT_PAGER")
            .ok()
            .or_else(|| core_pager.map(str::to_string))
            .or_else(|| std::env::var("PAGER").ok())
            .unwrap_or_else(|| "less".to_string()),
    };
    let chosen = chosen.trim().to_string();
    (!chosen.is_empty() && chosen != "cat").then_some(chosen)
}

/// Starts `pager` on stdout, as git does: only when stdout is a terminal
/// and no pager reads it yet, with `LESS=FRX` and `LV=-c` unless set (so
/// that `less` quits on a short page, keeps colours and leaves the screen
/// as it was). Best effort: a pager that cannot start leaves stdout as it is.
/// Whether output could go through a pager: stdout is a terminal and
/// git is not paging this command already.
pub fn can_page() -> bool {
    std::io::stdout().is_terminal() && !paging()
}

pub fn start_pager(pager: &str) {
    if !can_page() {
        return;
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(pager).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    if std::env::var_os("LV").is_none() {
        cmd.env("LV", "-c");
    }
    if let Some(c) = columns() {
        cmd.env("COLUMNS", c.to_string());
    }
    let Ok(mut child) = cmd.spawn() else { return };
    let Some(stdin) = child.stdin.take() else {
        return;
    };
    use std::os::fd::AsRawFd;
    let _ = std::io::stdout().flush();
    // SAFETY: dup2 onto fd 1 replaces stdout with the pager's pipe; both
    // descriptors are valid, and the pipe's own fd is closed when `stdin` drops.
    if unsafe { libc::dup2(stdin.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    drop(stdin);
    PAGING.store(true, Ordering::Relaxed);
    if let Ok(mut p) = PAGER.lock() {
        *p = Some(child);
    }
}

/// Hands the last output to the pager and waits until the user leaves it.
pub fn finish() {
    let child = PAGER.lock().ok().and_then(|mut p| p.take());
    let Some(mut child) = child else { return };
    let _ = std::io::stdout().flush();
    // SAFETY: closing fd 1 ends the pager's input so that it can finish;
    // nothing writes to stdout after this point.
    unsafe {
        libc::close(libc::STDOUT_FILENO);
    }
    let _ = child.wait();
}
