//! Everyday use in a team's git: colour and paging by git's rules, tables
//! that fit the terminal, filters, honest warnings from verify and add,
//! one current step per worktree, and `next` commands that run as given.

mod common;

use common::{BIN, Repo, Run};
use serde_json::Value;
use std::process::Command;

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Runs `program args` on a pseudo-terminal (util-linux `script`), as a
/// person at a terminal would; returns what the terminal showed.
fn on_terminal(r: &Repo, env: &[(&str, &str)], program: &str, args: &[&str]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        println!("skipped: `script` (util-linux) is not installed, so no pseudo-terminal");
        return None;
    }
    let line: Vec<String> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut cmd = r.cmd("script");
    cmd.args(["-qec", &line.join(" "), "/dev/null"])
        .envs(env.iter().copied());
    let out = run(&mut cmd);
    assert_eq!(
        out.code, 0,
        "{program} {args:?}: {}{}",
        out.stdout, out.stderr
    );
    Some(out.stdout.replace("\r\n", "\n"))
}

const LONG: &str =
    "Object storage with a title long enough to wrap into every row of a narrow terminal";

/// S04 (long title) owns src/storage/** and is verified; S05 is pending.
fn team_repo() -> Repo {
    let r = Repo::new();
    r.write("src/storage/spaces.rs", "pub fn spaces() {}\n");
    r.write("src/search/index.rs", "pub fn index() {}\n");
    r.commit_all("Add code");
    r.ledger_ok(&["init", "--no-hooks"]);
    r.ledger_ok(&[
        "add",
        "S04",
        LONG,
        "--owns",
        "src/storage/**",
        "--phase",
        "Storage",
        "--check",
        "true",
    ]);
    r.ledger_ok(&[
        "add",
        "S05",
        "Search",
        "--owns",
        "src/search/**",
        "--phase",
        "Search",
    ]);
    r.ledger_ok(&["verify", "S04"]);
    r.ledger_ok(&["mark", "S05", "done"]);
    r
}

#[test]
fn colour_follows_git_s_rules_through_git_itself() {
    let r = team_repo();
    let esc = |s: &str| s.contains('\x1b');
    // `git -c` reaches git-ledger through GIT_CONFIG_PARAMETERS.
    let never = on_terminal(
        &r,
        &[],
        "git",
        &["-c", "color.ui=never", "ledger", "--no-pager", "status"],
    );
    let Some(never) = never else { return };
    assert!(!esc(&never), "color.ui=never on a terminal: {never:?}");
    let auto = on_terminal(&r, &[], BIN, &["--no-pager", "status"]).unwrap();
    assert!(esc(&auto), "auto colours a terminal: {auto:?}");
    let no_color = on_terminal(&r, &[("NO_COLOR", "1")], BIN, &["--no-pager", "status"]).unwrap();
    assert!(!esc(&no_color), "NO_COLOR: {no_color:?}");
    let ledger_wins = on_terminal(
        &r,
        &[],
        "git",
        &[
            "-c",
            "color.ui=always",
            "-c",
            "color.ledger=never",
            "ledger",
            "--no-pager",
            "status",
        ],
    )
    .unwrap();
    assert!(
        !esc(&ledger_wins),
        "color.ledger beats color.ui: {ledger_wins:?}"
    );

    // Into a pipe: always colours, auto and true do not.
    let piped = r.git_run(&["-c", "color.ui=always", "ledger", "status"]);
    assert!(
        esc(&piped.stdout),
        "color.ui=always into a pipe: {}",
        piped.stdout
    );
    assert!(!esc(&r
        .git_run(&["-c", "color.ui=true", "ledger", "status"])
        .stdout));
    assert!(!esc(&r.ledger_ok(&["status"]).stdout));
    r.git(&["config", "color.ledger", "always"]);
    assert!(
        esc(&r.ledger_ok(&["status"]).stdout),
        "color.ledger=always in config"
    );
    assert!(
        !esc(&r.ledger_ok(&["status", "--color", "never"]).stdout),
        "--color wins"
    );
}

#[test]
fn status_log_and_show_page_like_git_log_on_a_terminal_only() {
    let r = team_repo();
    let pager = [("GIT_PAGER", "sed 's/^/paged: /'")];
    let Some(paged) = on_terminal(&r, &pager, BIN, &["status"]) else {
        return;
    };
    assert!(
        paged.lines().any(|l| l.starts_with("paged: S04")),
        "{paged}"
    );
    for cmd in ["log", "show"] {
        let args: &[&str] = if cmd == "show" {
            &["show", "S04"]
        } else {
            &["log"]
        };
        let out = on_terminal(&r, &pager, BIN, args).unwrap();
        assert!(
            out.lines()
                .all(|l| l.is_empty() || l.starts_with("paged: ")),
            "{cmd}: {out}"
        );
    }
    let unpaged = on_terminal(&r, &pager, BIN, &["--no-pager", "status"]).unwrap();
    assert!(!unpaged.contains("paged: "), "{unpaged}");
    let not_next = on_terminal(&r, &pager, BIN, &["next"]).unwrap();
    assert!(!not_next.contains("paged: "), "next is short: {not_next}");
    // Piped output never pages.
    let piped = r.ledger_env(&pager, &["status"]);
    assert!(!piped.stdout.contains("paged: "), "{}", piped.stdout);

    // git's order: pager.ledger, GIT_PAGER, core.pager; LESS=FRX unless set.
    r.git(&["config", "core.pager", "sed 's/^/core: /'"]);
    let core = on_terminal(&r, &[], BIN, &["status"]).unwrap();
    assert!(core.contains("core: S04"), "{core}");
    r.git(&["config", "pager.ledger", "false"]);
    let off = on_terminal(&r, &[], BIN, &["status"]).unwrap();
    assert!(!off.contains("core: "), "pager.ledger=false: {off}");
    r.git(&["config", "pager.ledger", "printenv LESS; cat"]);
    let less = on_terminal(&r, &[], BIN, &["status"]).unwrap();
    assert!(less.starts_with("FRX\n"), "{less}");
    let mine = on_terminal(&r, &[("LESS", "-S")], BIN, &["status"]).unwrap();
    assert!(
        mine.starts_with("-S\n"),
        "a LESS of the user's stays: {mine}"
    );
}

#[test]
fn tables_fit_the_terminal_and_pipes_get_every_character() {
    let r = team_repo();
    let cols = [("COLUMNS", "60")];
    let Some(shown) = on_terminal(
        &r,
        &cols,
        BIN,
        &["--no-pager", "--color", "never", "status"],
    ) else {
        return;
    };
    let rows: Vec<&str> = shown.lines().filter(|l| l.starts_with("S0")).collect();
    assert_eq!(rows.len(), 2, "{shown}");
    for line in shown.lines() {
        assert!(
            line.chars().count() <= 60,
            "wider than the terminal: {line:?}"
        );
    }
    assert!(rows[0].contains('…'), "the long title is cut: {shown}");
    assert!(rows[0].contains("verified"), "{shown}");
    let log = on_terminal(&r, &cols, BIN, &["--no-pager", "--color", "never", "log"]).unwrap();
    assert!(log.lines().all(|l| l.chars().count() <= 60), "{log}");

    let piped = r.ledger_env(&cols, &["status"]).stdout;
    assert!(piped.contains(LONG), "a pipe gets the whole title: {piped}");
    assert!(!piped.contains('…'), "{piped}");
}

#[test]
fn status_filters_by_status_phase_and_owned_path() {
    let r = team_repo();
    r.ledger_ok(&["add", "S06", "Later", "--owns", "src/later/**"]);
    r.append("src/storage/spaces.rs", "// drift\n");
    r.commit_all("Change storage");
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["status"];
        all.extend_from_slice(args);
        r.ledger_json(&all)["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["--status", "drift,pending"]), ["S04", "S05"]);
    assert_eq!(
        ids(&["--status", "drift", "--status", "todo"]),
        ["S04", "S06"]
    );
    assert_eq!(
        ids(&["--status", "completed_pending_verification"]),
        ["S05"]
    );
    assert_eq!(ids(&["--phase", "Search"]), ["S05"]);
    assert_eq!(ids(&["--owner", "src/storage/spaces.rs"]), ["S04"]);
    let sub = run(r
        .cmd(BIN)
        .args(["--json", "status", "--owner", "index.rs"])
        .current_dir(r.path().join("src/search")));
    let sub: Value = serde_json::from_str(&sub.stdout).unwrap();
    assert_eq!(
        sub["steps"][0]["id"], "S05",
        "paths are relative to the current directory"
    );
    assert_eq!(
        r.ledger_ok(&["status", "--owner", "README.md"]).stdout,
        "no step matches\n"
    );
    let bad = r.ledger(&["status", "--status", "drift,finished"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("'finished' is not a status"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("hint: "), "{}", bad.stderr);
}

#[test]
fn log_shows_the_time_of_day_takes_a_format_and_approxidates() {
    let r = team_repo();
    let text = r.ledger_ok(&["log"]).stdout;
    let clock = regex_like_time(&text);
    assert!(clock, "a time of day on each event: {text}");
    let lines = r
        .ledger_ok(&["log", "--format", "%i %k %h %an <%ae> %r%%"])
        .stdout;
    let head = r.git(&["rev-parse", "--short=7", "HEAD"]);
    assert!(
        lines.lines().any(|l| l
            == format!(
                "S04 evidence {} Ada Lovelace <ada@example.com> %",
                head.trim()
            )),
        "{lines}"
    );
    assert_eq!(lines.lines().count(), r.events().len(), "{lines}");
    let dated = r
        .ledger_ok(&["log", "-n", "1", "--format", "%ad|%aI|%w"])
        .stdout;
    let fields: Vec<&str> = dated.trim().split('|').collect();
    assert_eq!(fields.len(), 3, "{dated}");
    assert_eq!(
        &fields[0][..10],
        &fields[1][..10],
        "local date in UTC: {dated}"
    );
    assert_eq!(fields[0].len(), 16, "YYYY-MM-DD HH:MM: {dated}");

    let count = |args: &[&str]| {
        let mut all = vec!["log"];
        all.extend_from_slice(args);
        r.ledger_json(&all).as_array().unwrap().len()
    };
    let all = count(&[]);
    assert!(all >= 5);
    for since in [
        "yesterday",
        "last week",
        "2 weeks ago",
        "2.weeks.ago",
        "2000-01-01",
    ] {
        assert_eq!(count(&["--since", since]), all, "--since {since}");
    }
    for until in ["last week", "2 weeks ago", "yesterday", "2000-01-01"] {
        assert_eq!(count(&["--until", until]), 0, "--until {until}");
    }
    let bad = r.ledger(&["log", "--since", "last fortnight"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("'2 weeks ago'"), "{}", bad.stderr);
}

/// Whether some line holds an `HH:MM` time of day.
fn regex_like_time(text: &str) -> bool {
    text.lines().any(|l| {
        l.split_whitespace().any(|w| {
            let b = w.as_bytes();
            b.len() == 5
                && b[2] == b':'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 2 || c.is_ascii_digit())
        })
    })
}

#[test]
fn verify_says_that_uncommitted_edits_to_the_step_s_files_were_not_tested() {
    let r = team_repo();
    r.append("src/storage/spaces.rs", "// not committed\n");
    r.write("README.md", "other\n");
    let v = r.ledger_ok(&["verify", "S04"]);
    assert!(
        v.stderr
            .contains("S04: uncommitted changes to its files are not part of this run")
            && v.stderr.contains("src/storage/spaces.rs")
            && !v.stderr.contains("README.md"),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains("--in-place S04"), "{}", v.stderr);
    r.git(&["checkout", "--", "src/storage/spaces.rs"]);
    let clean = r.ledger_ok(&["verify", "S04"]);
    assert!(!clean.stderr.contains("uncommitted"), "{}", clean.stderr);
}

#[test]
fn owns_that_match_no_file_are_warned_at_add_edit_doctor_and_verify() {
    let r = team_repo();
    let add = r.ledger_ok(&[
        "add",
        "S07",
        "Typo",
        "--owns",
        "src/storgae/**",
        "--owns",
        "src/storage/**",
        "--check",
        "true",
    ]);
    assert!(
        add.stderr
            .contains("S07: --owns src/storgae/** matches no file at HEAD"),
        "{}",
        add.stderr
    );
    assert!(
        !add.stderr.contains("src/storage/**"),
        "only the bad glob: {}",
        add.stderr
    );
    let edit = r.ledger_ok(&["edit", "S07", "--owns", "nothing/*.rs"]);
    assert!(
        edit.stderr.contains("--owns nothing/*.rs matches no file"),
        "{}",
        edit.stderr
    );
    let doctor = r.ledger_json(&["doctor"]);
    let finding = doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "owned files")
        .unwrap()
        .clone();
    assert_eq!(finding["level"], "warn", "{finding}");
    assert!(
        finding["detail"]
            .as_str()
            .unwrap()
            .contains("S07 (nothing/*.rs)"),
        "{finding}"
    );
    let v = r.ledger_ok(&["verify", "S07"]);
    assert!(
        v.stderr
            .contains("S07: its owned globs (nothing/*.rs) match no file"),
        "{}",
        v.stderr
    );
    let fine = r.ledger_ok(&["edit", "S07", "--owns", "src/**"]);
    assert!(fine.stderr.is_empty(), "{}", fine.stderr);
}

#[test]
fn a_first_failing_verify_is_worded_as_failing_not_drift() {
    let r = team_repo();
    r.ledger_ok(&[
        "add",
        "S08",
        "Broken",
        "--owns",
        "src/search/**",
        "--check",
        "false",
    ]);
    r.ledger_ok(&["mark", "S08", "done"]);
    let v = r.ledger(&["verify", "S08"]);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout.contains("its checks fail; it was never verified"),
        "{}",
        v.stdout
    );
    let next = r.ledger_ok(&["next"]).stdout;
    assert!(
        next.contains("fix S08 \"Broken\": its checks fail (it was never verified)"),
        "{next}"
    );
    assert!(!next.starts_with("Next: fix drift in S08"), "{next}");
}

#[test]
fn each_worktree_has_its_own_current_step() {
    let r = team_repo();
    r.ledger_ok(&["hooks", "install"]);
    let other = r.home.path().join("other");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "search",
        other.to_str().unwrap(),
    ]);
    r.ledger_ok(&["start", "S04"]);
    let in_other = |args: &[&str]| run(r.cmd(BIN).args(args).current_dir(&other));
    assert_eq!(in_other(&["start", "S05"]).code, 0);
    let here: Value = serde_json::from_str(&r.ledger_ok(&["--json", "status"]).stdout).unwrap();
    let there: Value = serde_json::from_str(&in_other(&["--json", "status"]).stdout).unwrap();
    assert_eq!(here["current"], "S04");
    assert_eq!(there["current"], "S05");
    let marked = r.ledger_ok(&["status"]).stdout;
    assert!(marked.lines().any(|l| l.starts_with("* S04 ")), "{marked}");
    assert!(marked.lines().any(|l| l.starts_with("  S05 ")), "{marked}");

    // Each worktree's commits carry its own step (prepare-commit-msg).
    r.append("src/storage/spaces.rs", "// here\n");
    r.commit_all("Storage work");
    std::fs::write(other.join("src/search/index.rs"), "// there\n").unwrap();
    run(r
        .cmd("git")
        .args(["commit", "-qam", "Search work"])
        .current_dir(&other));
    let trailer = |rev: &str| {
        r.git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Ledger-Step,valueonly)",
            rev,
        ])
        .trim()
        .to_string()
    };
    assert_eq!(trailer("main"), "S04");
    assert_eq!(trailer("search"), "S05");
    assert_eq!(in_other(&["stop"]).code, 0);
    assert_eq!(
        r.ledger_json(&["status"])["current"],
        "S04",
        "stop in one worktree leaves the other"
    );
}

#[test]
fn next_commands_run_as_given_and_drift_comes_with_its_diff() {
    let r = team_repo();
    r.append("src/storage/spaces.rs", "// drift\n");
    r.commit_all("Change storage");
    let next = r.ledger_json(&["next"]);
    let first = &next["recommended"];
    assert_eq!(first["id"], "S04");
    let verified = r
        .events()
        .into_iter()
        .find(|e| e["status"] == "verified")
        .unwrap();
    let command = first["command"].as_str().unwrap();
    assert!(!command.contains('#'), "{command}");
    assert!(command.starts_with("git diff "), "{command}");
    assert!(command.ends_with(" -- src/storage/spaces.rs"), "{command}");
    let diff = run(r.cmd("sh").args(["-c", command]));
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    assert!(diff.stdout.contains("+// drift"), "{}", diff.stdout);
    assert!(
        first["comment"]
            .as_str()
            .unwrap()
            .contains("since it was verified"),
        "{first}"
    );
    assert_eq!(first["then"], "git ledger verify S04");
    let _ = verified;

    // Every item's command runs; `start` is what not-started steps get.
    r.ledger_ok(&["add", "S09", "Fresh"]);
    let next = r.ledger_json(&["next"]);
    for item in next["queue"].as_array().unwrap() {
        let cmd = item["command"].as_str().unwrap();
        assert!(!cmd.contains('#'), "{cmd}");
        if item["id"] == "S09" {
            assert_eq!(cmd, "git ledger start S09");
        }
        let ran = run(r.cmd("sh").args(["-c", cmd]));
        assert_eq!(ran.code, 0, "{cmd}: {}", ran.stderr);
    }
    let text = r.ledger_ok(&["next"]).stdout;
    assert!(text.contains("then: git ledger verify S04"), "{text}");
}

#[test]
fn an_unscoped_step_imported_as_drifted_has_a_way_out() {
    let r = Repo::new();
    r.write(
        "LEDGER.md",
        "| id | title | status |\n|---|---|---|\n| S01 | Imported | drift_detected |\n",
    );
    r.ledger_ok(&["import", "LEDGER.md"]);
    assert_eq!(r.status_of("S01"), "drift_detected");
    let next = r.ledger_json(&["next"]);
    let item = &next["recommended"];
    assert_eq!(item["command"], "git ledger show S01");
    assert!(
        item["comment"]
            .as_str()
            .unwrap()
            .contains("check it by hand"),
        "{item}"
    );
    let then = item["then"].as_str().unwrap();
    let ran = run(r.cmd("sh").args(["-c", then]));
    assert_eq!(ran.code, 0, "{then}: {}", ran.stderr);
    assert_eq!(r.status_of("S01"), "verified");
    assert_eq!(
        r.ledger_ok(&["next"]).stdout,
        "Nothing to do: every step is verified.\n"
    );
}

/// Point 6: a verification marked by hand over evidence taken on older
/// content showed the old PASS as current, and check accepted it.
#[test]
fn a_hand_marked_verification_showed_old_evidence_as_current() {
    let r = Repo::new();
    r.write("src/api.rs", "fn api() {}\n");
    r.commit_all("API");
    r.ledger_ok(&[
        "add",
        "S04",
        "API",
        "--owns",
        "src/**",
        "--check",
        "grep -q api src/api.rs",
    ]);
    r.ledger_ok(&["verify", "S04"]);
    r.append("src/api.rs", "fn more() {}\n");
    r.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-am",
        "More",
    ]);
    r.ledger_ok(&["mark", "S04", "verified", "-m", "looked fine"]);
    let status = r.ledger_json(&["status"]);
    let s = &status["steps"][0];
    assert_eq!(s["status"], "verified");
    assert_eq!(s["evidence"]["result"], "pass");
    assert_eq!(s["evidence"]["stale"], true, "{s}");
    let text = r.ledger_ok(&["--no-pager", "status"]).stdout;
    assert!(text.contains("for older content"), "{text}");
    let show = r.ledger_ok(&["--no-pager", "show", "S04"]).stdout;
    assert!(show.contains("for older content"), "{show}");
    let check = r.ledger_json(&["check", "--no-record"]);
    assert_eq!(check["stale_evidence"][0]["id"], "S04", "{check}");
    assert_eq!(check["ok"], true, "without requireEvidence it is a warning");
    let strict = r.ledger_env(
        &[("GIT_CONFIG_PARAMETERS", "'ledger.requireEvidence=true'")],
        &["check", "--no-record"],
    );
    assert_eq!(strict.code, 1, "{}{}", strict.stdout, strict.stderr);
    // Verified again on what is there now: current evidence.
    r.ledger_ok(&["verify", "S04"]);
    assert_eq!(
        r.ledger_json(&["status"])["steps"][0]["evidence"]["stale"],
        false
    );
}

/// Point 9: `edit --owns` on a verified step reported a file "changed".
#[test]
fn a_changed_scope_was_reported_as_changed_files() {
    let r = Repo::new();
    r.write("src/api.rs", "fn api() {}\n");
    r.write("src/db.rs", "fn db() {}\n");
    r.commit_all("Code");
    r.ledger_ok(&["add", "S04", "API", "--owns", "src/api.rs"]);
    r.ledger_ok(&["mark", "S04", "verified"]);
    r.ledger_ok(&["edit", "S04", "--owns", "src/api.rs", "--owns", "src/db.rs"]);
    let s = &r.ledger_json(&["status"])["steps"][0];
    assert_eq!(s["status"], "drift_detected");
    assert_eq!(s["scope_changed"], true, "{s}");
    assert_eq!(s["drift_files"], Value::Array(vec![]));
    let text = r.ledger_ok(&["--no-pager", "status"]).stdout;
    assert!(text.contains("scope changed"), "{text}");
    assert!(!text.contains("src/db.rs changed"), "{text}");
}
