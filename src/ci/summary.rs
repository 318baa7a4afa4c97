//! What `git ledger check` found, as a CI job sees it: a Markdown summary
//! (GitHub's job summary, a GitLab or Jenkins artefact) and GitHub Actions
//! annotations on the files that drifted.

use super::escape::{md_code, md_text, one_line, workflow_data, workflow_property};
use crate::ledger::Status;

pub struct Drifted {
    pub id: String,
    pub title: String,
    /// Owned paths changed since the verification; empty when unknown
    /// (a shallow clone has no verified tree to compare with).
    pub files: Vec<String>,
    /// Found by this run rather than recorded before.
    pub found_now: bool,
    /// Why, when no file says it: the globs changed since the verification,
    /// or the message of the recorded drift ("check failed: …").
    pub reason: Option<String>,
}

pub struct Pending {
    pub id: String,
    pub title: String,
}

pub struct CheckReport {
    pub head: String,
    pub branch: Option<String>,
    pub strict: bool,
    pub recorded: bool,
    /// `ledger.requireEvidence`: a verification over older evidence fails.
    pub require_evidence: bool,
    /// Steps per effective status, in `Status::ALL` order.
    pub counts: [usize; 5],
    pub drifted: Vec<Drifted>,
    pub pending: Vec<Pending>,
    /// Verified steps whose last evidence is for older content.
    pub stale: Vec<Pending>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.drifted.is_empty()
            && (!self.strict || self.pending.is_empty())
            && (!self.require_evidence || self.stale.is_empty())
    }

    fn count(&self, s: Status) -> usize {
        Status::ALL
            .iter()
            .position(|x| *x == s)
            .map_or(0, |i| self.counts[i])
    }
}

/// Files listed per step in a summary; the rest are counted.
const FILES_SHOWN: usize = 10;
/// GitHub shows at most ten error annotations per step of a job.
const ANNOTATIONS: usize = 10;

fn files_cell(d: &Drifted) -> String {
    let files = &d.files;
    if files.is_empty() {
        return md_text(d.reason.as_deref().unwrap_or("owned files changed"));
    }
    let mut cell: Vec<String> = files.iter().take(FILES_SHOWN).map(|f| md_code(f)).collect();
    if files.len() > FILES_SHOWN {
        cell.push(format!("and {} more", files.len() - FILES_SHOWN));
    }
    cell.join("<br>")
}

/// The job summary: a verdict heading, the totals, and one row per drifted
/// or pending step with its files and the command that fixes it.
pub fn markdown(r: &CheckReport) -> String {
    let total: usize = r.counts.iter().sum();
    let heading = if !r.drifted.is_empty() {
        let ids: Vec<String> = r.drifted.iter().map(|d| md_text(&d.id)).collect();
        format!("❌ Ledger: drift in {}", ids.join(", "))
    } else if r.strict && !r.pending.is_empty() {
        format!(
            "❌ Ledger: {} step(s) await verification (--strict)",
            r.pending.len()
        )
    } else if !r.ok() {
        format!(
            "❌ Ledger: {} verified step(s) without evidence for their content (ledger.requireEvidence)",
            r.stale.len()
        )
    } else {
        "✅ Ledger: no drift".to_string()
    };
    let mut out = format!("### {heading}\n\n");
    let branch = r
        .branch
        .as_deref()
        .map(|b| format!(" on {}", md_code(b)))
        .unwrap_or_default();
    out.push_str(&format!(
        "`git ledger check` at `{}`{branch}: **{}/{total} verified**",
        crate::git::repo::short(&r.head),
        r.count(Status::Verified),
    ));
    for (s, label) in [
        (Status::DriftDetected, "drifted"),
        (Status::CompletedPendingVerification, "pending verification"),
        (Status::InProgress, "in progress"),
        (Status::NotStarted, "not started"),
    ] {
        out.push_str(&format!(" · {} {label}", r.count(s)));
    }
    out.push_str("\n\n");
    if r.drifted.is_empty() && r.pending.is_empty() && r.stale.is_empty() {
        return out;
    }
    out.push_str("| | Step | Title | Owned files changed | To fix |\n|---|---|---|---|---|\n");
    for d in &r.drifted {
        let when = match (d.found_now, r.recorded) {
            (true, true) => " (found now, recorded on HEAD)",
            (true, false) => " (found now)",
            (false, _) => "",
        };
        out.push_str(&format!(
            "| 🔴 drifted{when} | {} | {} | {} | fix the code, then {} |\n",
            md_code(&d.id),
            md_text(&d.title),
            files_cell(d),
            md_code(&format!("git ledger verify {}", d.id)),
        ));
    }
    for p in &r.pending {
        out.push_str(&format!(
            "| 🟡 pending verification | {} | {} | | {} |\n",
            md_code(&p.id),
            md_text(&p.title),
            md_code(&format!("git ledger verify {}", p.id)),
        ));
    }
    for s in &r.stale {
        out.push_str(&format!(
            "| 🟠 verified, evidence for older content | {} | {} | | {} |\n",
            md_code(&s.id),
            md_text(&s.title),
            md_code(&format!("git ledger verify {}", s.id)),
        ));
    }
    out.push('\n');
    if !r.drifted.is_empty() {
        out.push_str("Drift must be fixed before new work. A change that leaves a step as it was (reviewed, non-functional) is acknowledged with a `Ledger-Ack: ID` trailer instead.\n\n");
    } else if r.strict && !r.pending.is_empty() {
        out.push_str("`--strict`: every step called done must be re-verified: `git ledger verify --pending`.\n\n");
    }
    out
}

/// GitHub Actions `::error` commands: one per changed owned file of each
/// drifted step (a step whose files are unknown gets one without a file),
/// and under `--strict` one per pending step. At most ten, the last one
/// counting what was left out.
pub fn annotations(r: &CheckReport) -> String {
    let mut all: Vec<(Option<&str>, String, String)> = Vec::new();
    for d in &r.drifted {
        let title = format!("{} drifted", d.id);
        let why = match (&d.reason, d.files.is_empty()) {
            (Some(r), true) => r.clone(),
            _ => "its owned files changed since it was verified".to_string(),
        };
        let msg = format!(
            "{} \"{}\" has drifted: {why}; fix the code, then run: git ledger verify {}",
            d.id, d.title, d.id
        );
        if d.files.is_empty() {
            all.push((None, title.clone(), msg.clone()));
        }
        for f in &d.files {
            all.push((Some(f), title.clone(), msg.clone()));
        }
    }
    if r.require_evidence {
        for s in &r.stale {
            all.push((
                None,
                format!("{} has no evidence for its content", s.id),
                format!(
                    "{} \"{}\" is verified, but its last evidence is for older content (ledger.requireEvidence); run: git ledger verify {}",
                    s.id, s.title, s.id
                ),
            ));
        }
    }
    if r.strict {
        for p in &r.pending {
            all.push((
                None,
                format!("{} awaits verification", p.id),
                format!(
                    "{} \"{}\" is completed_pending_verification (--strict); run: git ledger verify {}",
                    p.id, p.title, p.id
                ),
            ));
        }
    }
    let mut out = String::new();
    let keep = if all.len() > ANNOTATIONS {
        ANNOTATIONS - 1
    } else {
        all.len()
    };
    for (file, title, msg) in &all[..keep] {
        let file = file
            .map(|f| format!("file={},", workflow_property(&one_line(f))))
            .unwrap_or_default();
        out.push_str(&format!(
            "::error {file}title={}::{}\n",
            workflow_property(&one_line(title)),
            workflow_data(&one_line(msg))
        ));
    }
    if all.len() > keep {
        out.push_str(&format!(
            "::error title=More ledger drift::{} more finding(s); git ledger check lists them all\n",
            all.len() - keep
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> CheckReport {
        CheckReport {
            head: "a9f5762c".into(),
            branch: Some("main".into()),
            strict: false,
            recorded: false,
            require_evidence: false,
            counts: [1, 0, 1, 1, 1],
            drifted: vec![Drifted {
                id: "S04".into(),
                title: "Storage <img src=x onerror=alert(1)>".into(),
                files: vec!["src/a,b.rs".into(), "src/x\n::warning::y".into()],
                found_now: true,
                reason: None,
            }],
            pending: vec![Pending {
                id: "S07".into(),
                title: "Listing | *now*".into(),
            }],
            stale: vec![],
        }
    }

    #[test]
    fn the_summary_names_totals_files_and_fixes_with_ledger_text_inert() {
        let md = markdown(&report());
        assert!(md.starts_with("### ❌ Ledger: drift in S04\n"), "{md}");
        assert!(md.contains("**1/4 verified** · 1 drifted · 1 pending verification"));
        assert!(md.contains("| 🔴 drifted (found now) | `S04` | Storage &lt;img src\\=x onerror\\=alert\\(1\\)&gt; | `src/a,b.rs`<br>`src/x ::warning::y` | fix the code, then `git ledger verify S04` |"), "{md}");
        assert!(md.contains("| Listing \\| \\*now\\* |"), "{md}");
        assert!(!md.contains("<img"));
    }

    #[test]
    fn annotations_point_at_each_changed_file_and_cannot_inject_commands() {
        let a = annotations(&report());
        let lines: Vec<&str> = a.lines().collect();
        assert_eq!(lines.len(), 2, "{a}");
        assert!(lines[0].starts_with("::error file=src/a%2Cb.rs,title=S04 drifted::S04 \"Storage"));
        assert!(lines[1].starts_with("::error file=src/x %3A%3Awarning%3A%3Ay,title="));
        let mut many = report();
        many.drifted[0].files = (0..30).map(|i| format!("f{i}")).collect();
        many.strict = true;
        let a = annotations(&many);
        assert_eq!(a.lines().count(), 10);
        assert!(a.ends_with(
            "::error title=More ledger drift::22 more finding(s); git ledger check lists them all\n"
        ));
    }

    #[test]
    fn a_clean_check_says_so_in_one_heading() {
        let mut r = report();
        r.drifted.clear();
        r.pending.clear();
        let md = markdown(&r);
        assert!(md.starts_with("### ✅ Ledger: no drift\n"));
        assert!(!md.contains('|'));
        assert_eq!(annotations(&r), "");
    }
}
