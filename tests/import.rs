//! `git ledger import`: markdown ledgers become events a second import
//! does not repeat; what cannot be placed is reported with line numbers.
mod common;

use common::Repo;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// A repository holding the fixture as `LEDGER.md` (committed) and the
/// files its steps own.
fn repo_with(name: &str) -> Repo {
    let repo = Repo::new();
    repo.write("LEDGER.md", &fixture_text(name));
    repo.write("src/storage.rs", "pub fn put() {}\n");
    repo.write("app/[id]/page.tsx", "export default 1\n");
    repo.write("app/i/page.tsx", "export default 2\n");
    repo.commit_all("Add the ledger and the code");
    repo
}

fn step<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {status}"))
}

fn ids(status: &Value) -> Vec<String> {
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn step_sections_import_with_their_fields_and_original_dates() {
    let repo = repo_with("sections.md");
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(report["events"]["written"], report["events"]["planned"]);
    let status = repo.ledger_json(&["status"]);
    assert_eq!(ids(&status), ["S01", "S02"]);
    assert_eq!(step(&status, "S01")["status"], "verified");
    assert_eq!(step(&status, "S02")["status"], "in_progress");
    assert_eq!(step(&status, "S02")["title"], "Queue (née “jobs”)");

    let card = repo.ledger_json(&["show", "S01"]);
    let def = &card["definition"];
    assert_eq!(
        def["owns"],
        serde_json::json!(["src/storage.rs", "app/\\[id\\]/page.tsx"])
    );
    assert_eq!(def["checks"], serde_json::json!(["test -f src/storage.rs"]));
    assert_eq!(
        def["refs"],
        serde_json::json!(["`docs/BLUEPRINT.md`: storage"])
    );
    assert_eq!(def["edge_cases"], serde_json::json!(["Empty bucket."]));
    assert_eq!(def["todo"], serde_json::json!(["Add metrics."]));
    assert!(
        def["summary"]
            .as_str()
            .unwrap()
            .contains("Added the storage client.")
    );
    let history: Vec<(String, String, String)> = card["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status")
        .map(|e| {
            (
                e["status"].as_str().unwrap().to_string(),
                e["at"].as_str().unwrap().to_string(),
                e["run"].as_str().unwrap_or("").to_string(),
            )
        })
        .rev()
        .collect();
    assert_eq!(
        history,
        [
            (
                "verified".to_string(),
                "2026-01-10T00:00:00Z".to_string(),
                "run-003".to_string()
            ),
            (
                "drift_detected".into(),
                "2026-01-15T00:00:00Z".into(),
                "run-005".into()
            ),
            (
                "verified".into(),
                "2026-01-20T00:00:00Z".into(),
                "run-007".into()
            ),
        ],
        "the verification history keeps its original dates"
    );

    // What plain git sees: every event is an import bound to HEAD.
    let head = repo.head();
    let listed = repo.git(&["notes", "--ref", "ledger", "list"]);
    assert_eq!(listed.lines().count(), 1);
    assert!(listed.contains(&head));
    let events = repo.events();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["source"] == "import"));
    let notes: Vec<&Value> = events.iter().filter(|e| e["kind"] == "note").collect();
    assert_eq!(notes.len(), 1, "the tests-run record of S01");
    assert!(
        notes[0]["msg"]
            .as_str()
            .unwrap()
            .contains("`npm run e2e` – FAILED")
    );
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let repo = repo_with("sections.md");
    repo.ledger_ok(&["import", "LEDGER.md"]);
    let before = repo.note_lines();
    let tip = repo.git(&["rev-parse", "refs/notes/ledger"]);

    let again = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(again["events"]["written"], 0);
    assert_eq!(
        again["events"]["already_present"],
        again["events"]["planned"]
    );
    assert_eq!(repo.note_lines(), before);
    assert_eq!(
        repo.git(&["rev-parse", "refs/notes/ledger"]),
        tip,
        "no notes commit either"
    );

    // Still nothing after HEAD moves on: ids do not depend on the commit.
    repo.write("other.txt", "x\n");
    repo.commit_all("Unrelated work");
    let moved = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(moved["events"]["written"], 0);
    assert_eq!(repo.note_lines().len(), before.len());

    // Nor when the file moves around and changes its line endings.
    let crlf = format!("\n\n{}", fixture_text("sections.md").replace('\n', "\r\n"));
    repo.write("copy.md", &crlf);
    let copy = repo.ledger_json(&["import", "copy.md"]);
    assert_eq!(copy["events"]["written"], 0);
}

#[test]
fn an_edited_file_adds_only_what_changed() {
    let repo = repo_with("sections.md");
    repo.ledger_ok(&["import", "LEDGER.md"]);
    let before = repo.events().len();
    let edited = fixture_text("sections.md").replace(
        "- **Status:** in_progress\n- **Last updated:** 2026-01-21",
        "- **Status:** completed_pending_verification\n- **Last updated:** 2026-01-25",
    );
    repo.write("LEDGER.md", &edited);
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(report["events"]["written"], 1);
    assert_eq!(repo.events().len(), before + 1);
    assert_eq!(repo.status_of("S02"), "completed_pending_verification");
    let newest = &repo.ledger_json(&["log", "S02", "-n", "1"])[0];
    assert_eq!(newest["at"], "2026-01-25T00:00:00Z");
}

#[test]
fn imported_files_are_owned_literally_and_verified_steps_drift() {
    let repo = repo_with("sections.md");
    repo.ledger_ok(&["import", "LEDGER.md"]);
    let owners = repo.ledger_json(&["owners", "app/[id]/page.tsx", "app/i/page.tsx"]);
    let text = owners.to_string();
    assert!(text.contains("S01"), "{text}");
    let by_path: Vec<(String, usize)> = owners
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["path"].as_str().unwrap_or("").to_string(),
                        r["steps"].as_array().map_or(0, Vec::len),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        by_path.contains(&("app/[id]/page.tsx".to_string(), 1))
            && by_path.contains(&("app/i/page.tsx".to_string(), 0)),
        "a bracket in a path is not a glob: {owners}"
    );

    // The imported `verified` recorded the fingerprint at HEAD: a change to
    // an owned file is drift from then on.
    assert_eq!(repo.status_of("S01"), "verified");
    repo.write("src/storage.rs", "pub fn put() { changed() }\n");
    repo.commit_all("Change storage");
    assert_eq!(repo.status_of("S01"), "drift_detected");
}

#[test]
fn checklists_report_duplicates_and_items_without_id() {
    let repo = repo_with("checklist.md");
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    let status = repo.ledger_json(&["status"]);
    assert_eq!(
        ids(&status),
        ["Phase-1", "T001", "T002", "T002a", "M2.1", "M2.1.1", "T003"],
        "the phase heading with a status of its own is a step too; the legend's example is not"
    );
    assert_eq!(
        step(&status, "Phase-1")["status"],
        "completed_pending_verification"
    );
    assert_eq!(
        step(&status, "T002")["title"],
        "Create the build workflow",
        "the first T002 wins"
    );
    assert_eq!(step(&status, "M2.1")["phase"], "Epic 2");
    assert_eq!(step(&status, "M2.1.1")["status"], "in_progress");
    assert_eq!(step(&status, "T001")["phase"], "Phase 1: Setup");
    assert_eq!(step(&status, "T003")["status"], "not_started");
    assert_eq!(
        step(&status, "T002a")["status"],
        "completed_pending_verification"
    );

    assert_eq!(
        report["duplicates"],
        serde_json::json!([{"id": "T002", "line": 21, "first_line": 12}])
    );
    let no_id: Vec<(u64, &str)> = report["without_id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["text"].as_str().unwrap()))
        .collect();
    assert_eq!(no_id, [(17, "- [ ] Forgot the id here")]);
    let unplaced: Vec<u64> = report["unplaced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert!(
        !unplaced.contains(&9),
        "the phase's status line is Phase-1's status: {unplaced:?}"
    );
    let todo = repo.ledger_json(&["show", "T002"])["definition"]["todo"].clone();
    assert_eq!(todo, serde_json::json!(["Write the docs"]));
}

#[test]
fn checked_as_verified_makes_checked_items_verified() {
    let repo = repo_with("checklist.md");
    repo.ledger_ok(&["import", "LEDGER.md", "--checked-as", "verified"]);
    assert_eq!(repo.status_of("T001"), "verified");
    assert_eq!(repo.status_of("T003"), "not_started");
}

#[test]
fn tables_and_dated_logs() {
    let repo = repo_with("tables.md");
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    let status = repo.ledger_json(&["status"]);
    assert_eq!(ids(&status), ["M1", "M2", "M3", "L0", "L1", "S10", "S11"]);
    assert_eq!(step(&status, "M1")["title"], "Baseline");
    assert_eq!(
        step(&status, "M1")["status"],
        "completed_pending_verification"
    );
    // The dated log's `[x] M2 & M3` is later than the table's undated cells.
    assert_eq!(
        step(&status, "M2")["status"],
        "completed_pending_verification"
    );
    assert_eq!(
        step(&status, "M3")["status"],
        "completed_pending_verification"
    );
    assert_eq!(
        step(&status, "L0")["owns"],
        serde_json::json!(["docs/plans/*"])
    );
    assert_eq!(
        step(&status, "L1")["status"],
        "not_started",
        "no status recorded"
    );
    assert_eq!(step(&status, "L1")["since"], Value::Null);
    assert_eq!(step(&status, "S10")["title"], "Setup");
    assert!(
        report["warnings"]
            .to_string()
            .contains("GATED_PENDING_OWNER"),
        "{}",
        report["warnings"]
    );
    assert_eq!(report["without_id"].as_array().unwrap().len(), 0);
    assert!(
        report["unplaced"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"].as_str().unwrap().starts_with("| 29522248")
                && e["reason"].as_str().unwrap().contains("no |---| row")),
        "a pipe line without a header row is reported: {}",
        report["unplaced"]
    );
    assert_eq!(report["shapes"]["tables"]["steps"], 7);
    assert_eq!(report["shapes"]["dated_logs"]["notes"], 1);
    assert_eq!(report["shapes"]["dated_logs"]["dated_statuses"], 2);

    let log = repo.ledger_json(&["log"]);
    let note = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "note")
        .unwrap();
    assert_eq!(note["at"], "2026-01-05T00:00:00Z");
    assert_eq!(note["step"], "");
    assert!(note["msg"].as_str().unwrap().contains("57.8%"));
    let m3: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == "M3" && e["kind"] == "status")
        .collect();
    assert_eq!(
        m3.len(),
        2,
        "the table's undated status, then the dated one (log: newest first)"
    );
    assert_eq!(m3[0]["status"], "completed_pending_verification");
    assert_eq!(m3[0]["at"], "2026-01-05T00:00:00Z");
    assert_eq!(m3[1]["status"], "not_started");
}

#[test]
fn merge_conflict_debris_is_reported_and_never_imported() {
    let repo = repo_with("conflict.md");
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(
        report["conflicts"],
        serde_json::json!([{"from": 7, "to": 15}])
    );
    let status = repo.ledger_json(&["status"]);
    assert_eq!(ids(&status), ["S01", "S03"]);
    assert_eq!(step(&status, "S03")["status"], "not_started");
    let text = repo.ledger_ok(&["import", "--dry-run", "LEDGER.md"]).stdout;
    assert!(
        text.contains("merge-conflict debris, never imported:\n  lines 7–15"),
        "{text}"
    );
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let repo = repo_with("sections.md");
    let report = repo.ledger_json(&["import", "--dry-run", "LEDGER.md"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["events"]["written"], 0);
    assert!(report["events"]["planned"].as_u64().unwrap() > 5);
    assert_eq!(report["shapes"]["sections"]["steps"], 2);
    assert_eq!(report["shapes"]["sections"]["statuses"]["verified"], 1);
    let no_id = &report["without_id"][0];
    assert_eq!(no_id["text"], "## Frontend tidy-up (Ad Hoc)");
    let line = no_id["line"].as_u64().unwrap();
    let unplaced = report["unplaced"].as_array().unwrap();
    assert!(unplaced.iter().any(
        |e| e["line"] == line + 2 && e["reason"].as_str().unwrap().contains("names no step id")
    ));
    assert!(
        unplaced.iter().any(|e| e["line"] == 3),
        "the rule quote at line 3"
    );
    assert!(
        repo.git_run(&["rev-parse", "--verify", "-q", "refs/notes/ledger"])
            .code
            != 0,
        "no ledger ref"
    );

    let text = repo.ledger_ok(&["import", "--dry-run", "LEDGER.md"]).stdout;
    assert!(text.contains("(dry run: nothing written)"), "{text}");
    assert!(text.contains("(a) step sections"), "{text}");
    assert!(text.contains("would be written"), "{text}");
}

#[test]
fn dry_run_works_outside_a_repository() {
    let dir = tempfile::TempDir::new().unwrap();
    let home = tempfile::TempDir::new().unwrap();
    let mut cmd = std::process::Command::new(common::BIN);
    common::isolate(&mut cmd, home.path());
    let out = cmd
        .current_dir(dir.path())
        .args(["--json", "import", "--dry-run"])
        .arg(fixture("checklist.md"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["shapes"]["checklists"]["steps"], 6);
    assert_eq!(report["shapes"]["sections"]["steps"], 1, "Phase-1");
    assert_eq!(report["events"]["commit"], Value::Null);
}

#[test]
fn unreadable_input_is_exit_2_and_writes_nothing() {
    let repo = Repo::new();
    let missing = repo.ledger(&["import", "NOPE.md"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read 'NOPE.md': no such file\nhint: "),
        "{}",
        missing.stderr
    );

    std::fs::create_dir(repo.path().join("docs")).unwrap();
    let dir = repo.ledger(&["import", "docs"]);
    assert_eq!(dir.code, 2);
    assert!(dir.stderr.contains("is a directory"), "{}", dir.stderr);

    std::fs::write(repo.path().join("latin1.md"), b"## Step S01 \xe9t\xe9\n").unwrap();
    let latin = repo.ledger(&["import", "latin1.md"]);
    assert_eq!(latin.code, 2);
    assert!(
        latin.stderr.contains("is not UTF-8 text"),
        "{}",
        latin.stderr
    );
    assert!(
        latin.stderr.contains("hint: convert it first"),
        "{}",
        latin.stderr
    );

    repo.write("ok.md", "- [x] T1 One\n");
    let bad = repo.ledger(&["import", "ok.md", "--checked-as", "finished-ish"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("'finished-ish' is not a status"),
        "{}",
        bad.stderr
    );

    assert!(repo.note_lines().is_empty());
    assert!(!missing.stderr.contains("panicked") && !latin.stderr.contains("panicked"));
}

#[test]
fn a_repository_without_commits_previews_but_does_not_import() {
    let repo = Repo::empty();
    repo.write("TASKS.md", "- [x] T1 One\n");
    let preview = repo.ledger_json(&["import", "--dry-run", "TASKS.md"]);
    assert_eq!(preview["shapes"]["checklists"]["steps"], 1);
    let real = repo.ledger(&["import", "TASKS.md"]);
    assert_eq!(real.code, 2);
    assert!(real.stderr.contains("no commit yet"), "{}", real.stderr);
}

#[test]
fn imported_text_is_redacted_before_it_is_stored() {
    let repo = Repo::new();
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    repo.write(
        "TASKS.md",
        &format!("- [x] T1 Rotate the key {token}\n    - used AKIAABCDEFGHIJKLMNOP once\n"),
    );
    repo.commit_all("Tasks");
    repo.ledger_ok(&["import", "TASKS.md"]);
    let stored = repo.note_lines().join("\n");
    assert!(
        !stored.contains(token) && !stored.contains("AKIAABCDEFGHIJKLMNOP"),
        "{stored}"
    );
    assert!(stored.contains("[REDACTED]"));
    let again = repo.ledger_json(&["import", "TASKS.md"]);
    assert_eq!(
        again["events"]["written"], 0,
        "redacted values still give stable ids"
    );
}

#[test]
fn a_file_with_nothing_to_import_says_so() {
    let repo = Repo::new();
    repo.write("notes.md", "Just some prose.\n");
    let r = repo.ledger_ok(&["import", "notes.md"]);
    assert!(
        r.stdout.contains("nothing that names a step was found"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("line 1  Just some prose."),
        "{}",
        r.stdout
    );
    assert!(repo.note_lines().is_empty());
}

#[test]
fn imported_checks_are_not_trusted_until_trust_or_trust_checks() {
    let repo = repo_with("sections.md");
    let report = repo.ledger_json(&["import", "LEDGER.md"]);
    assert_eq!(report["checks_trusted"], false);
    assert_eq!(report["checks_need_trust"], "git ledger trust S01");
    let card = repo.ledger_json(&["show", "S01"]);
    assert_eq!(
        card["untrusted_checks"],
        serde_json::json!(["test -f src/storage.rs"])
    );
    let refused = repo.ledger(&["verify", "S01"]);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("untrusted"), "{}", refused.stderr);
    let text = repo.ledger_ok(&["import", "LEDGER.md"]).stdout;
    assert!(
        text.contains("not trusted: verify will not run them")
            && text.contains("git ledger trust S01"),
        "{text}"
    );

    // `--trust-checks` vouches for them, as typing them with --check would;
    // a dry run vouches for nothing.
    let other = repo_with("sections.md");
    other.ledger_ok(&["import", "LEDGER.md", "--dry-run", "--trust-checks"]);
    assert!(!other.path().join(".git/git-ledger/trusted-checks").exists());
    let trusted = other.ledger_json(&["import", "LEDGER.md", "--trust-checks"]);
    assert_eq!(trusted["checks_trusted"], true);
    let run = other.ledger(&["verify", "S01"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("PASS"), "{}", run.stdout);
}
