//! Ledger text from another clone never drives the terminal: every human
//! view escapes control characters, escape sequences and direction
//! overrides, while `--json` keeps the text exactly as stored.

mod common;

use common::Repo;
use serde_json::json;

/// Sets the window title, clears the screen, moves up, returns the
/// carriage, reverses the text direction and opens a C1 CSI.
/// And starts a line of its own that could pass for git-ledger's.
const HOSTILE: &str =
    "Fine\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[1A\r\u{202e}gnp.exe\u{9b}31m\nSPOOFED line";

fn raw_controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| format!("{c:?}"))
        .collect()
}

fn plant(r: &Repo, commit: &str, seq: u64, fields: serde_json::Value) {
    let mut line = json!({
        "v": 1, "id": format!("{seq:032x}"), "seq": seq, "at": "2026-01-01T00:00:00Z",
        "by": format!("Eve {HOSTILE} <eve@example.com>"), "source": "sync",
    });
    for (k, v) in fields.as_object().unwrap() {
        line[k] = v.clone();
    }
    r.git(&[
        "notes",
        "--ref",
        "ledger",
        "append",
        "-m",
        &line.to_string(),
        commit,
    ]);
}

#[test]
fn hostile_ledger_text_reached_the_terminal_raw() {
    let r = Repo::new();
    r.ledger_ok(&["init"]);
    r.write("hostile/a.txt", "a\n");
    let c = r.commit_all("Files");
    plant(
        &r,
        &c,
        1,
        json!({"step": "S02", "kind": "define", "title": HOSTILE, "phase": HOSTILE,
               "summary": HOSTILE, "owns": ["hostile/**"], "checks": [format!("touch /tmp/x {HOSTILE}")],
               "refs": [HOSTILE], "edge_cases": [HOSTILE], "concerns": [HOSTILE], "todo": [HOSTILE]}),
    );
    plant(
        &r,
        &c,
        2,
        json!({"step": "S02", "kind": "status", "status": "in_progress", "msg": HOSTILE,
               "run": HOSTILE, "at": HOSTILE}),
    );
    plant(
        &r,
        &c,
        3,
        json!({"step": "S02", "kind": "evidence", "result": HOSTILE, "text": HOSTILE,
               "checks": [{"cmd": HOSTILE, "exit": 1, "ms": 5, "timed_out": false, "out_tail": HOSTILE}]}),
    );
    plant(
        &r,
        &c,
        4,
        json!({"step": "S02", "kind": "note", "msg": HOSTILE}),
    );
    plant(&r, &c, 5, json!({"step": "S02", "kind": HOSTILE}));
    // An id outside the grammar: the line is unreadable, never shown.
    plant(
        &r,
        &c,
        6,
        json!({"step": "S9\u{1b}[1A\u{1b}[2K", "kind": "define", "title": "spoof"}),
    );

    let views: &[&[&str]] = &[
        &["status"],
        &["status", "--all"],
        &["show", "S02"],
        &["log"],
        &["log", "--oneline"],
        &["owners", "hostile/a.txt"],
        &["next"],
        &["verify", "S02"],
        &["trust", "S02"],
        &["doctor"],
        &["check", "--no-record"],
        &["scan"],
        &["hooks", "status"],
    ];
    for args in views {
        let mut all = vec!["--color", "never"];
        all.extend_from_slice(args);
        let out = r.ledger(&all);
        assert!(
            out.code <= 2,
            "{args:?} exited {}: {}",
            out.code,
            out.stderr
        );
        let raw = raw_controls(&format!("{}{}", out.stdout, out.stderr));
        assert!(
            raw.is_empty(),
            "{args:?} printed {raw:?}:\n{}{}",
            out.stdout,
            out.stderr
        );
        assert!(!out.stdout.contains("spoof"), "{args:?}: {}", out.stdout);
        for line in out.stdout.lines().chain(out.stderr.lines()) {
            assert!(
                !line.starts_with("SPOOFED"),
                "{args:?} let a field start a line:\n{}{}",
                out.stdout,
                out.stderr
            );
        }
    }
    // The prompt shows the escaped command; the id stays on its line.
    let shown = r.ledger(&["--color", "never", "show", "S02"]).stdout;
    assert!(
        shown.contains("Fine\\u{1b}]0;owned\\u{7}\\u{1b}[2J"),
        "{shown}"
    );

    // JSON is exact: the stored title, byte for byte.
    let v = r.ledger_json(&["status"]);
    assert_eq!(v["steps"][0]["title"], HOSTILE);

    // The hooks' drift warning names the title: escaped too.
    r.ledger_ok(&["mark", "S02", "verified"]);
    r.append("hostile/a.txt", "b\n");
    r.git(&["add", "-A"]);
    let commit = r.git_run(&["commit", "-q", "-m", "Change"]);
    assert_eq!(commit.code, 0, "{}", commit.stderr);
    assert!(commit.stderr.contains("S02"), "{}", commit.stderr);
    assert!(
        !commit.stderr.lines().any(|l| l.starts_with("SPOOFED")),
        "{}",
        commit.stderr
    );
    let raw = raw_controls(&commit.stderr);
    assert!(
        raw.is_empty(),
        "the hook printed {raw:?}: {}",
        commit.stderr
    );
}
