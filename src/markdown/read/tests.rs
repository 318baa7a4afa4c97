//! Unit tests of the reader, on strings.

use super::*;

fn read(text: &str) -> Parsed {
    parse(text, &Options::default())
}

fn ids(p: &Parsed) -> Vec<&str> {
    p.steps.iter().map(|s| s.id.as_str()).collect()
}

fn step<'a>(p: &'a Parsed, id: &str) -> &'a ParsedStep {
    p.steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_status_field_makes_a_heading_status_part_of_the_title() {
    let p = read("## Step S01 – Ship ✅ support\n\n- **Status:** in_progress\n");
    assert_eq!(step(&p, "S01").title, "Ship ✅ support");
    assert_eq!(step(&p, "S01").final_status(), Some(Status::InProgress));
}

#[test]
fn lone_names_are_not_ids_but_families_are() {
    let p = read("- [x] GPT-4 model deployed\n- [x] E2E suite written\n- [x] T1 One\n");
    assert_eq!(ids(&p), ["T1"]);
    assert_eq!(p.report.without_id.len(), 2);
    let p = read("- [x] T001 Create\n- [ ] T002 Wire\n");
    assert_eq!(ids(&p), ["T001", "T002"]);
}

#[test]
fn legend_sections_explain_and_are_not_reported() {
    let p = read(
        "## Legend\n\n- `not_started` – not touched.\n- [~] Partial\n- 🔴 Blocked\n- Something else\n\n## Work\n\n- [~] T1: half\n- [x] T2: done 🔴\n",
    );
    assert_eq!(step(&p, "T1").final_status(), Some(Status::InProgress));
    let reported: Vec<usize> = p.report.unplaced.iter().map(|e| e.line).collect();
    assert_eq!(reported, [6], "only the line that explains nothing");
}

#[test]
fn a_table_of_statuses_without_dates_is_not_a_status_history() {
    let p = read("## Features\n\n| Feature | Status |\n|---|---|\n| Tags | ✅ |\n");
    assert!(p.steps.is_empty());
    assert_eq!(p.report.without_id.len(), 1, "the row, not the section");
}

#[test]
fn checks_come_from_invariants_tests_and_verification_blocks() {
    let p = read(
        "## Step S01 – One\n\n- **Status:** done\n\n### Observable invariants\n\n- `make test` exits 0\n- Works offline.\n\n### Tests & commands run\n\n- `cargo test` – PASSED\n- `npm run e2e` – FAILED\n\n### Verification\n\n```bash\ngo test ./...\ngrep -n TODO src\n# Should return empty\n```\n",
    );
    assert_eq!(
        step(&p, "S01").checks,
        ["make test", "cargo test", "go test ./..."]
    );
    assert_eq!(step(&p, "S01").tests_run.len(), 2);
    assert_eq!(p.report.warnings.len(), 1, "the grep whose output matters");
}

#[test]
fn a_dated_log_names_a_step_that_is_defined_later() {
    let p =
        read("## 2026-01-02\n\n- [x] **M1.1: Writer**\n\n## Epic 1\n\n- [ ] **M1.1: Writer**\n");
    let s = step(&p, "M1.1");
    assert_eq!(s.shape, Shape::Checklists);
    assert_eq!(s.phase.as_deref(), Some("Epic 1"));
    assert_eq!(s.history.len(), 1);
    assert_eq!(s.final_status(), Some(Status::CompletedPendingVerification));
    assert!(p.report.duplicates.is_empty());
}
