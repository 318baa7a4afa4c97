//! Errors meant for people. A `UserError` is bad input or a state the user
//! can fix (exit 2); anything else reaching `main` is an internal error.

use std::fmt;

#[derive(Debug)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

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
