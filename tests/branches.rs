//! The ledger as seen from a commit (SPEC 2.5): branches, merges, resets
//! and worktrees, driven through real git with the hooks installed.

mod common;

use common::{Repo, bare_remote, step};
use serde_json::Value;
use tempfile::TempDir;

/// main with S02 "API" owning src/api/**, checked by a real command, and
/// a `feature` branch that did the work, with S02 verified there.
fn verified_on_feature() -> Repo {
    let r = Repo::new();
    r.write("src/api/routes.rs", "fn routes() {}\n");
    r.commit_all("Scaffold the API");
    r.ledger_ok(&["init", "-q"]);
    r.ledger_ok(&[
        "add",
        "S02",
        "API",
        "--owns",
        "src/api/**",
        "--check",
        "grep -q handler src/api/routes.rs",
    ]);
    r.git(&["switch", "-q", "-c", "feature"]);
    r.append("src/api/routes.rs", "fn handler() {}\n");
    commit_for_s02(&r, "API work");
    r.append("src/api/routes.rs", "fn more() {}\n");
    commit_for_s02(&r, "More API work");
    let v = r.ledger(&["verify", "S02"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert_eq!(r.status_of("S02"), "verified");
    r.git(&["switch", "-q", "main"]);
    r
}

/// `git commit -am MESSAGE --trailer "Ledger-Step: S02"`, hooks and all.
fn commit_for_s02(r: &Repo, message: &str) {
    r.git(&[
        "commit",
        "-q",
        "-am",
        message,
        "--trailer",
        "Ledger-Step: S02",
    ]);
}

/// An unrelated commit on main, so that merges are real merges.
fn diverge_main(r: &Repo) {
    r.write("docs/notes.md", "main moved on\n");
    r.commit_all("Docs on main");
}

#[test]
fn verifying_on_a_feature_branch_changes_nothing_on_main() {
    let r = verified_on_feature();
    let status = r.ledger_json(&["status"]);
    assert_eq!(step(&status, "S02")["status"], "not_started");
    assert_eq!(step(&status, "S02")["evidence"], Value::Null);
    let notes_before = r.note_lines();
    let check = r.ledger(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(r.note_lines(), notes_before, "main's check records nothing");
    let json = r.ledger_json(&["check", "--no-record"]);
    assert_eq!(json["ok"], true);
    // The feature branch still sees its verification.
    r.git(&["switch", "-q", "feature"]);
    assert_eq!(r.status_of("S02"), "verified");
    assert_eq!(r.ledger(&["check"]).code, 0);
}

#[test]
fn a_throwaway_branch_trailer_does_not_make_main_in_progress() {
    let r = Repo::new();
    r.write("src/api/routes.rs", "fn routes() {}\n");
    r.commit_all("Scaffold");
    r.ledger_ok(&["init", "-q"]);
    r.ledger_ok(&["add", "S02", "API", "--owns", "src/api/**"]);
    r.git(&["switch", "-q", "-c", "spike"]);
    r.append("src/api/routes.rs", "// spike\n");
    commit_for_s02(&r, "Spike");
    assert_eq!(r.status_of("S02"), "in_progress");
    r.git(&["switch", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "spike"]);
    assert_eq!(r.status_of("S02"), "not_started");
}

#[test]
fn merging_brings_the_verification_to_main_by_fast_forward_merge_commit_and_squash() {
    for how in ["fast-forward", "merge commit", "squash"] {
        let r = verified_on_feature();
        // CI on main before the merge: nothing to record there.
        assert_eq!(r.ledger(&["check"]).code, 0, "{how}");
        match how {
            "fast-forward" => {
                r.git(&["merge", "-q", "--ff-only", "feature"]);
            }
            "merge commit" => {
                diverge_main(&r);
                r.git(&["merge", "-q", "--no-edit", "feature"]);
                assert_eq!(
                    r.git(&["rev-list", "--count", "--merges", "HEAD"]).trim(),
                    "1"
                );
            }
            _ => {
                diverge_main(&r);
                r.git(&["merge", "-q", "--squash", "feature"]);
                r.git(&["commit", "-q", "-m", "API (squashed)"]);
            }
        }
        let status = r.ledger_json(&["status"]);
        let s = step(&status, "S02");
        assert_eq!(s["status"], "verified", "{how}: {s}");
        assert_eq!(s["live_drift"], false, "{how}");
        assert_eq!(
            s["evidence"]["result"], "pass",
            "{how}: the evidence comes along"
        );
        let check = r.ledger(&["check"]);
        assert_eq!(check.code, 0, "{how}: {}{}", check.stdout, check.stderr);
    }
}

#[test]
fn a_cherry_pick_of_the_verified_work_is_verified() {
    let r = verified_on_feature();
    diverge_main(&r);
    r.git(&["cherry-pick", "main..feature"]);
    let status = r.ledger_json(&["status"]);
    assert_eq!(step(&status, "S02")["status"], "verified", "{status}");
    assert_eq!(
        step(&status, "S02")["since"]["by_content"],
        true,
        "it applies through the content, not the commit"
    );
    assert_eq!(r.ledger(&["check"]).code, 0);
}

#[test]
fn a_rebased_feature_stays_verified_with_and_without_notes_rewrite() {
    for rewrite in [true, false] {
        let r = verified_on_feature();
        diverge_main(&r);
        if !rewrite {
            // Neither git nor the hooks carry the notes: only the content
            // can tell that the rebased commits are the verified work.
            r.git(&["config", "--unset-all", "notes.rewriteRef"]);
            r.git(&["config", "core.hooksPath", "/dev/null"]);
        }
        r.git(&["switch", "-q", "feature"]);
        r.git(&["rebase", "-q", "main"]);
        let status = r.ledger_json(&["status"]);
        assert_eq!(
            step(&status, "S02")["status"],
            "verified",
            "rewriteRef {rewrite}: {status}"
        );
        // check scans the rebased commits' trailers, and they do not undo it.
        let check = r.ledger(&["check"]);
        assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
        assert_eq!(r.status_of("S02"), "verified", "rewriteRef {rewrite}");
        r.git(&["switch", "-q", "main"]);
        r.git(&["merge", "-q", "--ff-only", "feature"]);
        assert_eq!(
            r.status_of("S02"),
            "verified",
            "rewriteRef {rewrite}, merged"
        );
    }
}

#[test]
fn reset_past_a_drifting_commit_takes_its_drift_away() {
    let r = verified_on_feature();
    r.git(&["merge", "-q", "--ff-only", "feature"]);
    r.append("src/api/routes.rs", "// undeclared\n");
    let c = r.git_run(&["commit", "-q", "-am", "Undeclared change"]);
    assert!(
        c.stderr.contains("S02 is now drift_detected"),
        "{}",
        c.stderr
    );
    assert_eq!(r.status_of("S02"), "drift_detected");
    assert_eq!(r.ledger(&["check"]).code, 1);
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    assert_eq!(r.status_of("S02"), "verified");
    let check = r.ledger(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn two_worktrees_on_two_branches_each_see_their_own_branch() {
    let r = verified_on_feature();
    let parent = TempDir::new().unwrap();
    let wt = parent.path().join("feature-wt");
    r.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "feature"]);
    let in_wt = |args: &[&str]| -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = r
            .cmd(common::BIN)
            .current_dir(&wt)
            .args(&all)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Interleaved reads: no view is served for the other worktree's commit.
    for _ in 0..2 {
        assert_eq!(step(&in_wt(&["status"]), "S02")["status"], "verified");
        assert_eq!(r.status_of("S02"), "not_started");
    }
    let feature_head = r.git(&["rev-parse", "feature"]).trim().to_string();
    assert_eq!(in_wt(&["status"])["head"], feature_head);
}

#[test]
fn status_at_a_tag_shows_the_ledger_as_it_stood_there() {
    let r = verified_on_feature();
    r.git(&["merge", "-q", "--ff-only", "feature"]);
    r.git(&["tag", "v1.0"]);
    r.append("src/api/routes.rs", "// v2 work\n");
    commit_for_s02(&r, "v2 work");
    r.ledger_ok(&["add", "S03", "Later step"]);
    assert_eq!(r.status_of("S02"), "in_progress");
    let at = r.ledger_json(&["status", "--at", "v1.0"]);
    assert_eq!(step(&at, "S02")["status"], "verified");
    assert_eq!(
        step(&at, "S03")["status"],
        "not_started",
        "the plan is shared: a step defined later is listed"
    );
    assert_eq!(at["head"], r.git(&["rev-parse", "v1.0"]).trim());
    // Every reading command takes --at.
    let show = r.ledger_json(&["show", "S02", "--at", "v1.0"]);
    assert_eq!(show["status"], "verified");
    let log = r.ledger_json(&["log", "S02", "--at", "v1.0"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["commit"] != r.head()),
        "v2's trailer event is not in v1.0's log: {log}"
    );
    assert_eq!(
        r.ledger_json(&["next", "--at", "v1.0"])["recommended"]["id"],
        "S03"
    );
    let owners = r.ledger_json(&["owners", "src/api/routes.rs", "--at", "v1.0"]);
    assert_eq!(owners[0]["steps"][0]["status"], "verified");
    let export = r.ledger_json(&["export", "--at", "v1.0"]);
    assert_eq!(export["steps"][0]["status"], "verified", "{export}");
    assert_eq!(r.ledger(&["check", "--at", "v1.0", "--no-record"]).code, 0);
    let bad = r.ledger(&["status", "--at", "no-such-tag"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("'no-such-tag' names no commit"),
        "{}",
        bad.stderr
    );
}

#[test]
fn status_branches_shows_each_step_on_each_branch() {
    let r = verified_on_feature();
    r.git(&["switch", "-q", "-c", "spike", "main"]);
    r.append("src/api/routes.rs", "// spike\n");
    commit_for_s02(&r, "Spike");
    r.git(&["switch", "-q", "main"]);
    let m = r.ledger_json(&["status", "--branches"]);
    let names: Vec<&str> = m["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["feature", "main", "spike"]);
    let s02 = step(&m, "S02");
    assert_eq!(s02["on"]["main"], "not_started");
    assert_eq!(s02["on"]["feature"], "verified");
    assert_eq!(s02["on"]["spike"], "in_progress");
    let text = r.ledger_ok(&["status", "--branches"]).stdout;
    assert!(text.contains("feature") && text.contains("spike"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("S02")), "{text}");
}

#[test]
fn status_remotes_adds_the_remote_tracking_branches() {
    let (_d, url) = bare_remote();
    let r = verified_on_feature();
    r.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    r.git(&["push", "-q", "origin", "main", "feature:shared"]);
    r.git(&["fetch", "-q", "origin"]);
    let m = r.ledger_json(&["status", "--branches", "--remotes"]);
    let s02 = step(&m, "S02");
    assert_eq!(s02["on"]["origin/shared"], "verified", "{m}");
    assert_eq!(s02["on"]["origin/main"], "not_started");
}

#[test]
fn a_step_defined_twice_on_two_branches_is_a_collision_reported_and_nothing_lost() {
    let (_d, url) = bare_remote();
    let a = Repo::new();
    a.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    a.ledger_ok(&["init", "-q", "--remote", "origin"]);
    let b = Repo::clone_from(&url);
    b.ledger_ok(&["init", "-q", "--remote", "origin"]);
    a.git(&["switch", "-q", "-c", "search"]);
    a.write("search.rs", "\n");
    a.commit_all("Search");
    a.ledger_ok(&["add", "S05", "Search", "--owns", "search.rs"]);
    b.git(&["switch", "-q", "-c", "billing"]);
    b.write("billing.rs", "\n");
    b.commit_all("Billing");
    b.ledger_ok(&["add", "S05", "Billing", "--owns", "billing.rs"]);
    a.ledger_ok(&["sync"]);
    b.ledger_ok(&["sync"]);
    a.ledger_ok(&["sync"]);
    // Both definitions are in the ledger, and both are reported.
    let defines = a
        .events()
        .into_iter()
        .filter(|e| e["step"] == "S05" && e["kind"] == "define")
        .count();
    assert_eq!(defines, 2);
    let status = a.ledger_json(&["status"]);
    let c = &status["collisions"][0];
    assert_eq!(c["step"], "S05", "{status}");
    let titles: Vec<&str> = c["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Search") && titles.contains(&"Billing"),
        "{titles:?}"
    );
    let text = a.ledger(&["status"]);
    assert!(
        text.stderr.contains("S05 is defined twice"),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr.contains("git ledger add"),
        "how to rename: {}",
        text.stderr
    );
    let doctor = a.ledger(&["doctor"]);
    assert_eq!(doctor.code, 1);
    assert!(doctor.stdout.contains("S05"), "{}", doctor.stdout);
    // Both branches merged: still reported, never settled silently.
    b.git(&["push", "-q", "origin", "billing"]);
    a.git(&["fetch", "-q", "origin"]);
    a.git(&["switch", "-q", "main"]);
    a.git(&["merge", "-q", "--no-edit", "search"]);
    a.git(&["merge", "-q", "--no-edit", "origin/billing"]);
    assert_eq!(a.ledger_json(&["status"])["collisions"][0]["step"], "S05");
    // Settling it: an edit of S05 here, and the other gets its own id.
    a.ledger_ok(&["add", "S06", "Billing", "--owns", "billing.rs"]);
    a.ledger_ok(&["edit", "S05", "--title", "Search", "--owns", "search.rs"]);
    assert_eq!(
        a.ledger_json(&["status"])["collisions"],
        Value::Array(vec![])
    );
    assert!(!a.ledger(&["doctor"]).stdout.contains("defined twice"));
}

#[test]
fn two_clones_on_two_branches_share_the_plan_but_not_each_others_progress() {
    let (_d, url) = bare_remote();
    let a = Repo::new();
    a.write("src/api/routes.rs", "fn routes() {}\n");
    a.write("src/ui/app.rs", "fn app() {}\n");
    a.commit_all("Scaffold");
    a.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    a.git(&["push", "-q", "origin", "main"]);
    a.ledger_ok(&["init", "-q", "--remote", "origin"]);
    a.ledger_ok(&["add", "S02", "API", "--owns", "src/api/**"]);
    a.ledger_ok(&["add", "S03", "UI", "--owns", "src/ui/**"]);
    a.ledger_ok(&["sync"]);
    let b = Repo::clone_from(&url);
    b.ledger_ok(&["init", "-q", "--remote", "origin"]);
    b.ledger_ok(&["sync"]);
    a.git(&["switch", "-q", "-c", "api"]);
    a.append("src/api/routes.rs", "// api\n");
    a.git(&[
        "commit",
        "-q",
        "-am",
        "API",
        "--trailer",
        "Ledger-Step: S02",
    ]);
    a.ledger_ok(&["mark", "S02", "verified"]);
    b.git(&["switch", "-q", "-c", "ui"]);
    b.append("src/ui/app.rs", "// ui\n");
    b.git(&["commit", "-q", "-am", "UI", "--trailer", "Ledger-Step: S03"]);
    b.ledger_ok(&["add", "S04", "Docs"]);
    for r in [&a, &b, &a] {
        r.ledger_ok(&["sync"]);
    }
    let sa = a.ledger_json(&["status"]);
    let sb = b.ledger_json(&["status"]);
    assert_eq!(step(&sa, "S02")["status"], "verified");
    assert_eq!(
        step(&sa, "S03")["status"],
        "not_started",
        "b's work is not a's"
    );
    assert_eq!(step(&sb, "S03")["status"], "in_progress");
    assert_eq!(
        step(&sb, "S02")["status"],
        "not_started",
        "a's work is not b's"
    );
    // The plan is shared both ways.
    assert_eq!(step(&sa, "S04")["status"], "not_started");
    assert_eq!(step(&sb, "S02")["title"], "API");
}

#[test]
fn the_board_shows_what_is_done_where_with_branches() {
    let r = verified_on_feature();
    let html = r
        .ledger_ok(&["export", "--format", "html", "--branches"])
        .stdout;
    assert!(html.contains("What is done where"), "the matrix section");
    let section = &html[html.find("id=\"branches\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("<th>feature</th>"), "{section}");
    assert!(section.contains("<th>main (here)</th>"), "{section}");
    assert!(section.contains(">S02</a>"), "{section}");
    assert!(
        section.contains("verified") && section.contains("not started"),
        "{section}"
    );
    assert!(
        html.contains("branch <b>main</b>"),
        "the branch it was made for"
    );
    let json = r.ledger_json(&["export", "--branches"]);
    assert_eq!(
        json["branches"]["steps"][0]["on"]["feature"], "verified",
        "{json}"
    );
    assert_eq!(json["branches"]["steps"][0]["on"]["main"], "not_started");
    let plain = r.ledger_ok(&["export", "--format", "html"]).stdout;
    assert!(!plain.contains("What is done where"), "only on request");
}

#[test]
fn every_commit_sees_the_same_ledger_with_and_without_git_s_commit_graph() {
    // git gc and git maintenance write a commit-graph file; ancestry is
    // then read from it, and from the commits themselves for what is
    // newer than the file. Seen from every commit, the answer must be
    // the one a repository without the file gives.
    let r = verified_on_feature();
    diverge_main(&r);
    r.git(&["merge", "-q", "--no-edit", "feature"]);
    r.git(&["commit-graph", "write", "--reachable"]);
    let graph = r.path().join(".git/objects/info/commit-graph");
    assert!(graph.exists());
    // Newer than the file: work on a branch, and on main.
    r.git(&["switch", "-q", "-c", "later"]);
    r.append("src/api/routes.rs", "fn later() {}\n");
    commit_for_s02(&r, "Later work");
    r.git(&["switch", "-q", "main"]);
    r.write("docs/more.md", "more\n");
    r.commit_all("More docs");
    let commits: Vec<String> = r
        .git(&["rev-list", "--all"])
        .lines()
        .map(str::to_string)
        .collect();
    assert!(commits.len() >= 8, "{commits:?}");
    let seen = |r: &Repo| -> Vec<(Value, Value, i32)> {
        commits
            .iter()
            .map(|c| {
                // Cold each time: a view followed from a cached one walks
                // the new commits itself, not the graph.
                let _ = std::fs::remove_dir_all(r.path().join(".git/git-ledger"));
                let check = r.ledger(&["check", "--at", c, "--no-record"]).code;
                (
                    r.ledger_json(&["status", "--all", "--at", c]),
                    r.ledger_json(&["log", "--at", c]),
                    check,
                )
            })
            .collect()
    };
    let with_graph = seen(&r);
    std::fs::remove_file(&graph).unwrap();
    let without = seen(&r);
    assert_eq!(with_graph, without);
    let on = |c: &str| with_graph[commits.iter().position(|x| x == c).unwrap()].clone();
    let head = on(&r.head());
    assert_eq!(step(&head.0, "S02")["status"], "verified");
    let feature = r.git(&["rev-parse", "feature"]);
    assert!(
        head.1
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["commit"] == feature.trim()),
        "the merged branch's events are in view from main: {}",
        head.1
    );
    let later = r.git(&["rev-parse", "later"]);
    assert_eq!(step(&on(later.trim()).0, "S02")["status"], "in_progress");
}
