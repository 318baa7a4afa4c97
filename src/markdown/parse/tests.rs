use super::*;

fn p(text: &str) -> Parsed {
    parse(text, &Options::default())
}

fn step<'a>(parsed: &'a Parsed, id: &str) -> &'a ParsedStep {
    parsed
        .steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id} in {:?}", ids(parsed)))
}

fn ids(parsed: &Parsed) -> Vec<&str> {
    parsed.steps.iter().map(|s| s.id.as_str()).collect()
}

fn status(parsed: &Parsed, id: &str) -> Option<Status> {
    step(parsed, id).final_status()
}

fn unplaced_lines(parsed: &Parsed) -> Vec<usize> {
    parsed.report.unplaced.iter().map(|e| e.line).collect()
}

const SECTIONS: &str = "\
# Ledger

Intro text nobody imports.

## Legend

- `verified` – checked again later.

---

## Step S01 – Storage layer (Pre\u{2011}work)

- **Status:** verified (after the rerun)
- **Last updated:** 2026-01-20 09:15 UTC
- **Responsible run ID:** run-007

**Planned work (current run):** wire the bucket.

### Scope & files

- **Blueprint references:**
  - `docs/BLUEPRINT.md`: storage section
- **Files touched:**
  - `src/storage/bucket.rs` (new)
  - `Makefile.toml`
  - **Tools:** `scripts/*.sh`, `app/[id]/page.tsx`

### Implementation summary

- Added the bucket client.
  - With retries.

### Observable invariants

- `cargo test storage` completes with no failures.
- `backend/tests` exists.
- Uploads are idempotent.

### Tests & commands run

- `cargo test storage` – PASSED
- `npm run e2e` – FAILED (no browser)
- Not run (nothing else).

### Edge cases considered

- Empty bucket.
- N/A

### Concerns & open issues

- **Latency:** uploads are slow.

### Items still needed for airtight robustness

- Add metrics.
  - per bucket

### Verification history

- [x] Verified on 2026-01-10 by run run-003
  Notes: first pass.
- [x] Drift detected on 2026-01-15 by run run-005
  Notes: bucket API changed.
- [x] Verified on 2026-01-20 by run run-007
- [ ] Pending verification.

---

## Frontend tidy-up (Ad Hoc)

- **Status:** verified

### Tests & commands run

- `npm test` – PASSED
";

#[test]
fn step_sections_give_every_field() {
    let r = p(SECTIONS);
    assert_eq!(ids(&r), ["S01"]);
    let s = step(&r, "S01");
    assert_eq!(s.shape, Shape::Sections);
    assert_eq!(s.title, "Storage layer (Pre\u{2011}work)");
    assert_eq!(s.phase, None, "the document title is not a phase");
    let claim = s.status.as_ref().unwrap();
    assert_eq!(claim.status, Some(Status::Verified));
    assert_eq!(claim.msg.as_deref(), Some("after the rerun"));
    assert_eq!(s.updated.as_deref(), Some("2026-01-20T09:15:00Z"));
    assert_eq!(s.run.as_deref(), Some("run-007"));
    assert_eq!(s.refs, ["`docs/BLUEPRINT.md`: storage section"]);
    assert_eq!(
        s.owns,
        [
            "src/storage/bucket.rs",
            "/Makefile.toml",
            "scripts/\\*.sh",
            "app/\\[id\\]/page.tsx"
        ],
        "literal paths: metacharacters escaped, slash-less names anchored"
    );
    assert_eq!(
        s.checks,
        ["cargo test storage"],
        "only commands, and a PASS from the tests"
    );
    assert!(
        s.summary
            .contains(&"- Added the bucket client.".to_string())
    );
    assert!(s.summary.contains(&"  - With retries.".to_string()));
    assert!(s.summary.iter().any(|l| l.contains("Planned work")));
    assert!(s.summary.contains(&"- `backend/tests` exists.".to_string()));
    assert!(s.summary.contains(&"- Uploads are idempotent.".to_string()));
    assert_eq!(
        s.tests_run,
        [
            "- `cargo test storage` – PASSED",
            "- `npm run e2e` – FAILED (no browser)"
        ]
    );
    assert_eq!(s.edge_cases, ["Empty bucket."]);
    assert_eq!(s.concerns, ["**Latency:** uploads are slow."]);
    assert_eq!(s.todo, ["Add metrics.\n  - per bucket"]);
    let h: Vec<(Status, &str, &str, Option<&str>)> = s
        .history
        .iter()
        .map(|e| {
            (
                e.status,
                e.at.as_deref().unwrap_or(""),
                e.run.as_deref().unwrap_or(""),
                e.msg.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        h,
        [
            (
                Status::Verified,
                "2026-01-10T00:00:00Z",
                "run-003",
                Some("first pass.")
            ),
            (
                Status::DriftDetected,
                "2026-01-15T00:00:00Z",
                "run-005",
                Some("bucket API changed.")
            ),
            (Status::Verified, "2026-01-20T00:00:00Z", "run-007", None),
        ]
    );
    let warned: Vec<&str> = r
        .report
        .warnings
        .iter()
        .map(|w| w.reason.as_str())
        .collect();
    assert!(
        warned
            .iter()
            .any(|w| w.contains("'scripts/*.sh' looks like a glob")),
        "{warned:?}"
    );
}

#[test]
fn sections_without_id_are_reported_not_invented() {
    let r = p(SECTIONS);
    assert!(!ids(&r).iter().any(|i| i.contains("Frontend")));
    assert_eq!(r.report.without_id.len(), 1);
    assert_eq!(r.report.without_id[0].text, "## Frontend tidy-up (Ad Hoc)");
    let lines = unplaced_lines(&r);
    let no_id = r.report.without_id[0].line;
    for l in [no_id + 2, no_id + 4, no_id + 6] {
        assert!(
            lines.contains(&l),
            "line {l} of the no-id section is reported: {lines:?}"
        );
    }
    assert!(lines.contains(&3), "the intro text is reported");
    assert!(!lines.contains(&7), "legend lines are known, not unplaced");
}

#[test]
fn crlf_and_a_bom_change_nothing() {
    let crlf = format!("\u{feff}{}", SECTIONS.replace('\n', "\r\n"));
    assert_eq!(p(&crlf).steps, p(SECTIONS).steps);
}

const TASKS_VARIANT: &str = "\
<!-- TOOL:START -->
# Tasks for: change-7

## Wave 1: Core

- **Depends On**: None

### Task 1.1: Add the config

- **Files**: `crates/config/src/types.rs`, schema generation and its tests
- **Action**: Add the typed option.
- **Requirements**: feature:mode, feature:report
- **Updated At**: 2026-07-13
- **Status**: [x] complete

### Task 1.2: Wire it

- **Status**: [>] in-progress
<!--
### Task 1.3: Commented out
- **Status**: [x] complete
-->
<!-- TOOL:END -->
";

#[test]
fn task_headings_with_status_inside_a_field_and_html_comments() {
    let r = p(TASKS_VARIANT);
    assert_eq!(
        ids(&r),
        ["1.1", "1.2"],
        "the commented-out task is not imported"
    );
    let s = step(&r, "1.1");
    assert_eq!(s.title, "Add the config");
    assert_eq!(s.phase.as_deref(), Some("Wave 1: Core"));
    assert_eq!(
        status(&r, "1.1"),
        Some(Status::CompletedPendingVerification)
    );
    assert_eq!(status(&r, "1.2"), Some(Status::InProgress));
    assert_eq!(s.owns, ["crates/config/src/types.rs"]);
    assert_eq!(s.refs, ["feature:mode", "feature:report"]);
    assert_eq!(s.updated.as_deref(), Some("2026-07-13T00:00:00Z"));
    assert!(
        s.summary
            .contains(&"- **Action**: Add the typed option.".to_string())
    );
    assert_eq!(r.report.comments, [(19, 22)]);
}

const TRACKER: &str = "\
# Remediation Tracker

**Status:** P0 done

### Status Legend
- `[ ]` Not Started
- `[~]` In Progress
- **P0** - blocker

## P0: Blockers

### LSP-001: Server returns fake data
**File:** `internal/lsp/manager.go`
**Priority:** P0
**Status:** [x] Completed

#### Tasks
- [x] Real client
- [ ] Integration tests

#### Verification
```bash
# no simulation left
grep -n \"simulate\" internal/lsp/manager.go
# Should return empty

go test ./internal/lsp/...
```

### CACHE-001: Cache deletion
**Status:** [ ] Not Started
";

#[test]
fn bold_status_lines_task_lists_and_verification_blocks() {
    let r = p(TRACKER);
    assert_eq!(
        ids(&r),
        ["LSP-001", "CACHE-001"],
        "legend examples are not steps"
    );
    let s = step(&r, "LSP-001");
    assert_eq!(s.phase.as_deref(), Some("P0: Blockers"));
    assert_eq!(s.owns, ["internal/lsp/manager.go"]);
    assert_eq!(
        status(&r, "LSP-001"),
        Some(Status::CompletedPendingVerification)
    );
    assert_eq!(status(&r, "CACHE-001"), Some(Status::NotStarted));
    assert_eq!(s.checks, ["go test ./internal/lsp/..."]);
    assert!(s.summary.contains(&"- [x] Real client".to_string()));
    assert_eq!(s.todo, ["Integration tests"]);
    assert!(
        r.report
            .warnings
            .iter()
            .any(|w| w.text.starts_with("grep") && w.reason.contains("output matters"))
    );
    let status_line = r.report.unplaced.iter().find(|e| e.line == 3).unwrap();
    assert!(status_line.reason.contains("not a step"), "{status_line:?}");
}

const CHECKLIST: &str = "\
# TASKS

- [x] Phase 1: Documents
    - [x] 1. VISION.md

# Phase 4: Implementation

## Epic 1: Foundation
Focus: getting the process to run.
- [x] **M1.1: Project Skeleton**
    - Create directory structure.
    - *Dependency*: None
- [ ] **M1.2: Signals** (Epic 1b) - handle SIGTERM
\t- [x] **M1.2.1: SIGINT**
\t    - [x] Trap it.
\t- [ ] Write docs
- [x] S3 bucket created
- [~] **M1.3: Logging**
    - [x] **S-01**: Thundering herd scenario.
";

#[test]
fn checkbox_lists_nested_tab_indented_with_phases() {
    let r = p(CHECKLIST);
    assert_eq!(ids(&r), ["1", "M1.1", "M1.2", "M1.2.1", "M1.3", "S-01"]);
    assert_eq!(step(&r, "1").phase, None);
    assert_eq!(step(&r, "1").summary, ["- [x] 1. VISION.md"]);
    let m11 = step(&r, "M1.1");
    assert_eq!(m11.title, "Project Skeleton");
    assert_eq!(m11.phase.as_deref(), Some("Epic 1: Foundation"));
    assert_eq!(
        m11.summary,
        ["- Create directory structure.", "- *Dependency*: None"]
    );
    let m12 = step(&r, "M1.2");
    assert_eq!(m12.phase.as_deref(), Some("Epic 1b"));
    assert_eq!(m12.summary, ["handle SIGTERM"]);
    assert_eq!(m12.todo, ["Write docs"]);
    assert_eq!(status(&r, "M1.2"), Some(Status::NotStarted));
    let nested = step(&r, "M1.2.1");
    assert_eq!(
        nested.phase.as_deref(),
        Some("Epic 1b"),
        "nested steps share the parent's phase"
    );
    assert_eq!(nested.summary, ["- [x] Trap it."]);
    assert_eq!(status(&r, "M1.3"), Some(Status::InProgress));
    assert_eq!(step(&r, "S-01").title, "Thundering herd scenario.");
    let no_id: Vec<&str> = r
        .report
        .without_id
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(no_id, ["- [x] S3 bucket created"]);
    assert!(
        unplaced_lines(&r).contains(&9),
        "the Focus line is reported"
    );
}

#[test]
fn checked_as_changes_what_done_means() {
    let r = parse(
        CHECKLIST,
        &Options {
            checked_as: Status::Verified,
        },
    );
    assert_eq!(status(&r, "M1.1"), Some(Status::Verified));
    assert_eq!(status(&r, "M1.2"), Some(Status::NotStarted));
}

const SPEC_KIT: &str = "\
# Tasks: Release pipeline

**Status**: ✅ COMPLETED

## Format: `[ID] [P?] [Story] Description`

- **[P]**: Can run in parallel
- [ ] T999 Example task in the legend

## Phase 1: Setup

**Status**: ✅ COMPLETED

- [X] T001 Create `.github/workflows/` directory
- [X] T002 [P] Create build workflow
  - [X] T002a Configure triggers
- [X] T003 Create release workflow

## Phase 2: Foundation

- [X] T003 Configure tag pattern `v*`
  - [X] sub-task of the duplicate
- [ ] T004 [US1] Add runner
";

#[test]
fn spec_kit_lists_suffixed_ids_tags_and_duplicates() {
    let r = p(SPEC_KIT);
    assert_eq!(ids(&r), ["T001", "T002", "T002a", "T003", "T004"]);
    assert_eq!(step(&r, "T002").title, "Create build workflow");
    assert_eq!(step(&r, "T002").summary, ["Tags: P"]);
    assert_eq!(step(&r, "T002a").phase.as_deref(), Some("Phase 1: Setup"));
    assert_eq!(
        step(&r, "T003").title,
        "Create release workflow",
        "the first T003 wins"
    );
    assert_eq!(
        status(&r, "T003"),
        Some(Status::CompletedPendingVerification)
    );
    assert_eq!(r.report.duplicates.len(), 1);
    let d = &r.report.duplicates[0];
    assert_eq!((d.id.as_str(), d.line, d.first_line), ("T003", 21, 17));
    assert!(
        unplaced_lines(&r).contains(&22),
        "the duplicate's sub-task is reported"
    );
    let statuses: Vec<usize> = r
        .report
        .unplaced
        .iter()
        .filter(|e| e.reason.contains("not a step"))
        .map(|e| e.line)
        .collect();
    assert_eq!(
        statuses,
        [3, 12],
        "section statuses are reported, not imported"
    );
}

const CHINESE: &str = "\
# 任务计划

## Phases
### Phase 1: 收尾同步
- [x] 核对状态
- [x] 更新计划文件
- **Status:** complete

### Phase 2: 持续迭代
- [x] 诊断报告支持脱敏
- [x] CI 门禁上传
- **Status:** in_progress
";

#[test]
fn non_english_sections_and_contradicting_status_lines() {
    let r = p(CHINESE);
    assert_eq!(ids(&r), ["1", "2"]);
    assert_eq!(step(&r, "1").title, "收尾同步");
    assert_eq!(status(&r, "1"), Some(Status::CompletedPendingVerification));
    assert_eq!(
        status(&r, "2"),
        Some(Status::InProgress),
        "the status line counts"
    );
    assert_eq!(
        step(&r, "2").summary,
        ["- [x] 诊断报告支持脱敏", "- [x] CI 门禁上传"]
    );
    let w: Vec<&str> = r
        .report
        .warnings
        .iter()
        .map(|w| w.reason.as_str())
        .collect();
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("says in_progress but all 2 checklist items are checked"));
}

const TABLES: &str = "\
# Status

## Milestones

| Milestone | Status | Progress | Notes |
|-----------|--------|----------|-------|
| M1 (Baseline) | ✅ Complete | 100% | paper run |
| M2 (Teacherless) | 🟡 In Progress | 85% | |
| M3 (CRATE) | ⚪ Not Started | 0% | |

## Jobs

| Instance ID | Status |
|---|---|
| 29522248 | 🟡 Running |

## Lanes

| Lane | Phase | Status | Owns (paths) |
| ---- | ----- | ------ | ------------ |
| **L0** | Plan the work | **DONE** — direction picked | `docs/plans/*`, `LEDGER.md` |
| **L1** | Tokens | BLOCKED on review | `styles/**` |

| S10 | Setup | done |
| S11 | Storage | wip |
";

#[test]
fn tables_with_and_without_header_emoji_statuses() {
    let r = p(TABLES);
    assert_eq!(ids(&r), ["M1", "M2", "M3", "L0", "L1", "S10", "S11"]);
    assert_eq!(step(&r, "M1").title, "Baseline");
    assert_eq!(step(&r, "M1").shape, Shape::Tables);
    assert_eq!(status(&r, "M1"), Some(Status::CompletedPendingVerification));
    assert_eq!(status(&r, "M2"), Some(Status::InProgress));
    assert_eq!(status(&r, "M3"), Some(Status::NotStarted));
    assert!(
        step(&r, "M1")
            .summary
            .contains(&"Progress: 100%".to_string())
    );
    let l0 = step(&r, "L0");
    assert_eq!(l0.title, "Plan the work");
    assert_eq!(
        l0.owns,
        ["docs/plans/*", "LEDGER.md"],
        "an Owns column holds globs"
    );
    assert_eq!(
        l0.status.as_ref().unwrap().msg.as_deref(),
        Some("direction picked")
    );
    assert_eq!(status(&r, "L1"), None, "BLOCKED has no equivalent");
    assert!(
        r.report
            .warnings
            .iter()
            .any(|w| w.reason.contains("'BLOCKED'"))
    );
    assert_eq!(
        (step(&r, "S10").title.as_str(), status(&r, "S11")),
        ("Setup", Some(Status::InProgress))
    );
    let no_id: Vec<&str> = r
        .report
        .without_id
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(no_id, ["| 29522248 | 🟡 Running |"]);
}

const DATED: &str = "\
# Progress

## Milestones

- [ ] **M4.1: Identity**
- [ ] **M4.2: Projection**

## 2026-01-26

- **Action**: wired the projection.
- [x] **M4.1 & M4.2: identity and projection**

## 2026-01-25 — Kickoff

Set up the repo.
Wrote the plan.

**Completed:**
- CI green
  - on every branch

| Date | Session | Result |
|---|---|---|
| 2026-01-24 | planning | scoped |
";

#[test]
fn dated_logs_give_notes_and_dated_statuses() {
    let r = p(DATED);
    assert_eq!(ids(&r), ["M4.1", "M4.2"]);
    for id in ["M4.1", "M4.2"] {
        let s = step(&r, id);
        assert_eq!(s.history.len(), 1);
        assert_eq!(s.history[0].at.as_deref(), Some("2026-01-26T00:00:00Z"));
        assert!(s.history[0].from_log);
        assert_eq!(
            status(&r, id),
            Some(Status::NotStarted),
            "the checkbox of the list counts"
        );
    }
    let notes: Vec<(&str, &str)> = r
        .notes
        .iter()
        .map(|n| (&n.at[..10], n.text.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            ("2026-01-26", "**Action**: wired the projection."),
            ("2026-01-25", "Kickoff"),
            ("2026-01-25", "Set up the repo.\nWrote the plan."),
            ("2026-01-25", "Completed: CI green\n- on every branch"),
            ("2026-01-24", "Session: planning; Result: scoped"),
        ]
    );
    assert!(r.notes.iter().all(|n| n.step.is_none()));
}

#[test]
fn a_dated_log_alone_defines_the_steps_it_names() {
    let r = p("## 2026-02-01\n\n- [x] **T7: Ship it**\n");
    assert_eq!(ids(&r), ["T7"]);
    assert_eq!(step(&r, "T7").shape, Shape::DatedLogs);
    assert_eq!(step(&r, "T7").title, "Ship it");
    assert_eq!(status(&r, "T7"), Some(Status::CompletedPendingVerification));
}

#[test]
fn merge_conflict_debris_is_reported_never_imported() {
    let text = "\
## Step S01 – One
- **Status:** in_progress

<<<<<<< HEAD
## Step S02 – Two
- **Status:** verified
=======
## Step S02 – Two
- **Status:** drift_detected
>>>>>>> feature
- [x] T9 Also inside nothing
";
    let r = p(text);
    assert_eq!(
        ids(&r),
        ["S01", "T9"],
        "nothing between the markers is imported"
    );
    assert_eq!(r.report.conflicts, [(4, 10)]);
    assert_eq!(status(&r, "S01"), Some(Status::InProgress));
}

#[test]
fn an_unterminated_conflict_swallows_the_rest_and_says_so() {
    let r = p("- [x] T1 One\n<<<<<<< HEAD\n- [x] T2 Two\n");
    assert_eq!(ids(&r), ["T1"]);
    assert_eq!(r.report.conflicts, [(2, 3)]);
}

#[test]
fn control_characters_in_paths_are_reported() {
    let r = p(
        "## Step S01 – One\n- **Status:** verified\n- **Files touched:**\n  - \u{8}ackend/app.py\n  - `ok/file.py`\n",
    );
    assert_eq!(step(&r, "S01").owns, ["ok/file.py"]);
    assert!(
        r.report
            .warnings
            .iter()
            .any(|w| w.line == 4 && w.reason.contains("control characters"))
    );
}

#[test]
fn empty_and_unrelated_files_give_an_empty_result() {
    assert!(p("").steps.is_empty());
    let r = p("Just a paragraph.\n\n- a list\n");
    assert!(r.steps.is_empty());
    assert_eq!(unplaced_lines(&r), [1, 3]);
}

#[test]
fn never_panics_on_truncated_or_reordered_input() {
    let all = [
        SECTIONS,
        TASKS_VARIANT,
        TRACKER,
        CHECKLIST,
        SPEC_KIT,
        CHINESE,
        TABLES,
        DATED,
    ]
    .concat();
    let cuts: Vec<usize> = all.char_indices().map(|(i, _)| i).step_by(11).collect();
    for cut in cuts {
        p(&all[..cut]);
        p(&all[cut..]);
    }
    let lines: Vec<&str> = all.lines().collect();
    for stride in [3, 7, 11] {
        let mut shuffled: Vec<&str> = (0..lines.len())
            .map(|i| lines[(i * stride) % lines.len()])
            .collect();
        p(&shuffled.join("\n"));
        shuffled.reverse();
        p(&shuffled.join("\r\n"));
    }
    for odd in [
        "#", "|", "| |\n|-|", "- [", "- [x]", "**", "**:**", "```", "<!--", "<<<<<<<", "1.",
        "- [x] **", "## Step", "\u{8}",
    ] {
        p(odd);
        p(&format!(
            "## Step S1 – x\n- **Status:** {odd}\n{odd}\n### Verification history\n- [x] {odd}"
        ));
    }
}

#[test]
fn a_paragraph_field_opens_a_list_only_when_it_has_no_value() {
    let r = p(
        "## Step S1 – One\n**Status:** done\n**File:** `a/b.rs`\n\n- [x] wrote it\n\n**Files touched:**\n\n- `c/d.rs`\n",
    );
    let s = step(&r, "S1");
    assert_eq!(s.owns, ["a/b.rs", "c/d.rs"]);
    assert_eq!(s.summary, ["- [x] wrote it"]);
    assert!(r.report.unplaced.is_empty(), "{:?}", r.report.unplaced);
}
