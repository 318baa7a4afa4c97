//! Shared pieces of the read commands' text and JSON views.

use crate::drift::Live;
use crate::git::repo::short;
use crate::ledger::fold::{EvidenceSummary, StatusMark};
use crate::ledger::{StepState, time};
use serde_json::{Value, json};

/// "a1b2c3d 2 days ago"
pub fn since_text(mark: Option<&StatusMark>, now: i64) -> String {
    match mark {
        Some(m) => format!("{} {}", short(&m.commit), time::relative_at(&m.at, now)),
        None => "-".into(),
    }
}

/// Why a step drifted live, and what to do: "S04 drifted since it was
/// verified: a.rs changed (git ledger show S04)".
pub fn drift_text(s: &StepState, live: &Live) -> String {
    if live.scope_changed {
        return format!(
            "{} drifted since it was verified: scope changed (its owns now cover other files), re-verify: git ledger verify {}",
            s.id, s.id
        );
    }
    let files = if live.files.is_empty() {
        "its owned files".to_string()
    } else {
        live.files.join(", ")
    };
    format!(
        "{} drifted since it was verified: {files} changed (git ledger show {})",
        s.id, s.id
    )
}

/// (passed, total) over an evidence event's checks.
pub fn check_counts(ev: &EvidenceSummary) -> (usize, usize) {
    (ev.checks.0 as usize, ev.checks.1 as usize)
}

/// "pass 3/3, 2 hours ago" / "manual, 1 day ago" / "-"; evidence taken on
/// other content than the owned files have now says so.
pub fn evidence_text(ev: Option<&EvidenceSummary>, stale: Option<bool>, now: i64) -> String {
    let Some(ev) = ev else { return "-".into() };
    let (passed, total) = check_counts(ev);
    let mut s = if total == 0 {
        ev.result.clone()
    } else {
        format!("{} {passed}/{total}", ev.result)
    };
    if ev.dirty {
        s.push_str(" (dirty tree)");
    }
    s = format!("{s}, {}", time::relative_at(&ev.at, now));
    if stale == Some(true) {
        s.push_str(" · for older content");
    }
    s
}

pub fn mark_json(m: Option<&StatusMark>) -> Value {
    match m {
        None => Value::Null,
        Some(m) => json!({
            "commit": m.commit, "at": m.at, "by": m.by, "source": m.source,
            "msg": m.msg, "run": m.run, "event": m.event, "by_content": m.by_content,
        }),
    }
}

pub fn evidence_json(ev: Option<&EvidenceSummary>, stale: Option<bool>) -> Value {
    match ev {
        None => Value::Null,
        Some(ev) => {
            let (passed, total) = check_counts(ev);
            json!({
                "result": ev.result, "commit": ev.commit, "at": ev.at, "dirty": ev.dirty,
                "run": ev.run, "event": ev.event, "checks_passed": passed, "checks_total": total,
                "fingerprint": ev.fingerprint, "stale": stale == Some(true),
            })
        }
    }
}

/// The step object shared by `status`, `show`, `next` and `owners` JSON.
pub fn step_json(s: &StepState, live: &Live) -> Value {
    json!({
        "id": s.id,
        "title": s.def.title,
        "phase": s.def.phase,
        "status": live.effective.as_str(),
        "recorded_status": s.status.as_str(),
        "live_drift": live.live_drift,
        "drift_files": live.files,
        "scope_changed": live.scope_changed,
        "unscoped": live.unscoped,
        "retired": s.retired,
        "since": mark_json(s.mark.as_deref()),
        "evidence": evidence_json(s.evidence.as_deref(), live.evidence_stale),
        "verified": s.baseline.as_deref().map(|b| json!({
            "commit": b.commit, "at": b.at, "fingerprint": b.fingerprint, "tree": b.tree,
        })),
        "owns": s.def.owns,
        "checks": s.def.checks,
        "refs": s.def.refs,
    })
}
