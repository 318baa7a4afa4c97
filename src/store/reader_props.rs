//! Property tests of the notes reader: whatever a note holds — random
//! bytes, truncated or mistyped events, huge numbers, deep JSON, megabyte
//! lines — `parse_notes` and the fold never panic, every line is either
//! an event, blank or reported, and the next append keeps every line of
//! the note byte for byte.

use super::notes::parse_notes;
use super::{Draft, append};
use crate::ledger::record::{Record, Stored};
use crate::ledger::{Event, Kind, fold_events};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeMap;

/// A well-formed event line to damage.
fn event_line(step: &str, kind: &str, seq: u64) -> String {
    serde_json::json!({
        "v": 1, "id": format!("{seq:032x}"), "seq": seq, "at": "2026-01-02T03:04:05Z",
        "by": "Ada <ada@example.com>", "step": step, "kind": kind, "source": "cli",
        "title": "T", "status": "verified", "owns": ["src/**"], "checks": ["make"],
        "result": "pass", "fingerprint": "ab", "files": ["a"],
    })
    .to_string()
}

const KINDS: &[&str] = &[
    "define", "retire", "status", "evidence", "ack", "note", "vote",
];
const STATUSES: &[&str] = &["verified", "drift_detected", "in_progress", "nope", ""];

/// Values of every JSON type, including the awkward ones.
fn any_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1.5e300)),
        ".{0,12}".prop_map(Value::from),
        prop::collection::vec(".{0,6}".prop_map(Value::from), 0..4).prop_map(Value::from),
        Just(json!({"cmd": 5, "exit": "x", "timed_out": "no"})),
        Just(json!([{"exit": 0}, 7, null])),
    ]
}

/// One line a note might hold.
fn any_line() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "v",
        "id",
        "seq",
        "at",
        "by",
        "step",
        "kind",
        "source",
        "run",
        "prev",
        "title",
        "status",
        "owns",
        "checks",
        "files",
        "result",
        "fingerprint",
        "tree",
        "evidence",
        "msg",
        "dirty",
    ]);
    prop_oneof![
        // random text (what a hand edit or another tool leaves)
        ".{0,80}",
        // a real event with one field replaced by any value
        (prop::sample::select(KINDS), field, any_value(), 0u64..50).prop_map(
            |(kind, key, value, seq)| {
                let mut v: serde_json::Value =
                    serde_json::from_str(&event_line("S1", kind, seq)).unwrap_or_default();
                v[key] = value;
                v.to_string()
            }
        ),
        // a real event cut short anywhere
        (prop::sample::select(KINDS), 0usize..300).prop_map(|(kind, cut)| {
            let line = event_line("S2", kind, 3);
            line.chars().take(cut).collect()
        }),
        // huge and odd numbers where numbers go
        prop::sample::select(vec![
            r#"{"v":1,"id":"a","seq":18446744073709551615,"at":"x","step":"S1","kind":"status","status":"verified"}"#,
            r#"{"v":1,"id":"b","seq":1e999,"at":"x","step":"S1","kind":"define"}"#,
            r#"{"v":18446744073709551616,"id":"c","seq":1,"at":"x","step":"S1","kind":"note"}"#,
            r#"{"v":-1,"id":"d","seq":-5,"at":"x","step":"S1","kind":"note"}"#,
            r#"{"v":1,"id":"e","seq":1,"at":"99999-99-99T99:99:99Z","step":"S1","kind":"status","status":"verified"}"#,
        ])
        .prop_map(str::to_string),
        // statuses that are not statuses
        (prop::sample::select(STATUSES), 0u64..9).prop_map(|(st, seq)| {
            let mut v: serde_json::Value =
                serde_json::from_str(&event_line("S3", "status", seq)).unwrap_or_default();
            v["status"] = st.into();
            v.to_string()
        }),
        // JSON nested deeper than any parser should follow
        (1usize..400).prop_map(|depth| {
            format!(
                r#"{{"v":1,"id":"f","seq":1,"at":"x","step":"S1","kind":"note","msg":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        }),
    ]
}

fn note_of(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[test]
fn the_reader_and_the_fold_take_any_note_without_panicking() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let notes = prop::collection::vec(prop::collection::vec(any_line(), 0..12), 1..4);
    runner
        .run(&notes, |notes| {
            let texts: BTreeMap<String, String> = notes
                .iter()
                .enumerate()
                .map(|(i, lines)| (format!("{i:040x}"), note_of(lines)))
                .collect();
            let (events, skipped) = parse_notes(&texts);
            let lines: usize = texts.values().map(|t| t.lines().count()).sum();
            let blank: usize = texts
                .values()
                .map(|t| t.lines().filter(|l| l.trim().is_empty()).count())
                .sum();
            // Every line is an event, blank, or reported: none vanishes.
            prop_assert_eq!(events.len() + skipped.len() + blank, lines);
            // The store's reader (typed records): the same accounting.
            let mut stored = Vec::new();
            let mut unread = 0;
            for (commit, text) in &texts {
                for line in text.lines() {
                    match Record::parse_line(line) {
                        Ok(record) => stored.push(Stored {
                            commit: commit.as_str().into(),
                            record,
                        }),
                        Err(crate::ledger::Skip::Blank) => {}
                        Err(_) => unread += 1,
                    }
                }
            }
            prop_assert_eq!(stored.len() + unread + blank, lines);
            let state = fold_events(stored);
            prop_assert!(state.steps.iter().all(|s| !s.id.is_empty()));
            Ok(())
        })
        .unwrap();
}

#[test]
fn megabyte_lines_and_random_bytes_are_read_and_kept() {
    let big_event = event_line("S1", "note", 1).replace(
        "\"title\":\"T\"",
        &format!("\"msg\":\"{}\"", "x".repeat(1 << 20)),
    );
    let big_garbage = "{".repeat(1 << 20);
    let texts: BTreeMap<String, String> = [
        (
            format!("{:040x}", 1),
            format!("{big_event}\n{big_garbage}\n"),
        ),
        (
            format!("{:040x}", 2),
            String::from_utf8_lossy(&[0xff, 0xfe, b'\n', 0, 1, 2]).into_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let (events, skipped) = parse_notes(&texts);
    assert_eq!(events.len(), 1);
    assert_eq!(skipped.len(), 3);
    let stored: Vec<Stored> = texts
        .iter()
        .flat_map(|(c, t)| t.lines().map(move |l| (c, l)))
        .filter_map(|(c, l)| {
            Record::parse_line(l).ok().map(|record| Stored {
                commit: c.as_str().into(),
                record,
            })
        })
        .collect();
    assert_eq!(stored.len(), 1);
    fold_events(stored);
}

/// A repository with one commit and an identity, for appends.
fn scratch_repo() -> (tempfile::TempDir, git2::Repository, git2::Oid) {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let repo = git2::Repository::init(dir.path()).expect("init");
    {
        let mut cfg = repo.config().expect("config");
        cfg.set_str("user.name", "Ada").expect("name");
        cfg.set_str("user.email", "ada@example.com").expect("email");
    }
    let sig = git2::Signature::now("Ada", "ada@example.com").expect("sig");
    let tree = repo
        .find_tree(
            repo.treebuilder(None)
                .and_then(|b| b.write())
                .expect("tree"),
        )
        .expect("tree");
    let head = repo
        .commit(Some("HEAD"), &sig, &sig, "Initial", &tree, &[])
        .expect("commit");
    drop(tree);
    (dir, repo, head)
}

#[test]
fn the_next_append_keeps_every_line_of_any_note_byte_for_byte() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let raw_line = prop_oneof![
        any_line().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>().prop_filter("one line", |b| *b != b'\n'), 0..60),
    ];
    let notes = prop::collection::vec(raw_line, 0..10);
    runner
        .run(&notes, |lines| {
            let (_dir, repo, head) = scratch_repo();
            let mut before = lines.join(&b'\n');
            before.push(b'\n');
            let sig = git2::Signature::now("Ada", "ada@example.com").expect("sig");
            repo.note(
                &sig,
                &sig,
                Some("refs/notes/ledger"),
                head,
                "placeholder",
                true,
            )
            .expect("note");
            // Replace the note's blob with the raw bytes (git notes would
            // refuse none of them either).
            let tip = repo.refname_to_id("refs/notes/ledger").expect("tip");
            let mut additions = BTreeMap::new();
            additions.insert(head.to_string(), before.clone());
            let tree = super::notes::write_tree(&repo, None, &additions).expect("tree");
            let tree = repo.find_tree(tree).expect("tree");
            let parent = repo.find_commit(tip).expect("parent");
            let tip = repo
                .commit(None, &sig, &sig, "raw", &tree, &[&parent])
                .expect("commit");
            repo.reference("refs/notes/ledger", tip, true, "raw")
                .expect("ref");

            let event = Event::draft(
                "S77",
                Kind::Note,
                "2026-01-02T03:04:05Z".into(),
                "Ada <ada@example.com>".into(),
                "cli",
            )
            .with("msg", "appended");
            let written = append(&repo, "test: append", |_| {
                Ok(vec![Draft::new(head, event.clone())])
            })
            .expect("append");
            prop_assert_eq!(written.len(), 1);
            let tip = repo.refname_to_id("refs/notes/ledger").expect("tip");
            let after =
                super::notes::note_bytes(&repo, Some(tip), &head.to_string()).expect("note");
            prop_assert!(after.starts_with(&before), "a line of the note changed");
            let added = String::from_utf8_lossy(&after[before.len()..]).into_owned();
            prop_assert!(added.contains("\"msg\":\"appended\""), "{}", added);
            Ok(())
        })
        .unwrap();
}
