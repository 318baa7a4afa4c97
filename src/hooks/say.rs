//! What the hooks tell the person committing, on stderr: one line per
//! event made from a trailer, and for drift the step, the files and the
//! trailer that would have declared the change.

use crate::git::repo::short;
use crate::ingest::{Drift, Report};
use crate::ledger::{Kind, Located};

/// One line on stderr (sanitised, and a closed stderr is no panic).
macro_rules! line {
    ($($arg:tt)*) => {
        crate::output::error_line(&format!($($arg)*))
    };
}

/// After a pull or a rebase many events may come at once: the first few
/// are shown, then a count (`git ledger log` has them all).
const SHOWN: usize = 8;

pub fn outcome(written: &[Located], report: &Report) {
    let from_trailers: Vec<&Located> = written
        .iter()
        .filter(|l| l.event.source == "trailer")
        .collect();
    if from_trailers.len() > SHOWN {
        line!(
            "git-ledger: {} events from trailers; the first {SHOWN} (git ledger log shows all):",
            from_trailers.len()
        );
    }
    for l in from_trailers.into_iter().take(SHOWN) {
        let e = &l.event;
        let what = match e.kind {
            Kind::Ack => "acknowledged: its verification stands, fingerprint updated".to_string(),
            _ => format!("→ {}", e.str_field("status").unwrap_or("?")),
        };
        line!(
            "git-ledger: {} {what} ({} at {})",
            e.step,
            e.str_field("trailer").unwrap_or("trailer"),
            short(&l.commit)
        );
    }
    for id in &report.withdrawn {
        line!("git-ledger: the drift recorded for {id} on the rewritten commit is withdrawn");
    }
    if report.rejected.len() > SHOWN {
        line!(
            "warning: {} ledger trailers could not be used; the first {SHOWN} (git ledger scan lists all):",
            report.rejected.len()
        );
    }
    for r in report.rejected.iter().take(SHOWN) {
        line!(
            "warning: trailer '{}' of {} ignored: {}",
            r.trailer,
            short(&r.commit),
            r.reason
        );
    }
    for d in report.drift.iter().filter(|d| d.new) {
        drift(d);
    }
}

fn drift(d: &Drift) {
    let files = d.files.join(", ");
    let files = if files.is_empty() {
        "its owned files".to_string()
    } else {
        files
    };
    let c = short(&d.commit);
    if d.cause == "undeclared" {
        line!(
            "warning: {} \"{}\" was {}, and this commit changed files it owns without declaring it: {files}",
            d.step,
            crate::sanitize::one_line(&d.title),
            d.was
        );
        line!(
            "warning: {} is now drift_detected (recorded on {c}; git log --notes=ledger -1 shows it)",
            d.step
        );
        line!(
            "hint: if the change is work on {id}, declare it: git commit --amend --no-edit --trailer \"Ledger-Step: {id}\"",
            id = d.step
        );
        line!(
            "hint: if it leaves {id} as it was (a reviewed, non-functional change): git commit --amend --no-edit --trailer \"Ledger-Ack: {id}\"",
            id = d.step
        );
    } else {
        line!(
            "warning: {} \"{}\" drifted: {files} changed since it was verified; now drift_detected (recorded on {c})",
            d.step,
            crate::sanitize::one_line(&d.title)
        );
        line!(
            "hint: re-verify it (git ledger verify {id}) or see git ledger show {id}",
            id = d.step
        );
    }
}
