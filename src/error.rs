//! Errors and the exit-code contract (SPEC 4): 0 success, 1 a check said
//! no, 2 bad input (`UserError`), 3 an internal error — a bug or a damaged
//! repository, a panic included. Everything that ends the program goes
//! through `exit_code` or `panicked`, so the contract lives in one place.

use crate::output;
use std::any::Any;
use std::process::ExitCode;
use std::sync::Mutex;

/// Bad input or a state the user can fix: exit 2, one line naming the
/// problem and, usually, a second saying what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

/// Bad input: exit 2 with one line naming the problem.
pub fn user(message: impl Into<String>) -> anyhow::Error {
    UserError {
        message: message.into(),
        hint: None,
    }
    .into()
}

/// Bad input with a second line saying what to do.
pub fn user_hint(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    UserError {
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}

/// A command's verdict: 0 for yes, 1 for "a check said no".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Refused,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Ok => ExitCode::SUCCESS,
            Outcome::Refused => ExitCode::from(1),
        }
    }
}

/// Reports an error that ended a command and gives its exit code: 2 for
/// a `UserError`, 3 for anything else.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    if let Some(u) = err.downcast_ref::<UserError>() {
        output::error_line(&format!("error: {}", u.message));
        if let Some(h) = &u.hint {
            output::error_line(&format!("hint: {h}"));
        }
        return ExitCode::from(2);
    }
    output::error_line(&format!(
        "error: internal error: {} (a bug, or a damaged repository: `git fsck` tells which)",
        one_line(&format!("{err:#}"))
    ));
    ExitCode::from(3)
}

/// A user error's message and hint in one line (for a warning).
pub fn one_paragraph(err: &anyhow::Error) -> String {
    match err.downcast_ref::<UserError>() {
        Some(UserError {
            message,
            hint: Some(hint),
        }) => format!("{message}; {hint}"),
        Some(u) => u.message.clone(),
        None => format!("{err:#}"),
    }
}

/// What the last panic said and where; kept by the panic hook for the one
/// line `panicked` prints once the panic has been caught.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the default panic output (several lines and, with
/// RUST_BACKTRACE, a stack trace) by nothing: the boundary that catches
/// the panic prints one line. A backtrace is printed only when asked for.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = payload_text(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{what}{at}"));
        }
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            let trace = std::backtrace::Backtrace::force_capture();
            output::error_line(&format!("git-ledger panicked{at}: {what}\n{trace}"));
        }
    }));
}

/// The description of the last caught panic.
pub fn last_panic(payload: &(dyn Any + Send)) -> String {
    LAST_PANIC
        .lock()
        .ok()
        .and_then(|mut p| p.take())
        .unwrap_or_else(|| payload_text(payload))
}

/// Reports a caught panic in one line and gives exit 3.
pub fn panicked(payload: &(dyn Any + Send)) -> ExitCode {
    output::error_line(&format!(
        "error: internal error (a bug in git-ledger): {}; please report it with the command you ran and `git ledger --version` (RUST_BACKTRACE=1 shows where)",
        one_line(&last_panic(payload))
    ));
    ExitCode::from(3)
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Faults the test suite can ask for (`GIT_LEDGER_FAULT=panic`), to prove
/// that the panic boundary and the hooks hold; nothing else reads it.
pub fn injected_fault() {
    if std::env::var_os("GIT_LEDGER_FAULT").is_some_and(|v| v == "panic") {
        panic!("GIT_LEDGER_FAULT=panic asked for a panic");
    }
}
