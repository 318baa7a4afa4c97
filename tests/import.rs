//! `git ledger import`: markdown ledgers become events a second import
//! does not repeat; what cannot be placed is reported with line numbers.
mod common;

use common::{Repo, step};
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

// ------------------------------------------------------------------
// Regressions: each test is named after the failure it pins.

/// `import FILE --dry-run --json` of `md` in `repo`.
fn dry(repo: &Repo, md: &str) -> Value {
    repo.write("r.md", md);
    repo.ledger_json(&["import", "r.md", "--dry-run"])
}

fn report_step<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {}", report["steps"]))
}

fn report_ids(report: &Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn multibyte_characters_in_a_tests_line_no_longer_panic() {
    let repo = Repo::new();
    for tail in [
        "to\u{2011}",
        "abcé",
        "测试中文",
        "ab🚀",
        "a – b",
        "tést",
        "x",
    ] {
        let md = format!(
            "# Step 1\n## Tests\n{tail}\n\n## Step S01 – One\n- **Status:** done\n### Tests & commands run\n- {tail}\n### Verification\n{tail}\n"
        );
        repo.write("r.md", &md);
        let r = repo.ledger(&["import", "r.md", "--dry-run"]);
        assert_eq!(r.code, 0, "{tail:?}: {}{}", r.stdout, r.stderr);
    }
    // The tool's own export of a plain check (`make`) reads back.
    repo.ledger_ok(&["add", "S01", "Build", "--check", "make"]);
    repo.ledger_ok(&["mark", "S01", "done"]);
    let md = repo.ledger_ok(&["export", "--format", "md"]).stdout;
    let report = dry(&repo, &md);
    assert_eq!(
        report_step(&report, "S01")["checks"],
        serde_json::json!(["make"])
    );
}

#[test]
fn many_dated_and_undated_history_lines_no_longer_panic() {
    let repo = Repo::new();
    let mut md =
        "## Step S01 – One\n\n- **Status:** verified\n\n### Verification history\n\n".to_string();
    for i in 0..40 {
        if i % 3 == 0 {
            md.push_str(&format!("- [x] Verified by run r{i}\n"));
        } else {
            md.push_str(&format!(
                "- [x] Verified on 2026-01-{:02} by run r{i}\n",
                28 - i % 27
            ));
        }
    }
    let report = dry(&repo, &md);
    assert_eq!(report_step(&report, "S01")["history"], 40);
}

#[test]
fn unknown_checkbox_marks_no_longer_swallow_the_item() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "- [ ] T001 First\n- [+] T002 Second\n- [✓] T003 Third\n- [o] T004 Fourth\n- [*] T005 Fifth\n- [v] T006 Sixth\n- [-] T007 Seventh\n- [ x] T008 Eighth\n",
    );
    assert_eq!(
        report_ids(&report),
        [
            "T001", "T002", "T003", "T004", "T005", "T006", "T007", "T008"
        ]
    );
    let status = |id| report_step(&report, id)["status"].clone();
    assert_eq!(status("T001"), "not_started");
    for done in ["T003", "T006", "T008"] {
        assert_eq!(status(done), "completed_pending_verification", "{done}");
    }
    for unclear in ["T002", "T004", "T005", "T007"] {
        assert_eq!(status(unclear), Value::Null, "{unclear}");
    }
    let warnings = report["warnings"].to_string();
    for mark in ["[+]", "[o]", "[*]", "[-]"] {
        assert!(warnings.contains(mark), "{mark} is reported: {warnings}");
    }
    // A legend gives the marks their meaning.
    let legend = dry(
        &repo,
        "## Legend\n\n- `[+]` done\n- `[-]` in progress\n\n## Tasks\n\n- [+] T002 Second\n- [-] T007 Seventh\n",
    );
    assert_eq!(
        report_step(&legend, "T002")["status"],
        "completed_pending_verification"
    );
    assert_eq!(report_step(&legend, "T007")["status"], "in_progress");
}

#[test]
fn link_and_hash_ids_are_no_longer_ignored() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "- [x] Add thing [md#004](tasks/md#004.md)\n- [ ] Fix the parser (#005)\n",
    );
    assert_eq!(report_ids(&report), ["md#004", "005"]);
    assert_eq!(report_step(&report, "md#004")["title"], "Add thing");
    assert_eq!(
        report_step(&report, "md#004")["status"],
        "completed_pending_verification"
    );
    assert!(report["without_id"].as_array().unwrap().is_empty());
}

#[test]
fn bold_task_numbers_are_no_longer_ignored() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "## Tasks\n\n- [x] **0.1** Create base module\n- [ ] **0.2** Wire it\n",
    );
    assert_eq!(report_ids(&report), ["0.1", "0.2"]);
    assert_eq!(report_step(&report, "0.1")["title"], "Create base module");
}

#[test]
fn a_phase_label_no_longer_overrides_the_items_id() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "- [ ] Phase 1: Implement subtasks [md#238](x.md)\n- [ ] Phase 2: Test them [md#239](y.md)\n",
    );
    assert_eq!(
        report_ids(&report),
        ["md#238", "md#239"],
        "no invented 1, 2"
    );
    assert_eq!(report_step(&report, "md#238")["phase"], "Phase 1");
    // A plan word keeps its word: Epic 7 and Phase 7 never collide.
    let words = dry(
        &repo,
        "- [x] Epic 7: Forecasting\n- [ ] Phase 7: Rollout\n- [x] Session 8a: Cleanup\n- [ ] Week 1: Kickoff\n- [ ] Day 2: Review\n- [ ] Sprint 2: Polish\n",
    );
    assert_eq!(
        report_ids(&words),
        [
            "Epic-7",
            "Phase-7",
            "Session-8a",
            "Week-1",
            "Day-2",
            "Sprint-2"
        ]
    );
}

#[test]
fn a_leading_emoji_no_longer_hides_the_heading_id() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "## 🚨 Phase 0: Setup\n\n**Status:** done\n\n## Phase 1: Build\n\n**Status:** wip\n",
    );
    assert_eq!(report_ids(&report), ["Phase-0", "Phase-1"]);
    assert_eq!(report_step(&report, "Phase-0")["title"], "Setup");
    assert_eq!(
        report_step(&report, "Phase-0")["status"],
        "completed_pending_verification"
    );
}

#[test]
fn a_status_history_table_under_a_heading_id_is_no_longer_dropped() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "## G0 — Skeleton\n\n| 时间 | 状态 | 说明 |\n|---|---|---|\n| 2026-01-02 | 进行中 | 开始 |\n| 2026-01-05 | completed | 完成 |\n",
    );
    assert_eq!(report_ids(&report), ["G0"]);
    assert_eq!(
        report_step(&report, "G0")["status"],
        "completed_pending_verification"
    );
    assert_eq!(report_step(&report, "G0")["history"], 2);
}

#[test]
fn a_status_in_a_heading_is_no_longer_lost_or_glued_into_phases() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "## Phase 3.1: Setup ✅ COMPLETE\n\n- [x] T001: Structure\n- [ ] T002: Docs\n",
    );
    assert_eq!(report_ids(&report), ["Phase-3.1", "T001", "T002"]);
    assert_eq!(
        report_step(&report, "Phase-3.1")["status"],
        "completed_pending_verification"
    );
    assert_eq!(report_step(&report, "Phase-3.1")["title"], "Setup");
    assert_eq!(report_step(&report, "T001")["phase"], "Phase 3.1: Setup");
}

#[test]
fn template_placeholders_no_longer_become_files_checks_or_dates() {
    let repo = Repo::new();
    let report = dry(
        &repo,
        "## Step S01 – _Title_\n\n- **Status:** not_started\n- **Last updated:** _YYYY-MM-DD_\n- **Files touched:**\n  - _e.g. `.github/workflows/ci.yml`_\n  - _…_\n\n### Tests & commands run\n\n- `mypy` (if used) – PASS/FAIL\n- `pytest` – PASS/FAIL\n\n### Observable invariants\n\n- _e.g. `make test` exits 0_\n",
    );
    let s = report_step(&report, "S01");
    assert_eq!(s["owns"], serde_json::json!([]));
    assert_eq!(s["checks"], serde_json::json!([]));
    assert!(
        report["warnings"].as_array().unwrap().is_empty(),
        "{}",
        report["warnings"]
    );
}

#[test]
fn import_no_longer_takes_over_an_existing_or_retired_step() {
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S01", "Storage", "--owns", "src/storage/**"]);
    repo.ledger_ok(&["add", "S02", "Old queue"]);
    repo.ledger_ok(&["retire", "S02"]);
    repo.write(
        "TASKS.md",
        "- [x] S01: Login page\n- [x] S02: New queue\n- [ ] S03: Search\n",
    );
    let report = repo.ledger_json(&["import", "TASKS.md"]);
    let existing: Vec<(&str, bool)> = report["existing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["retired"].as_bool().unwrap()))
        .collect();
    assert_eq!(existing, [("S01", false), ("S02", true)]);
    let card = repo.ledger_json(&["show", "S01"]);
    assert_eq!(card["title"], "Storage", "untouched");
    assert_eq!(card["owns"], serde_json::json!(["src/storage/**"]));
    assert_eq!(repo.status_of("S01"), "not_started");
    assert_eq!(repo.status_of("S03"), "not_started");
    let text = repo.ledger_ok(&["import", "TASKS.md", "--dry-run"]).stdout;
    assert!(
        text.contains("--update lets the file update them"),
        "{text}"
    );

    // --update is the explicit way.
    let updated = repo.ledger_json(&["import", "TASKS.md", "--update"]);
    assert_eq!(updated["existing"][0]["updated"], true);
    assert_eq!(repo.ledger_json(&["show", "S01"])["title"], "Login page");
    assert_eq!(repo.status_of("S01"), "completed_pending_verification");
}

#[test]
fn order_and_structure_regressions() {
    let repo = Repo::new();
    // A dated [x] S13 no longer loses to an undated [ ] S13.
    let r = dry(
        &repo,
        "## Tasks\n\n- [ ] S13 Search\n\n## 2026-01-20\n\n- [x] S13 Search shipped\n",
    );
    assert_eq!(
        report_step(&r, "S13")["status"],
        "completed_pending_verification"
    );
    // Phase headings level with the steps set their phase.
    let r = dry(
        &repo,
        "## Phase 1\n\n## Step S01 – One\n- **Status:** done\n\n## Step S02 – Two\n- **Status:** done\n\n## Phase 2\n\n## Step S03 – Three\n- **Status:** todo\n",
    );
    assert_eq!(report_step(&r, "S02")["phase"], "Phase 1");
    assert_eq!(report_step(&r, "S03")["phase"], "Phase 2");
    // Steps (and so phases) come in document order, not first-seen order.
    let r = dry(
        &repo,
        "## 2026-01-20\n\n- [x] T002 Two\n\n## Phase 1\n\n- [x] T001 One\n\n## Phase 2\n\n- [ ] T002 Two\n",
    );
    assert_eq!(report_ids(&r), ["T001", "T002"]);
    assert_eq!(report_step(&r, "T002")["phase"], "Phase 2");
    // `__init__.py` keeps its underscores; `<!--` in a code span hides nothing.
    let r = dry(
        &repo,
        "## Step S01 – Pkg\n- **Status:** done\n- **Files touched:**\n  - src/pkg/__init__.py\n\nSee `<!--` here.\n\n## Step S02 – After\n- **Status:** done\n",
    );
    assert_eq!(
        report_step(&r, "S01")["owns"],
        serde_json::json!(["src/pkg/__init__.py"])
    );
    assert_eq!(report_ids(&r), ["S01", "S02"]);
    // Setext headings and indented code are understood.
    let r = dry(
        &repo,
        "Step S01 – Setext\n=================\n\n- **Status:** done\n\n    - [x] T900 inside code\n\nStep S02 – Two\n--------------\n\n- **Status:** wip\n",
    );
    assert_eq!(report_ids(&r), ["S01", "S02"]);
    assert_eq!(report_step(&r, "S02")["status"], "in_progress");
}

#[test]
fn several_status_changes_in_one_minute_survive_the_md_round_trip() {
    let repo = Repo::new();
    repo.write(
        "LEDGER.md",
        "## Step S01 – One\n\n- **Status:** verified\n\n### Verification history\n\n- [x] Verified on 2026-01-10 10:00:10 by run r1\n- [x] Drift detected on 2026-01-10 10:00:30 by run r1\n- [x] Verified on 2026-01-10 10:00:50 by run r1\n",
    );
    repo.commit_all("Ledger");
    repo.ledger_ok(&["import", "LEDGER.md"]);
    assert_eq!(repo.status_of("S01"), "verified");
    let md = repo.ledger_ok(&["export", "--format", "md"]).stdout;
    let copy = Repo::new();
    copy.write("LEDGER.md", &md);
    copy.commit_all("Exported ledger");
    copy.ledger_ok(&["import", "LEDGER.md"]);
    assert_eq!(copy.status_of("S01"), "verified", "exported:\n{md}");
    let statuses = copy
        .ledger_json(&["log", "S01"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status")
        .count();
    assert_eq!(statuses, 3, "three changes in one minute stay three events");
}

#[test]
fn a_fifo_is_refused_instead_of_blocking_forever() {
    let repo = Repo::new();
    let fifo = repo.path().join("ledger.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available here");
        return;
    }
    let r = repo.ledger(&["import", "ledger.md"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("named pipe (FIFO)"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    assert!(repo.note_lines().is_empty());
}

#[test]
fn an_imported_check_never_runs_before_it_is_trusted() {
    let repo = Repo::new();
    let pwned = repo.home.path().join("PWNED");
    repo.write(
        "TASKS.md",
        &format!(
            "## Step S01 – Setup\n\n- **Status:** completed_pending_verification\n\n### Observable invariants\n\n- `touch {}` exits 0\n",
            pwned.display()
        ),
    );
    repo.commit_all("Tasks");
    let report = repo.ledger_json(&["import", "TASKS.md"]);
    assert_eq!(report["checks_need_trust"], "git ledger trust S01");
    for args in [&["verify", "S01"][..], &["verify", "--pending"][..]] {
        let r = repo.ledger(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("git ledger trust S01"), "{}", r.stderr);
        assert!(
            !pwned.exists(),
            "{args:?} ran an untrusted imported command"
        );
    }
    assert_eq!(repo.status_of("S01"), "completed_pending_verification");
}

#[test]
fn a_check_holding_a_secret_is_reported_and_not_stored() {
    let repo = Repo::new();
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    repo.write(
        "TASKS.md",
        &format!("## Step S01 – Deploy\n\n- **Status:** done\n\n### Observable invariants\n\n- `curl -H 'Authorization: token {token}' https://api.example.com` exits 0\n- `make deploy-check` exits 0\n"),
    );
    repo.commit_all("Tasks");
    let report = repo.ledger_json(&["import", "TASKS.md"]);
    assert_eq!(report["secret_checks"][0]["step"], "S01");
    assert_eq!(report["secret_checks"][0]["kind"], "a GitHub token");
    let stored = repo.note_lines().join("\n");
    assert!(!stored.contains(token), "{stored}");
    assert_eq!(
        repo.ledger_json(&["show", "S01"])["checks"],
        serde_json::json!(["make deploy-check"]),
        "the step comes in without that check"
    );
    let text = repo.ledger_ok(&["import", "TASKS.md", "--dry-run"]).stdout;
    assert!(
        text.contains("holds a GitHub token") && text.contains("environment variable"),
        "{text}"
    );
}

#[test]
fn a_panic_while_reading_is_exit_3_in_one_line_and_writes_nothing() {
    let repo = Repo::new();
    repo.write("TASKS.md", "- [x] T1 One\n");
    // RUST_BACKTRACE=1 asks for the trace on purpose; without it, one line.
    let r = repo.ledger_env(
        &[
            ("GIT_LEDGER_TEST_IMPORT_PANIC", "1"),
            ("RUST_BACKTRACE", "0"),
        ],
        &["import", "TASKS.md"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: internal error"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("while reading TASKS.md"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked at"), "{}", r.stderr);
    assert!(repo.note_lines().is_empty(), "nothing was written");
}

#[test]
fn ids_auto_names_items_by_place_and_keeps_them_after_edits() {
    let repo = Repo::new();
    repo.write(
        "TODO.md",
        "# Plan\n\n## 1. Setup\n\nReference: PLAN.MD lines 191-281\n\n- [x] Create repo\n- [ ] Add CI\n\n## 2. Build\n\n- [ ] Compile \u{201a}\u{fa}\u{d6}\n",
    );
    repo.commit_all("Plan");
    let plain = repo.ledger_json(&["import", "TODO.md", "--dry-run"]);
    assert!(
        plain["steps"].as_array().unwrap().is_empty(),
        "no ids guessed without --ids auto"
    );
    assert_eq!(plain["without_id"].as_array().unwrap().len(), 3);
    repo.ledger_ok(&["import", "TODO.md", "--ids", "auto", "--id-prefix", "P"]);
    let status = repo.ledger_json(&["status"]);
    assert_eq!(ids(&status), ["P1.1", "P1.2", "P2.1"]);
    assert_eq!(
        step(&status, "P1.1")["status"],
        "completed_pending_verification"
    );
    assert_eq!(
        step(&status, "P2.1")["title"],
        "Compile ✅",
        "mojibake repaired"
    );
    assert_eq!(
        repo.ledger_json(&["show", "P1.2"])["refs"],
        serde_json::json!(["PLAN.MD lines 191-281"])
    );
    // An item inserted above keeps the others' ids; nothing is taken over.
    repo.write(
        "TODO.md",
        "# Plan\n\n## 1. Setup\n\nReference: PLAN.MD lines 191-281\n\n- [ ] Write the plan\n- [x] Create repo\n- [x] Add CI\n\n## 2. Build\n\n- [ ] Compile \u{201a}\u{fa}\u{d6}\n",
    );
    let again = repo.ledger_json(&["import", "TODO.md", "--ids", "auto", "--id-prefix", "P"]);
    assert!(
        again["existing"].as_array().unwrap().is_empty(),
        "{}",
        again["existing"]
    );
    let status = repo.ledger_json(&["status"]);
    assert_eq!(ids(&status), ["P1.1", "P1.2", "P2.1", "P1.1a"]);
    assert_eq!(step(&status, "P1.2")["title"], "Add CI");
    assert_eq!(
        step(&status, "P1.2")["status"],
        "completed_pending_verification"
    );
    assert_eq!(step(&status, "P1.1a")["title"], "Write the plan");
}

#[test]
fn a_section_of_file_paths_becomes_one_step_owning_them() {
    let repo = Repo::new();
    repo.write("src/a.ts", "1\n");
    repo.write("src/b.ts", "2\n");
    repo.commit_all("Code");
    repo.write(
        "MIGRATION.md",
        "## Phase 1: Utilities\n\n- [x] `src/a.ts` → use the shared module\n- [ ] `src/b.ts` → merge\n\n## Phase 2: Cleanup\n\n- [x] `src/c.ts`\n",
    );
    let r = repo.ledger_json(&["import", "MIGRATION.md", "--ids", "auto"]);
    assert_eq!(report_ids(&r), ["1", "2"]);
    assert_eq!(
        report_step(&r, "1")["owns"],
        serde_json::json!(["src/a.ts", "src/b.ts"])
    );
    assert_eq!(report_step(&r, "1")["status"], "in_progress", "some ticked");
    assert_eq!(
        report_step(&r, "2")["status"],
        "completed_pending_verification",
        "all ticked"
    );
    assert_eq!(
        repo.ledger_json(&["owners", "src/b.ts"])[0]["steps"][0]["id"],
        "1"
    );
}

#[test]
fn status_emoji_bullets_hash_ids_and_other_languages_are_read() {
    let repo = Repo::new();
    let r = dry(
        &repo,
        "## Work\n\n- ✅ T001 Setup\n- T002 Build — DONE\n- 🔄 **T003**: Ship\n- T004 No status\n- [x] #123 Fix login\n\n| Task | Estado |\n|---|---|\n| T006 | Completado |\n| T007 | En progreso |\n",
    );
    assert_eq!(
        report_ids(&r),
        ["T001", "T002", "T003", "123", "T006", "T007"]
    );
    let status = |id| report_step(&r, id)["status"].clone();
    assert_eq!(status("T001"), "completed_pending_verification");
    assert_eq!(status("T002"), "completed_pending_verification");
    assert_eq!(status("T003"), "in_progress");
    assert_eq!(status("T007"), "in_progress");
    assert_eq!(
        r["unplaced"][0]["text"], "- T004 No status",
        "a bullet without status is not guessed"
    );
}

#[test]
fn a_status_after_the_title_struck_items_and_front_matter() {
    let repo = Repo::new();
    let r = dry(
        &repo,
        "---\ntitle: Plan\n---\n\n# Plan\n\n- [ ] T001 Setup (in progress)\n- [ ] T002 Wire 🚧\n- [x] ~~T003 Dropped~~\n- [x] T004 Ship it\n",
    );
    assert_eq!(report_ids(&r), ["T001", "T002", "T003", "T004"]);
    assert_eq!(report_step(&r, "T001")["status"], "in_progress");
    assert_eq!(report_step(&r, "T001")["title"], "Setup");
    assert_eq!(report_step(&r, "T002")["status"], "in_progress");
    assert_eq!(
        report_step(&r, "T003")["status"],
        Value::Null,
        "struck through: cancelled"
    );
    assert!(r["warnings"].to_string().contains("struck through"));
    assert!(
        r["unplaced"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("front matter")
    );
}
