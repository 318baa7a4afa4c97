//! `git ledger export`: markdown that imports back to the same ledger, the
//! folded state as JSON, and a self-contained HTML board.
mod common;

use common::Repo;
use serde_json::Value;
use std::path::PathBuf;

fn fixture_text(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

/// A ledger built with the CLI: every field, every status, some drift.
fn built_ledger() -> Repo {
    let repo = Repo::new();
    repo.write("src/storage/spaces.rs", "pub fn put() {}\n");
    repo.write("src/queue.rs", "pub fn push() {}\n");
    repo.commit_all("Code");
    repo.ledger_ok(&[
        "add",
        "S04",
        "Object storage <fast> & \"safe\"",
        "--owns",
        "src/storage/**",
        "--check",
        "test -f src/storage/spaces.rs",
        "--check",
        "echo `date` && true",
        "--ref",
        "docs/BLUEPRINT.md#storage",
        "--phase",
        "Phase 2",
        "--summary",
        "# first line looks like a heading\n- then a list",
        "--edge-case",
        "empty bucket",
        "--concern",
        "slow uploads",
        "--todo",
        "add metrics",
    ]);
    repo.ledger_ok(&[
        "add",
        "S05",
        "Queue",
        "--owns",
        "src/queue.rs",
        "--phase",
        "Phase 2",
    ]);
    repo.ledger_ok(&["add", "S06", "Docs", "--phase", "Phase 3"]);
    repo.ledger_ok(&["add", "S07", "Old idea"]);
    repo.ledger_ok(&["mark", "S04", "in_progress", "--run", "run-1"]);
    repo.ledger_ok(&[
        "mark",
        "S04",
        "verified",
        "-m",
        "storage checks pass",
        "--run",
        "run-2",
        "--evidence",
        "ran the checks by hand",
    ]);
    repo.ledger_ok(&["mark", "S05", "verified", "--run", "run-2"]);
    repo.ledger_ok(&["mark", "S06", "completed_pending_verification"]);
    repo.ledger_ok(&["retire", "S07"]);
    // S05's owned file changes without a new verification: live drift.
    repo.write("src/queue.rs", "pub fn push() { changed() }\n");
    repo.commit_all("Change the queue");
    repo
}

fn rows(repo: &Repo) -> Vec<(String, String, String, Value, Value, Value)> {
    let status = repo.ledger_json(&["status"]);
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["title"].as_str().unwrap().to_string(),
                s["phase"].clone(),
                s["owns"].clone(),
                s["checks"].clone(),
            )
        })
        .collect()
}

fn definitions(repo: &Repo) -> Vec<Value> {
    let v = repo.ledger_json(&["export", "--format", "json"]);
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["definition"].clone())
        .collect()
}

/// Exports `from` as markdown and imports it into a fresh repository.
fn round_trip(from: &Repo) -> (Repo, String) {
    let md = from.ledger_ok(&["export", "--format", "md"]).stdout;
    let to = Repo::new();
    to.write("LEDGER.md", &md);
    to.write("src/queue.rs", "pub fn push() { changed() }\n");
    to.commit_all("Ledger");
    to.ledger_ok(&["import", "LEDGER.md"]);
    (to, md)
}

#[test]
fn markdown_export_imports_back_to_the_same_steps_and_statuses() {
    let repo = built_ledger();
    let (copy, md) = round_trip(&repo);
    assert_eq!(rows(&copy), rows(&repo), "exported:\n{md}");
    assert_eq!(
        definitions(&copy),
        definitions(&repo),
        "every field survives:\n{md}"
    );
    let statuses: Vec<String> = rows(&repo).into_iter().map(|r| r.1).collect();
    assert_eq!(
        statuses,
        [
            "verified",
            "drift_detected",
            "completed_pending_verification"
        ]
    );

    // The seed layout, readable by people.
    for want in [
        "## Legend\n",
        // Raw HTML in a title is escaped: the heading shows it as text.
        "## Step S04 – Object storage \\<fast\\> \\& \"safe\"\n",
        "- **Status:** verified — storage checks pass\n",
        "- **Responsible run ID:** run-2\n",
        "- **Phase:** Phase 2\n",
        "### Scope & files\n",
        "- **Owns:**\n  - `src/storage/**`\n",
        "### Observable invariants\n\n- `test -f src/storage/spaces.rs` exits 0\n",
        "### Tests & commands run\n",
        "- Manual evidence: ran the checks by hand\n",
        "- [x] Verified on ",
        "- **Status:** drift_detected (seen at HEAD, not yet recorded: src/queue.rs changed)\n",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
    assert!(!md.contains("S07"), "retired steps stay out by default");
}

#[test]
fn import_export_import_gives_the_same_ledger() {
    for name in ["sections.md", "checklist.md", "tables.md"] {
        let first = Repo::new();
        first.write("LEDGER.md", &fixture_text(name));
        first.commit_all("Ledger");
        first.ledger_ok(&["import", "LEDGER.md"]);
        let (second, md) = round_trip(&first);
        assert_eq!(rows(&second), rows(&first), "{name} exported as:\n{md}");
        assert_eq!(definitions(&second), definitions(&first), "{name}");
        // And the copy's export is the same document, but for its header.
        let again = second.ledger_ok(&["export"]).stdout;
        // Below the header, but for the commit each history line names
        // (the copy's events sit on another commit).
        let stable = |s: &str| -> Vec<String> {
            let (_, body) = s.split_once("## Legend").unwrap();
            body.lines()
                .filter(|l| !(l.starts_with("- [x]") && l.contains(" at ")))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(stable(&again), stable(&md), "{name}");
    }
}

#[test]
fn verification_history_survives_the_round_trip() {
    let first = Repo::new();
    first.write("LEDGER.md", &fixture_text("sections.md"));
    first.commit_all("Ledger");
    first.ledger_ok(&["import", "LEDGER.md"]);
    let (second, _) = round_trip(&first);
    let history = |r: &Repo| -> Vec<(String, String)> {
        r.ledger_json(&["export", "--format", "json"])["steps"][0]["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["status"].as_str().unwrap().into(),
                    e["at"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(history(&second), history(&first));
    assert_eq!(history(&first).len(), 3);
}

#[test]
fn json_export_is_the_folded_state() {
    let repo = built_ledger();
    let v = repo.ledger_json(&["export", "--format", "json"]);
    assert_eq!(v["format"], "git-ledger-export");
    assert_eq!(v["version"], 1);
    assert_eq!(v["head"], repo.head());
    assert_eq!(
        v["notes_tip"],
        repo.git(&["rev-parse", "refs/notes/ledger"]).trim()
    );
    assert_eq!(
        v["total"],
        serde_json::json!({"verified": 1, "total": 3, "drift": 1})
    );
    let phases: Vec<(Value, u64)> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].clone(), p["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(phases, [("Phase 2".into(), 2), ("Phase 3".into(), 1)]);
    let s04 = &v["steps"][0];
    assert_eq!(s04["id"], "S04");
    assert_eq!(
        s04["definition"]["edge_cases"],
        serde_json::json!(["empty bucket"])
    );
    assert_eq!(s04["last_evidence"]["kind"], "evidence");
    assert_eq!(s04["last_evidence"]["text"], "ran the checks by hand");
    assert_eq!(s04["history"].as_array().unwrap().len(), 1);
    assert!(s04["defined"]["seq"].as_u64().is_some());
    let s05 = &v["steps"][1];
    assert_eq!(
        (s05["status"].as_str(), s05["recorded_status"].as_str()),
        (Some("drift_detected"), Some("verified"))
    );
    assert_eq!(s05["drift_files"], serde_json::json!(["src/queue.rs"]));
    // --json alone means JSON; with another --format it is a usage error.
    assert_eq!(repo.ledger_json(&["export"])["format"], "git-ledger-export");
    let clash = repo.ledger(&["--json", "export", "--format", "md"]);
    assert_eq!(clash.code, 2);
    assert!(
        clash
            .stderr
            .starts_with("error: --json asks for JSON but --format is md"),
        "{}",
        clash.stderr
    );
    // Retired steps on request.
    let all = repo.ledger_json(&["export", "--format", "json", "--all"]);
    let s07 = common::step(&all, "S07");
    assert_eq!(s07["retired"], true);
}

#[test]
fn html_board_is_well_formed_self_contained_and_shows_every_step() {
    let repo = built_ledger();
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    if let Err(e) = well_formed(&html) {
        panic!("not well-formed: {e}\n{html}");
    }
    for id in ["S04", "S05", "S06"] {
        assert!(html.contains(&format!("id=\"step-{id}\"")), "{id} missing");
    }
    assert!(html.contains("Object storage &lt;fast&gt; &amp; &quot;safe&quot;"));
    assert!(!html.contains("<fast>"), "text is escaped");
    for external in [
        "http://", "https://", "<img", "@import", "url(", "src=", "<iframe", "<object",
    ] {
        assert!(
            !html.contains(external),
            "the page must load nothing ({external})"
        );
    }
    // One inline script, one empty inline icon, and a policy that forbids
    // fetching anything else.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("\n<script>\"use strict\";"));
    assert_eq!(html.matches("<link").count(), 1);
    assert!(html.contains("<link rel=\"icon\" href=\"data:,\">"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; script-src &#39;sha256-"
    ));
    // Without the script everything is on the page: no step starts hidden,
    // and the filters it would drive stay out of sight.
    assert!(!html.contains("<details class=\"step\" hidden"));
    assert!(html.contains("<form id=\"filters\" class=\"filters\" hidden"));
    assert!(
        html.contains("Progress by phase") && html.contains("Phase 2") && html.contains("Phase 3")
    );
    assert!(
        html.contains("var(--drift_detected)")
            && html.contains("Drift in <a href=\"#step-S05\">S05</a>")
    );
    assert!(
        html.contains("manual: ran the checks by hand"),
        "the latest evidence"
    );
    assert!(html.contains("Timeline") && html.contains("→ verified"));
    assert!(html.contains("seen at HEAD, not yet recorded"));
}

#[test]
fn html_of_an_imported_ledger_with_notes_is_well_formed_too() {
    let repo = Repo::new();
    repo.write("LEDGER.md", &fixture_text("tables.md"));
    repo.commit_all("Ledger");
    repo.ledger_ok(&["import", "LEDGER.md"]);
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    well_formed(&html).unwrap();
    for id in ["M1", "M2", "M3", "L0", "L1", "S10", "S11"] {
        assert!(html.contains(&format!("id=\"step-{id}\"")), "{id} missing");
    }
    assert!(
        html.contains("57.8% accuracy"),
        "project notes are in the timeline"
    );
    assert!(
        html.contains("<h4>2026-01-05</h4>"),
        "grouped by their original date"
    );
}

#[test]
fn output_file_is_written_atomically_and_errors_write_nothing() {
    let repo = built_ledger();
    let out_dir = repo.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("LEDGER.md"), "old content\n").unwrap();
    let r = repo.ledger_ok(&["export", "-o", "out/LEDGER.md"]);
    assert!(
        r.stdout.starts_with("wrote out/LEDGER.md (md, 3 step(s))"),
        "{}",
        r.stdout
    );
    let written = std::fs::read_to_string(out_dir.join("LEDGER.md")).unwrap();
    assert!(written.contains("## Step S04 – "));
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["LEDGER.md"], "no temporary file left behind");

    let missing = repo.ledger(&["export", "-o", "nowhere/LEDGER.md"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no directory 'nowhere'"),
        "{}",
        missing.stderr
    );
    assert!(!repo.path().join("nowhere").exists());
    let dir = repo.ledger(&["export", "-o", "out"]);
    assert_eq!(dir.code, 2);
    assert!(dir.stderr.contains("is a directory"), "{}", dir.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let fresh = out_dir.join("fresh.md");
        let mut cmd = repo.cmd("sh");
        cmd.args([
            "-c",
            &format!("umask 022 && exec {} export -o out/fresh.md", common::BIN),
        ]);
        assert!(cmd.status().unwrap().success());
        assert_eq!(mode(&fresh), 0o644, "a new file follows the umask");
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o640)).unwrap();
        repo.ledger_ok(&["export", "-o", "out/fresh.md"]);
        assert_eq!(mode(&fresh), 0o640, "a replaced file keeps its mode");
        std::fs::remove_file(&fresh).unwrap();
    }
    let quiet = repo.ledger_ok(&["-q", "export", "--format", "html", "-o", "out/board.html"]);
    assert_eq!(quiet.stdout, "");
    well_formed(&std::fs::read_to_string(out_dir.join("board.html")).unwrap()).unwrap();
}

#[test]
fn an_empty_ledger_exports_cleanly() {
    let repo = Repo::new();
    let md = repo.ledger_ok(&["export"]).stdout;
    assert!(md.contains("## Legend"));
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    well_formed(&html).unwrap();
    assert!(html.contains("No events yet."));
    assert_eq!(
        repo.ledger_json(&["export"])["steps"],
        serde_json::json!([])
    );
}

#[test]
fn the_well_formedness_checker_rejects_broken_html() {
    well_formed("<!DOCTYPE html><html><body><p class=\"a\">x &amp; y<br></p></body></html>")
        .unwrap();
    for broken in [
        "<p>a</b>",
        "<p>a & b</p>",
        "<div><p>open</div>",
        "<p>",
        "<a href=x>y</a>",
        "<p>1 < 2</p>",
        "<p>2 > 1</p>",
        "<p title=\"<b>\">x</p>",
    ] {
        assert!(well_formed(broken).is_err(), "accepted {broken}");
    }
}

/// A small checker: every tag closed in order, attributes quoted, `&` only
/// in entities, no stray `<` or `>` in text, `<style>` as raw text.
fn well_formed(html: &str) -> Result<(), String> {
    const VOID: &[&str] = &[
        "meta", "br", "hr", "img", "input", "link", "wbr", "source", "col", "area", "base",
    ];
    let b = html.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut i = 0;
    let line = |at: usize| html[..at].matches('\n').count() + 1;
    let entity_ok = |at: usize| {
        let rest = &html[at + 1..];
        let end = rest.find(';').unwrap_or(usize::MAX);
        end < 10 && {
            let name = &rest[..end];
            (name.starts_with('#')
                && name[1..].chars().all(|c| c.is_ascii_digit())
                && name.len() > 1)
                || (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
        }
    };
    while i < b.len() {
        match b[i] {
            b'<' if html[i..].starts_with("<!--") => {
                i += html[i..].find("-->").ok_or("unclosed comment")? + 3;
            }
            b'<' if html[i..].starts_with("<!DOCTYPE") => {
                i += html[i..].find('>').ok_or("unclosed doctype")? + 1;
            }
            b'<' => {
                let end = i + html[i..]
                    .find('>')
                    .ok_or(format!("unclosed tag at line {}", line(i)))?;
                let inner = &html[i + 1..end];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim();
                    match stack.pop() {
                        Some(open) if open == name => {}
                        other => {
                            return Err(format!("</{name}> closes {other:?} at line {}", line(i)));
                        }
                    }
                } else {
                    let name: String = inner
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    if name.is_empty() {
                        return Err(format!("stray '<' at line {}", line(i)));
                    }
                    check_attributes(&inner[name.len()..])
                        .map_err(|e| format!("{e} at line {}", line(i)))?;
                    if name == "style" || name == "script" {
                        let close = format!("</{name}>");
                        let body = end + 1;
                        i = body + html[body..].find(&close).ok_or("unclosed style")? + close.len();
                        continue;
                    }
                    if !VOID.contains(&name.as_str()) {
                        stack.push(name);
                    }
                }
                i = end + 1;
            }
            b'>' => return Err(format!("stray '>' at line {}", line(i))),
            b'&' if !entity_ok(i) => return Err(format!("bare '&' at line {}", line(i))),
            _ => i += 1,
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {stack:?}"))
    }
}

fn check_attributes(s: &str) -> Result<(), String> {
    let mut rest = s.trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad attribute name {name:?}"));
        }
        rest = rest[name_end..].trim_start();
        if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            let q = v
                .chars()
                .next()
                .filter(|c| *c == '"')
                .ok_or("unquoted attribute value")?;
            let close = v[1..].find(q).ok_or("unclosed attribute value")?;
            let value = &v[1..1 + close];
            if value.contains('<') || value.contains('>') {
                return Err(format!("raw markup in attribute {value:?}"));
            }
            rest = v[close + 2..].trim_start();
        }
    }
    Ok(())
}

#[test]
fn export_o_replaced_symlinks_fifos_and_devices_with_regular_files() {
    use std::os::unix::fs::FileTypeExt;
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S01", "First"]);
    let p = |n: &str| repo.path().join(n);
    // Through a symlink, as an editor writes: the link stays, its target changes.
    std::fs::create_dir(p("docs")).unwrap();
    std::fs::write(p("docs/LEDGER.md"), "old\n").unwrap();
    std::os::unix::fs::symlink("docs/LEDGER.md", p("LEDGER.md")).unwrap();
    repo.ledger_ok(&["export", "-o", "LEDGER.md"]);
    assert!(
        std::fs::symlink_metadata(p("LEDGER.md"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(p("docs/LEDGER.md"))
            .unwrap()
            .contains("S01")
    );
    // A dangling symlink: its target is created.
    std::os::unix::fs::symlink("docs/NEW.md", p("new.md")).unwrap();
    repo.ledger_ok(&["export", "-o", "new.md"]);
    assert!(
        std::fs::read_to_string(p("docs/NEW.md"))
            .unwrap()
            .contains("S01")
    );
    // A FIFO, a device, a directory: refused, left as they are.
    let fifo = p("pipe.md");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (target, what) in [
        ("pipe.md", "it is a FIFO"),
        ("/dev/null", "it is a device"),
        ("docs", "it is a directory"),
    ] {
        let r = repo.ledger(&["export", "-o", target]);
        assert_eq!(r.code, 2, "{target}: {}", r.stderr);
        assert!(r.stderr.contains(what), "{target}: {}", r.stderr);
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // A symlink to a device is refused too, naming where it points.
    std::os::unix::fs::symlink("/dev/null", p("null.md")).unwrap();
    let r = repo.ledger(&["export", "-o", "null.md"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("(a symlink to /dev/null)"),
        "{}",
        r.stderr
    );
    // `-o -` is stdout; no file named '-' appears.
    let r = repo.ledger_ok(&["export", "-o", "-"]);
    assert!(r.stdout.contains("S01"));
    assert!(!p("-").exists());
}

#[test]
fn board_phases_keep_the_order_the_ledger_first_named_them() {
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S1", "One", "--phase", "Setup"]);
    repo.ledger_ok(&["add", "S2", "Two", "--phase", "Build"]);
    // Moving the first step to a later phase does not reorder the phases.
    repo.ledger_ok(&["edit", "S1", "--phase", "Build"]);
    repo.ledger_ok(&["add", "S3", "Three", "--phase", "Setup"]);
    repo.ledger_ok(&["add", "S4", "Four"]);
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("<h3>Setup ") < at("<h3>Build "));
    assert!(
        at("<h3>Build ") < at("<h3>(no phase) "),
        "no phase comes last"
    );
    // Each step under its own phase, in the order they were defined.
    let rows = [
        "<h3>Setup ",
        "id=\"step-S3\"",
        "<h3>Build ",
        "id=\"step-S1\"",
        "id=\"step-S2\"",
        "<h3>(no phase) ",
        "id=\"step-S4\"",
    ];
    assert!(rows.windows(2).all(|w| at(w[0]) < at(w[1])), "{html}");
    assert!(
        html.contains("edited phase: Setup → Build"),
        "the edit says what changed"
    );
    let phases: Vec<Value> = repo.ledger_json(&["export"])["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].clone())
        .collect();
    assert_eq!(phases, [Value::from("Setup"), "Build".into(), Value::Null]);
}

#[test]
fn board_links_to_the_forge_without_credentials_and_shows_retired_steps_on_request() {
    let repo = built_ledger();
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://ci-bot:hunter2@gitlab.com/acme/platform/shop.git",
    ]);
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    let head = repo.head();
    assert!(html.contains(&format!(
        "<a href=\"https://gitlab.com/acme/platform/shop/-/commit/{head}\""
    )));
    assert!(html.contains(&format!(
        "href=\"https://gitlab.com/acme/platform/shop/-/blob/{head}/src/storage/spaces.rs\""
    )));
    assert!(!html.contains("hunter2") && !html.contains("ci-bot"));
    assert!(!html.contains("S07"), "retired steps stay out by default");
    let all = repo
        .ledger_ok(&["export", "--format", "html", "--all"])
        .stdout;
    assert!(all.contains("id=\"step-S07\"") && all.contains("(retired)"));

    repo.git(&[
        "config",
        "ledger.webUrl",
        "https://git.example.com/team/shop",
    ]);
    let html = repo.ledger_ok(&["export", "--format", "html"]).stdout;
    assert!(html.contains(&format!(
        "href=\"https://git.example.com/team/shop/commit/{head}\""
    )));
    repo.git(&["config", "ledger.webUrl", "ftp://nope"]);
    let bad = repo.ledger_ok(&["export", "--format", "html"]);
    assert!(
        bad.stderr
            .contains("ledger.webUrl 'ftp://nope' is not an https URL"),
        "{}",
        bad.stderr
    );
    assert!(!bad.stdout.contains("href=\"ftp"));
}
