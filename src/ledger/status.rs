//! The five statuses of SPEC 1 and the words people use for them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    NotStarted,
    InProgress,
    CompletedPendingVerification,
    Verified,
    DriftDetected,
}

/// Every accepted spelling besides the canonical names, as (alias, status).
/// Hyphens, spaces and case are normalised before the lookup.
const ALIASES: &[(&str, Status)] = &[
    ("todo", Status::NotStarted),
    ("pending", Status::NotStarted),
    ("new", Status::NotStarted),
    ("wip", Status::InProgress),
    ("started", Status::InProgress),
    ("doing", Status::InProgress),
    ("done", Status::CompletedPendingVerification),
    ("complete", Status::CompletedPendingVerification),
    ("completed", Status::CompletedPendingVerification),
    ("pending_verification", Status::CompletedPendingVerification),
    ("ok", Status::Verified),
    ("drift", Status::DriftDetected),
    ("drifted", Status::DriftDetected),
];

impl Status {
    pub const ALL: [Status; 5] = [
        Status::NotStarted,
        Status::InProgress,
        Status::CompletedPendingVerification,
        Status::Verified,
        Status::DriftDetected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::CompletedPendingVerification => "completed_pending_verification",
            Status::Verified => "verified",
            Status::DriftDetected => "drift_detected",
        }
    }

    /// Parses a canonical name or an alias: any case, `-` or space for `_`.
    pub fn parse(word: &str) -> Option<Status> {
        let norm: String = word
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Status::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == norm)
            .or_else(|| ALIASES.iter().find(|(a, _)| *a == norm).map(|(_, s)| *s))
    }

    /// The list shown when a word is not a status.
    pub fn help_list() -> String {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "valid statuses: {} (aliases: todo, wip, done, complete, drift; any case, '-' for '_')",
            names.join(", ")
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases_in_any_case() {
        assert_eq!(Status::parse("verified"), Some(Status::Verified));
        assert_eq!(Status::parse("In-Progress"), Some(Status::InProgress));
        assert_eq!(
            Status::parse("DONE"),
            Some(Status::CompletedPendingVerification)
        );
        assert_eq!(
            Status::parse("completed-pending-verification"),
            Some(Status::CompletedPendingVerification)
        );
        assert_eq!(Status::parse("wip"), Some(Status::InProgress));
        assert_eq!(Status::parse("todo"), Some(Status::NotStarted));
        assert_eq!(Status::parse("finished-ish"), None);
    }
}
