//! Verification evidence (SPEC 8): running a step's checks and turning the
//! results into an `evidence` event and, from it, a status.
//!
//! `checkout` says where checks run, `runner` runs one, `progress` shows it
//! on a terminal, `interrupt` lets Ctrl-C clean up. The functions here are
//! the rules, with no process or git I/O.

pub mod checkout;
pub mod interrupt;
pub mod progress;
pub mod runner;

use crate::error::user_hint;
use crate::ledger::{Event, Kind, Status, StepState};
use crate::redact::Redactor;
use anyhow::Result;
use runner::CheckRun;
use serde_json::Value;

/// What a verification does to a step's status: all checks pass on a clean
/// tree → `verified`; a failure → `drift_detected` for a step someone had
/// called done (verified, pending, or already drifted); otherwise nothing.
/// Evidence from a dirty work tree never changes a status: it says nothing
/// about any commit.
pub fn next_status(current: Status, passed: bool, dirty: bool) -> Option<Status> {
    if dirty {
        return None;
    }
    if passed {
        return Some(Status::Verified);
    }
    match current {
        Status::Verified | Status::CompletedPendingVerification | Status::DriftDetected => {
            Some(Status::DriftDetected)
        }
        Status::NotStarted | Status::InProgress => None,
    }
}

/// Where and on what the checks ran.
pub struct Subject {
    pub tree: String,
    /// The step's fingerprint at the commit; None for an unscoped step.
    pub fingerprint: Option<String>,
    pub dirty: bool,
    pub in_place: bool,
}

/// The `evidence` event of SPEC 2.2 for one step's check runs.
pub fn evidence_event(base: Event, subject: &Subject, runs: &[CheckRun], red: &Redactor) -> Event {
    let passed = runs.iter().all(CheckRun::passed);
    let mut e = base
        .with("result", if passed { "pass" } else { "fail" })
        .with("tree", subject.tree.clone());
    if let Some(fp) = &subject.fingerprint {
        e.set("fingerprint", fp.clone());
    }
    e.set("dirty", subject.dirty);
    if subject.in_place {
        e.set("in_place", true);
    }
    let checks: Vec<Value> = runs.iter().map(|r| r.to_json(red)).collect();
    e.set("checks", checks);
    e
}

/// One line saying why: "2/2 checks passed", "failed: cargo test (exit 101)".
pub fn summary(runs: &[CheckRun], red: &Redactor) -> String {
    let failed: Vec<&CheckRun> = runs.iter().filter(|r| !r.passed()).collect();
    match failed.first() {
        None => format!("{}/{} checks passed", runs.len(), runs.len()),
        Some(r) => {
            let why = if r.timed_out {
                format!("timed out after {:.0}s", r.ms as f64 / 1000.0)
            } else {
                format!("exit {}", r.exit)
            };
            let more = if failed.len() > 1 {
                format!(" and {} more", failed.len() - 1)
            } else {
                String::new()
            };
            format!("check failed: {} ({why}){more}", red.apply(&r.cmd))
        }
    }
}

/// Why the latest evidence cannot back `mark ID verified` when
/// `ledger.requireEvidence` is on, or None when it can: it must be from
/// checks that ran (not `--evidence TEXT`), all passed, on a clean tree,
/// over the owned content being marked. An unscoped step has no
/// fingerprint; any such evidence backs it.
pub fn evidence_gap(step: &StepState, fingerprint: Option<&str>) -> Option<String> {
    let Some(ev) = &step.evidence else {
        return Some("no evidence".into());
    };
    let ran_checks = ev.checks.1 > 0;
    if !ran_checks {
        return Some("only manual evidence (--evidence TEXT), no checks that ran".into());
    }
    if ev.result != "pass" {
        return Some("its latest evidence is a failure".into());
    }
    if ev.dirty {
        return Some("its latest evidence comes from a dirty work tree".into());
    }
    if fingerprint.is_some() && ev.fingerprint.as_deref() != fingerprint {
        return Some("its owned files changed since the latest passing evidence".into());
    }
    None
}

/// The `ledger.requireEvidence` gate of `mark ID verified`.
pub fn require_evidence(step: &StepState, fingerprint: Option<&str>) -> Result<()> {
    match evidence_gap(step, fingerprint) {
        None => Ok(()),
        Some(why) => Err(user_hint(
            format!(
                "{} cannot be marked verified: {why} (ledger.requireEvidence is on)",
                step.id
            ),
            format!(
                "run its checks with: git ledger verify {}  (it records the evidence and the status)",
                step.id
            ),
        )),
    }
}

/// A blank evidence event for `step`.
pub fn base_event(step: &str, at: String, by: String, run: Option<String>) -> Event {
    let mut e = Event::draft(step, Kind::Evidence, at, by, "verify");
    e.run = run;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fold::{EvidenceSummary, StepDef};
    use serde_json::json;

    fn run(cmd: &str, exit: i32, timed_out: bool) -> CheckRun {
        CheckRun {
            cmd: cmd.into(),
            exit,
            ms: 1500,
            timed_out,
            out_sha256: "0".repeat(64),
            out_tail: String::new(),
        }
    }

    fn red() -> Redactor {
        Redactor::with_literals(&["s3cret-value"])
    }

    #[test]
    fn status_rules() {
        use Status::*;
        for s in [
            NotStarted,
            InProgress,
            CompletedPendingVerification,
            Verified,
            DriftDetected,
        ] {
            assert_eq!(next_status(s, true, false), Some(Verified));
            assert_eq!(next_status(s, true, true), None);
            assert_eq!(next_status(s, false, true), None);
        }
        assert_eq!(next_status(Verified, false, false), Some(DriftDetected));
        assert_eq!(
            next_status(CompletedPendingVerification, false, false),
            Some(DriftDetected)
        );
        assert_eq!(
            next_status(DriftDetected, false, false),
            Some(DriftDetected)
        );
        assert_eq!(next_status(InProgress, false, false), None);
        assert_eq!(next_status(NotStarted, false, false), None);
    }

    #[test]
    fn evidence_has_spec_fields_and_redacts_commands() {
        let subject = Subject {
            tree: "t".into(),
            fingerprint: Some("f".into()),
            dirty: false,
            in_place: false,
        };
        let runs = [
            run("ok", 0, false),
            run("echo s3cret-value; false", 1, false),
        ];
        let e = evidence_event(
            base_event("S1", "a".into(), "b".into(), None),
            &subject,
            &runs,
            &red(),
        );
        let keys: Vec<&str> = e.fields.keys().map(String::as_str).collect();
        assert_eq!(keys, ["result", "tree", "fingerprint", "dirty", "checks"]);
        assert_eq!(e.str_field("result"), Some("fail"));
        assert_eq!(e.fields["checks"][1]["cmd"], "echo [REDACTED]; false");
        assert_eq!(
            summary(&runs, &red()),
            "check failed: echo [REDACTED]; false (exit 1)"
        );
        assert_eq!(summary(&runs[..1], &red()), "1/1 checks passed");
        assert_eq!(
            summary(&[run("slow", 124, true)], &red()),
            "check failed: slow (timed out after 2s)"
        );
    }

    #[test]
    fn evidence_gap_reasons() {
        let mut step: StepState = serde_json::from_value(json!({
            "id": "S1", "def": serde_json::to_value(StepDef::default()).unwrap(), "defined": null, "retired": false,
            "status": "completed_pending_verification", "mark": null, "baseline": null,
            "evidence": null, "head": ""
        }))
        .unwrap();
        assert_eq!(
            evidence_gap(&step, Some("f")).as_deref(),
            Some("no evidence")
        );
        let ev = |result: &str, dirty: bool, fp: &str, checks: Value| EvidenceSummary {
            commit: "c".into(),
            at: "a".into(),
            event: "e".into(),
            result: result.into(),
            dirty,
            fingerprint: Some(fp.into()),
            checks: (
                checks.as_array().map_or(0, |c| {
                    c.iter()
                        .filter(|c| crate::ledger::event::check_passed(c))
                        .count()
                }) as u32,
                checks.as_array().map_or(0, Vec::len) as u32,
            ),
            run: None,
        };
        let one = json!([{"cmd": "x", "exit": 0}]);
        step.evidence = Some(Box::new(ev("pass", false, "f", one.clone())));
        assert_eq!(evidence_gap(&step, Some("f")), None);
        assert!(evidence_gap(&step, Some("g")).unwrap().contains("changed"));
        step.evidence = Some(Box::new(ev("pass", true, "f", one.clone())));
        assert!(evidence_gap(&step, Some("f")).unwrap().contains("dirty"));
        step.evidence = Some(Box::new(ev("fail", false, "f", one)));
        assert!(evidence_gap(&step, Some("f")).unwrap().contains("failure"));
        step.evidence = Some(Box::new(ev("pass", false, "f", json!([]))));
        assert!(evidence_gap(&step, Some("f")).unwrap().contains("manual"));
    }
}
