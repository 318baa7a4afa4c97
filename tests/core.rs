//! The core commands driven as a user drives them, checked against what
//! the tool prints and what plain git sees.

mod common;
use common::Repo;

fn storage_repo() -> Repo {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.write("src/search/index.rs", "pub fn index() {}\n");
    r.commit_all("Add storage and search");
    // Without hooks: these tests see drift live, as after a commit that bypassed them.
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&[
        "add",
        "S04",
        "Object storage",
        "--owns",
        "src/storage/**",
        "--check",
        "cargo test storage",
        "--ref",
        "docs/BLUEPRINT.md#storage",
        "--phase",
        "Phase 2",
    ]);
    r
}

#[test]
fn init_sets_notes_config_once_and_says_so() {
    let r = Repo::new();
    let first = r.ledger_ok(&["init"]);
    assert!(
        first.stdout.contains("notes.displayRef"),
        "{}",
        first.stdout
    );
    assert_eq!(
        r.git(&["config", "--get-all", "notes.displayRef"]).trim(),
        "refs/notes/ledger-log"
    );
    assert_eq!(
        r.git(&["config", "--get-all", "notes.rewriteRef"]).trim(),
        "refs/notes/ledger\nrefs/notes/ledger-log"
    );
    assert_eq!(
        r.git(&["config", "notes.ledger.mergeStrategy"]).trim(),
        "cat_sort_uniq"
    );
    let second = r.ledger_ok(&["init"]);
    assert!(
        second.stdout.contains("nothing changed"),
        "{}",
        second.stdout
    );
    assert_eq!(
        r.git(&["config", "--get-all", "notes.displayRef"])
            .lines()
            .count(),
        1
    );
    assert_eq!(
        r.ledger_json(&["init"])["changed"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn add_writes_one_define_event_in_the_note_on_head() {
    let r = storage_repo();
    let head = r.head();
    let note = r.git(&["notes", "--ref", "ledger", "show", &head]);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines.len(), 1, "{note}");
    let e: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(e["v"], 1);
    assert_eq!(e["kind"], "define");
    assert_eq!(e["step"], "S04");
    assert_eq!(e["seq"], 1);
    assert_eq!(e["source"], "cli");
    assert_eq!(e["by"], "Ada Lovelace <ada@example.com>");
    assert_eq!(e["owns"][0], "src/storage/**");
    assert_eq!(e["checks"][0], "cargo test storage");
    assert_eq!(e["refs"][0], "docs/BLUEPRINT.md#storage");
    assert_eq!(e["phase"], "Phase 2");
    assert_eq!(e["id"].as_str().unwrap().len(), 32);
    // Keys in the order SPEC 2.2 gives.
    let keys: Vec<&str> = [
        "\"v\"",
        "\"id\"",
        "\"seq\"",
        "\"at\"",
        "\"by\"",
        "\"step\"",
        "\"kind\"",
        "\"source\"",
    ]
    .to_vec();
    let positions: Vec<usize> = keys.iter().map(|k| lines[0].find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", lines[0]);
}

#[test]
fn plain_git_log_shows_the_events_after_init() {
    let r = storage_repo();
    r.ledger_ok(&["mark", "S04", "in_progress", "-m", "started on spaces"]);
    let with_ref = r.git(&["log", "--notes=ledger", "-1"]);
    assert!(
        with_ref.contains("\"status\":\"in_progress\""),
        "{with_ref}"
    );
    let plain = r.git(&["log", "-1"]);
    assert!(
        plain.contains("Notes (ledger-log):")
            && plain.contains("S04 → in_progress · Ada Lovelace · \"started on spaces\""),
        "{plain}"
    );
}

#[test]
fn mark_moves_status_and_verified_records_the_fingerprint() {
    let r = storage_repo();
    r.ledger_ok(&["mark", "S04", "in_progress"]);
    assert_eq!(r.status_of("S04"), "in_progress");
    r.ledger_ok(&["mark", "S04", "done"]);
    assert_eq!(r.status_of("S04"), "completed_pending_verification");
    let out = r.ledger_ok(&[
        "mark",
        "S04",
        "verified",
        "-m",
        "storage tests pass",
        "--run",
        "run-003",
    ]);
    assert!(out.stdout.contains("verified"), "{}", out.stdout);
    let last = r
        .events()
        .into_iter()
        .max_by_key(|e| e["seq"].as_u64())
        .unwrap();
    assert_eq!(last["status"], "verified");
    assert_eq!(last["run"], "run-003");
    assert_eq!(last["msg"], "storage tests pass");
    assert_eq!(last["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(
        last["tree"].as_str().unwrap(),
        r.git(&["rev-parse", "HEAD^{tree}"]).trim()
    );
    assert_eq!(last["seq"], 4);
    let status = r.ledger_json(&["status"]);
    let s = &status["steps"][0];
    assert_eq!(s["status"], "verified");
    assert_eq!(s["since"]["run"], "run-003");
    assert_eq!(s["verified"]["fingerprint"], last["fingerprint"]);
}

#[test]
fn the_fingerprint_is_the_documented_sha256() {
    let r = storage_repo();
    r.write("src/storage/b.rs", "b\n");
    r.write("src/storage/nested/c.rs", "c\n");
    r.commit_all("more storage");
    r.ledger_ok(&["mark", "S04", "verified"]);
    let fp = r
        .events()
        .into_iter()
        .find(|e| e["status"] == "verified")
        .unwrap()["fingerprint"]
        .clone();
    // Recompute from plain git: sorted "<mode> <oid> <path>\n" lines of the owned files.
    let ls = r.git(&["ls-tree", "-r", "HEAD", "--", "src/storage"]);
    let mut lines: Vec<String> = ls
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let parts: Vec<&str> = meta.split_whitespace().collect();
            format!("{} {} {}\n", parts[0], parts[2], path)
        })
        .collect();
    lines.sort();
    let out =
        String::from_utf8(r.pipe("sha256sum", &[], lines.concat().as_bytes()).stdout).unwrap();
    assert_eq!(fp.as_str().unwrap(), out.split_whitespace().next().unwrap());
}

#[test]
fn mark_with_commit_and_run_from_environment() {
    let r = storage_repo();
    let first = r.head();
    r.write("notes.txt", "x\n");
    r.commit_all("later");
    let out = r
        .cmd(common::BIN)
        .args(["mark", "S04", "wip", "--commit", "HEAD~1"])
        .env("GIT_LEDGER_RUN", "run-env-7")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let note = r.git(&["notes", "--ref", "ledger", "show", &first]);
    assert!(
        note.contains("\"run\":\"run-env-7\"") && note.contains("in_progress"),
        "{note}"
    );
    assert_eq!(
        r.ledger_json(&["status"])["steps"][0]["since"]["commit"],
        first.as_str()
    );
}

#[test]
fn status_lists_steps_in_definition_order_with_a_footer_per_phase() {
    let r = storage_repo();
    r.ledger_ok(&["add", "S01", "Setup", "--phase", "Phase 1"]);
    r.ledger_ok(&[
        "add",
        "S05",
        "Search",
        "--owns",
        "src/search/**",
        "--phase",
        "Phase 2",
    ]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    r.ledger_ok(&["mark", "S01", "verified"]);
    let out = r.ledger_ok(&["status", "--color", "never"]).stdout;
    let order: Vec<usize> = ["S04 ", "S01 ", "S05 "]
        .iter()
        .map(|id| out.find(id).unwrap())
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{out}");
    assert!(out.contains("Phase 2: 1/2 verified"), "{out}");
    assert!(out.contains("Phase 1: 1/1 verified"), "{out}");
    assert!(out.contains("Total: 2/3 verified"), "{out}");
    let json = r.ledger_json(&["status"]);
    assert_eq!(json["phases"][0]["phase"], "Phase 2");
    assert_eq!(json["phases"][0]["total"], 2);
    assert_eq!(json["total"]["verified"], 2);
    let only = r.ledger_json(&["status", "--phase", "Phase 1"]);
    assert_eq!(only["steps"].as_array().unwrap().len(), 1);
}

#[test]
fn a_commit_changing_owned_files_shows_live_drift() {
    let r = storage_repo();
    r.ledger_ok(&["mark", "S04", "verified"]);
    r.append("src/search/index.rs", "// unrelated\n");
    r.commit_all("search only");
    assert_eq!(r.status_of("S04"), "verified");
    r.append("src/storage/spaces.rs", "// changed\n");
    r.commit_all("touch storage");
    let json = r.ledger_json(&["status"]);
    let s = &json["steps"][0];
    assert_eq!(s["status"], "drift_detected");
    assert_eq!(s["recorded_status"], "verified");
    assert_eq!(s["live_drift"], true);
    assert_eq!(s["drift_files"][0], "src/storage/spaces.rs");
    let text = r.ledger_ok(&["status", "--color", "never"]).stdout;
    assert!(
        text.contains("drift_detected*") && text.contains("src/storage/spaces.rs changed"),
        "{text}"
    );
    // Putting the content back is not drift: fingerprints are content-addressed.
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.commit_all("revert");
    assert_eq!(r.status_of("S04"), "verified");
}

#[test]
fn edit_and_retire_are_new_events_and_history_stays() {
    let r = storage_repo();
    r.ledger_ok(&[
        "edit",
        "S04",
        "--title",
        "Object storage v2",
        "--no-checks",
        "--owns",
        "src/storage/*.rs",
    ]);
    let show = r.ledger_json(&["show", "S04"]);
    assert_eq!(show["title"], "Object storage v2");
    assert_eq!(show["checks"].as_array().unwrap().len(), 0);
    assert_eq!(show["owns"][0], "src/storage/*.rs");
    assert_eq!(
        show["refs"][0], "docs/BLUEPRINT.md#storage",
        "absent fields keep their value"
    );
    r.ledger_ok(&["retire", "S04", "-m", "merged into S05"]);
    assert_eq!(
        r.ledger_json(&["status"])["steps"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        r.ledger_json(&["status", "--all"])["steps"][0]["retired"],
        true
    );
    assert_eq!(r.events().len(), 3, "nothing is edited in place");
    let err = r.ledger(&["mark", "S04", "wip"]);
    assert_eq!(err.code, 2);
    assert!(err.stderr.contains("retired"), "{}", err.stderr);
    r.ledger_ok(&["edit", "S04", "--title", "Back again"]);
    assert_eq!(r.status_of("S04"), "not_started");
}

#[test]
fn show_log_owners_and_next() {
    let r = storage_repo();
    r.ledger_ok(&[
        "add",
        "S05",
        "Search",
        "--owns",
        "src/search/**",
        "--owns",
        "*.md",
    ]);
    r.ledger_ok(&["add", "S06", "Later"]);
    r.ledger_ok(&["add", "S07", "Even later"]);
    r.ledger_ok(&["mark", "S04", "verified", "-m", "checked by hand"]);
    r.ledger_ok(&["mark", "S05", "done"]);

    let show = r.ledger_ok(&["show", "S04", "--color", "never"]).stdout;
    assert!(
        show.contains("Object storage")
            && show.contains("src/storage/**")
            && show.contains("cargo test storage"),
        "{show}"
    );
    assert!(
        show.contains("Verification history") && show.contains("checked by hand"),
        "{show}"
    );
    let card = r.ledger_json(&["show", "S04"]);
    assert_eq!(card["verifications"].as_array().unwrap().len(), 1);
    assert_eq!(card["events"].as_array().unwrap().len(), 2);

    let log = r.ledger_json(&["log"]);
    let seqs: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    assert_eq!(log[0]["commit"], r.head().as_str());
    let s05 = r.ledger_json(&["log", "S05"]);
    assert!(s05.as_array().unwrap().iter().all(|e| e["step"] == "S05"));
    let text = r.ledger_ok(&["log", "--color", "never"]).stdout;
    assert!(text.starts_with("20"), "grouped under a date: {text}");
    assert!(
        text.contains("→ verified") && text.contains("defined \"Search\""),
        "{text}"
    );
    assert_eq!(r.ledger_ok(&["log", "--oneline"]).stdout.lines().count(), 6);
    assert_eq!(
        r.ledger_json(&["log", "--since", "2999-01-01"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let owners = r.ledger_json(&["owners", "src/storage/spaces.rs", "README.md", "Cargo.toml"]);
    assert_eq!(owners[0]["steps"][0]["id"], "S04");
    assert_eq!(owners[0]["steps"][0]["status"], "verified");
    assert_eq!(
        owners[1]["steps"][0]["id"], "S05",
        "*.md matches at any depth"
    );
    assert_eq!(owners[2]["steps"].as_array().unwrap().len(), 0);
    let sub = r
        .cmd(common::BIN)
        .args(["--json", "owners", "spaces.rs"])
        .current_dir(r.path().join("src/storage"))
        .output()
        .unwrap();
    let sub: serde_json::Value = serde_json::from_slice(&sub.stdout).unwrap();
    assert_eq!(
        sub[0]["path"], "src/storage/spaces.rs",
        "paths are relative to the current directory"
    );

    r.append("src/storage/spaces.rs", "// drift\n");
    r.commit_all("drift");
    let next = r.ledger_json(&["next"]);
    let queue: Vec<(&str, &str)> = next["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        queue,
        [("S04", "fix"), ("S05", "re-verify"), ("S06", "start")]
    );
    assert_eq!(next["recommended"]["id"], "S04");
    assert!(
        next["queue"][0]["command"]
            .as_str()
            .unwrap()
            .starts_with("git diff "),
        "drift: the diff since the verification: {next}"
    );
    assert_eq!(
        next["queue"][0]["then"], "git ledger verify S04",
        "S04 has a check: {next}"
    );
    assert!(
        next["queue"][1]["command"]
            .as_str()
            .unwrap()
            .starts_with("git ledger mark S05 verified"),
        "S05 has none: {next}"
    );
    let text = r.ledger_ok(&["next"]).stdout;
    assert!(text.starts_with("Next: fix drift in S04"), "{text}");
}

#[test]
fn quiet_and_color_options() {
    let r = storage_repo();
    assert_eq!(r.ledger_ok(&["-q", "mark", "S04", "wip"]).stdout, "");
    let colored = r.ledger_ok(&["status", "--color", "always"]).stdout;
    assert!(colored.contains("\x1b["), "{colored}");
    let plain = r.ledger_ok(&["status"]).stdout;
    assert!(!plain.contains("\x1b["), "not a terminal: no colour");
    let r2 = r
        .cmd(common::BIN)
        .args(["-C", r.path().to_str().unwrap(), "status"])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&r2.stdout).contains("S04"));
}

#[test]
fn doctor_reports_set_up_problems_with_their_fix() {
    let r = Repo::new();
    let before = r.ledger(&["doctor"]);
    assert_eq!(
        before.code, 1,
        "rewriteRef missing is a problem: {}",
        before.stdout
    );
    assert!(
        before.stdout.contains("fix: git ledger init"),
        "{}",
        before.stdout
    );
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&["add", "S01", "One"]);
    let v = r.ledger_json(&["doctor"]);
    let hooks = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "hooks")
        .unwrap()
        .clone();
    assert_eq!(
        (hooks["level"].as_str(), hooks["fix"].as_str()),
        (Some("warn"), Some("git ledger hooks install"))
    );
    r.ledger_ok(&["hooks", "install"]);
    let json = r.ledger_json(&["doctor"]);
    assert_eq!(json["ok"], true, "{json}");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["level"] == "ok"),
        "{json}"
    );
    r.git(&["config", "notes.rewrite.amend", "false"]);
    let after = r.ledger(&["--json", "doctor"]);
    assert_eq!(after.code, 1);
    let v = after.json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "notes.rewrite.amend")
        .unwrap();
    assert_eq!(f["fix"], "git config --unset notes.rewrite.amend");
}

#[test]
fn identical_marks_with_evidence_in_one_second_stay_separate_events() {
    let r = Repo::new();
    r.ledger_ok(&["add", "S01", "One"]);
    for _ in 0..3 {
        r.ledger_ok(&["mark", "S01", "done", "--evidence", "pytest: 42 passed"]);
    }
    let events = r.events();
    assert_eq!(events.iter().filter(|e| e["kind"] == "evidence").count(), 3);
    let status: Vec<_> = events.iter().filter(|e| e["kind"] == "status").collect();
    assert_eq!(status.len(), 3);
    let evidence_ids: std::collections::HashSet<_> = status
        .iter()
        .map(|e| e["evidence"].as_str().unwrap())
        .collect();
    assert_eq!(evidence_ids.len(), 3, "each status names its own evidence");
}
