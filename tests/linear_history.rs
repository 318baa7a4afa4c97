//! A ledger written before the ledger was read as seen from a commit
//! (SPEC 2.5) reads exactly as it did, on its linear history: every value
//! git-ledger 0.1.0 printed for it is still printed (new keys may be added).

mod common;

use common::Repo;
use serde_json::Value;
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/linear-0.1")
        .join(name)
}

/// `old`'s every key, value and array element, in `new`.
fn assert_keeps(old: &Value, new: &Value, path: &str) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                let Some(nv) = n.get(k) else {
                    panic!("{path}.{k} is gone; it was {v}");
                };
                assert_keeps(v, nv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            assert_eq!(
                o.len(),
                n.len(),
                "{path}: {} items, was {}",
                n.len(),
                o.len()
            );
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                assert_keeps(a, b, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(old, new, "{path} changed"),
    }
}

#[test]
fn an_old_ledger_on_a_linear_history_reads_exactly_as_before() {
    let r = Repo::empty();
    let bundle = fixture("ledger.bundle");
    let bundle = bundle.to_str().unwrap();
    r.git(&[
        "fetch",
        "-q",
        bundle,
        "refs/heads/main:refs/remotes/fixture/main",
    ]);
    r.git(&[
        "fetch",
        "-q",
        bundle,
        "refs/notes/ledger:refs/notes/ledger",
        "refs/tags/*:refs/tags/*",
    ]);
    r.git(&["reset", "-q", "--hard", "fixture/main"]);
    let cases: [(&str, &[&str]); 8] = [
        ("status.json", &["--json", "status", "--all"]),
        ("show-S01.json", &["--json", "show", "S01"]),
        ("show-S02.json", &["--json", "show", "S02"]),
        ("log.json", &["--json", "log"]),
        ("next.json", &["--json", "next"]),
        ("check.json", &["--json", "check", "--no-record"]),
        ("owners.json", &["--json", "owners", "src/storage/store.py"]),
        ("export.json", &["export", "--format", "json"]),
    ];
    for (golden, args) in cases {
        let out = r.ledger(args);
        assert!(
            out.code == 0 || golden == "check.json",
            "{args:?}: {}",
            out.stderr
        );
        let mut old: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture(golden)).unwrap()).unwrap();
        // Where and when the export was made.
        if let Some(o) = old.as_object_mut() {
            o.remove("project");
            o.remove("exported_at");
        }
        assert_keeps(&old, &out.json(), golden);
    }
}
