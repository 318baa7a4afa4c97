//! Property tests of the markdown reader: no input makes it panic, and
//! `import(export(x)) == x` for generated ledgers.
//!
//! Seeded and bounded, so `cargo test` runs a few thousand documents in
//! seconds. A deep run: `GIT_LEDGER_FUZZ_CASES=200000 cargo test --release
//! markdown::fuzz` (see bench/fuzz.sh).

use super::board::{Board, BoardStep};
use super::events::{self, Context};
use super::model::Options;
use super::{export_md, read, report};
use crate::ledger::{Event, Kind, Located, Status, fold_events};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

fn cases(default: u32) -> u32 {
    std::env::var("GIT_LEDGER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(0x6c65_6467_6572),
        failure_persistence: None,
        ..Config::default()
    })
}

/// The documents mutations start from: the fixtures, a few shapes the
/// reader handles, and the shared corpus of real ledgers when it is there.
fn seeds() -> Vec<String> {
    let mut out: Vec<String> = [
        include_str!("../../tests/fixtures/import/sections.md"),
        include_str!("../../tests/fixtures/import/checklist.md"),
        include_str!("../../tests/fixtures/import/tables.md"),
        include_str!("../../tests/fixtures/import/conflict.md"),
        "# Step 1\n## Tests\nto\u{2011}\n",
        "## G0 — Skeleton\n\n| 时间 | 状态 | 说明 |\n|---|---|---|\n| 2026-01-05 | completed | 完成 |\n",
        "## Phase 3.1: Setup ✅ COMPLETE\n\n- [x] T001: Structure\n- [+] T002 Second\n- [x] Add [md#004](t.md)\n",
        "## 1. Setup\n\nReference: PLAN.MD lines 1-2\n\n- [x] `src/a.py`\n- [ ] `src/b.py`\n\nTitle\n=====\n\n    - [x] **M1.1: Indented**\n",
        "## 2026-01-25 — Log\n\n- **Action**: did it\n- [x] **M4.1 & M4.2: Done**\n\n### Verification history\n\n- [x] Verified on 2026-01-10 by run r1\n  Notes: ok\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if let Ok(dir) = std::fs::read_dir(corpus) {
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md"))
        {
            if let Ok(text) = std::fs::read_to_string(f) {
                out.push(text);
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Insert a multi-byte character at a byte offset (to the next boundary).
    Insert(usize, char),
    Truncate(usize),
    Crlf,
    LongLine(usize),
    /// Nest a line `n` levels deep in quotes or list indentation.
    Nest(usize, usize, bool),
    UnclosedFence(usize),
    Nul(usize),
    /// Bytes that are not UTF-8, read back lossily as the reader would never
    /// see them (the CLI refuses such files), to shake the parser anyway.
    InvalidUtf8(usize),
    Token(usize, &'static str),
    DuplicateLine(usize),
}

const CHARS: &[char] = &[
    'é', '\u{2011}', '–', '—', '测', '🚀', '✅', '🟡', '\u{fe0f}', '\u{200d}', 'ü', '\u{a0}', '│',
];
const TOKENS: &[&str] = &[
    "- [",
    "- [x] ",
    "**",
    "__",
    "_",
    "`",
    "```",
    "|",
    "|---|",
    "<!--",
    "-->",
    "#",
    "## Step S",
    "> ",
    "[",
    "](",
    "\\",
    "<<<<<<< HEAD\n",
    "=======\n",
    ">>>>>>> b\n",
    "    ",
    "\t",
    "1. ",
    "*",
    "~~",
    "**Status:** ",
    "- **Files touched:**\n  - ",
    "Verified on 2026-01-0",
    "(#1)",
    "[md#1](x)",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(CHARS)).prop_map(|(o, c)| Mutation::Insert(o, c)),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::Crlf),
        (1usize..20_000).prop_map(Mutation::LongLine),
        (any::<usize>(), 1usize..300, any::<bool>()).prop_map(|(l, n, q)| Mutation::Nest(l, n, q)),
        any::<usize>().prop_map(Mutation::UnclosedFence),
        any::<usize>().prop_map(Mutation::Nul),
        any::<usize>().prop_map(Mutation::InvalidUtf8),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(o, t)| Mutation::Token(o, t)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn boundary(s: &str, offset: usize) -> usize {
    let mut o = if s.is_empty() {
        0
    } else {
        offset % (s.len() + 1)
    };
    while !s.is_char_boundary(o) {
        o -= 1;
    }
    o
}

fn line_start(s: &str, line: usize) -> usize {
    let n = s.lines().count().max(1);
    let target = line % n;
    s.match_indices('\n')
        .nth(target.wrapping_sub(1))
        .map_or(0, |(i, _)| i + 1)
}

fn apply(doc: &mut String, m: &Mutation) {
    match m {
        Mutation::Insert(o, c) => {
            let at = boundary(doc, *o);
            doc.insert(at, *c);
        }
        Mutation::Truncate(o) => {
            let at = boundary(doc, *o);
            doc.truncate(at);
        }
        Mutation::Crlf => *doc = doc.replace('\n', "\r\n"),
        Mutation::LongLine(n) => {
            let at = line_start(doc, *n);
            let long: String = "ab│c ".repeat(*n / 5 + 1);
            doc.insert_str(at, &format!("- [x] T9 {long}\n"));
        }
        Mutation::Nest(l, n, quote) => {
            let at = line_start(doc, *l);
            let prefix = if *quote {
                "> ".repeat(*n)
            } else {
                "  ".repeat(*n) + "- "
            };
            doc.insert_str(at, &format!("{prefix}- [x] **N1: nested**\n"));
        }
        Mutation::UnclosedFence(l) => {
            let at = line_start(doc, *l);
            doc.insert_str(at, "```bash\n");
        }
        Mutation::Nul(o) => {
            let at = boundary(doc, *o);
            doc.insert(at, '\0');
        }
        Mutation::InvalidUtf8(o) => {
            let mut bytes = std::mem::take(doc).into_bytes();
            let at = if bytes.is_empty() { 0 } else { o % bytes.len() };
            bytes.insert(at, 0xff);
            bytes.insert(at, 0xc3);
            *doc = String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::Token(o, t) => {
            let at = boundary(doc, *o);
            doc.insert_str(at, t);
        }
        Mutation::DuplicateLine(l) => {
            let at = line_start(doc, *l);
            let line: String = doc[at..].lines().next().unwrap_or("").to_string();
            doc.insert_str(at, &format!("{line}\n"));
        }
    }
}

/// Everything import does with a document, short of writing.
fn read_all_the_way(doc: &str, auto: bool) {
    let opts = Options {
        auto_ids: auto,
        id_prefix: if auto { "A-".into() } else { String::new() },
        ..Options::default()
    };
    let mut parsed = read::parse(doc, &opts);
    super::auto_ids::settle(&mut parsed, &[]);
    let ident = |s: &str| s.to_string();
    let ctx = Context {
        by: "A <a@x>".into(),
        now: "2026-02-01T00:00:00Z".into(),
        redact: &ident,
    };
    let planned = events::plan(&parsed, &ctx);
    let out = report::Outcome {
        planned: planned.len(),
        ..report::Outcome::default()
    };
    let _ = report::to_json("f.md", &parsed, &out);
    let _ = report::to_text("f.md", &parsed, &out);
}

#[test]
fn no_mutated_document_makes_the_reader_panic() {
    let seeds = seeds();
    let n = seeds.len();
    let strategy = (0..n, prop::collection::vec(mutation(), 1..6), any::<bool>());
    runner(cases(3_000))
        .run(&strategy, |(seed, muts, auto)| {
            let mut doc = seeds[seed].clone();
            for m in &muts {
                apply(&mut doc, m);
            }
            read_all_the_way(&doc, auto);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn pathological_documents_do_not_panic() {
    let deep_quotes = format!("{}- [x] T1 Deep\n", "> ".repeat(20_000));
    let deep_list: String = (0..2_000)
        .map(|i| format!("{}- [x] T{i} x\n", "  ".repeat(i)))
        .collect();
    let many_fences = "```\n".repeat(5_000);
    let emphasis = "*_".repeat(20_000);
    let brackets = "[".repeat(20_000) + &"]".repeat(20_000);
    let table = format!("| a |\n|---|\n{}", "| x |\n".repeat(20_000));
    for doc in [
        deep_quotes,
        deep_list,
        many_fences,
        emphasis,
        brackets,
        table,
    ] {
        read_all_the_way(&doc, true);
    }
}

// ------------------------------------------------------------ round trip

#[derive(Debug, Clone)]
struct GenStep {
    title: String,
    phase: Option<String>,
    owns: Vec<String>,
    checks: Vec<String>,
    /// Status changes in order; the last is the step's status.
    statuses: Vec<Status>,
}

fn title() -> impl Strategy<Value = String> {
    let first = prop::sample::select(vec!['A', 'b', 'Z', '7', 'é', '测']);
    let rest = prop::collection::vec(
        prop::sample::select(vec![
            'a', 'b', 'c', 'X', '1', ' ', '-', 'é', '测', '🚀', '–', '\u{2011}', '*', '_', '<',
            '>', '&', '#', '[', ']', '|', '!', '~', '`', '"', '\'', '(', ')', ':', '.', '/', '✅',
        ]),
        0..30,
    );
    (first, rest).prop_map(|(f, r)| {
        let s: String = std::iter::once(f).chain(r).collect();
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    })
}

fn gen_step() -> impl Strategy<Value = GenStep> {
    let status = prop::sample::select(Status::ALL.to_vec());
    (
        title(),
        prop::option::of(prop_oneof![
            (1u8..9).prop_map(|n| format!("Phase {n}")),
            title()
        ]),
        prop::collection::vec("[a-z]{1,6}/(\\*\\*|[a-z]{1,5}\\.rs)", 0..3),
        prop::collection::vec("(make|cargo test -p) [a-z]{1,6}", 0..3),
        prop::collection::vec(status, 1..5),
    )
        .prop_map(|(title, phase, mut owns, mut checks, statuses)| {
            // The ledger's own lists hold no duplicates; import keeps it so.
            owns.dedup();
            checks.dedup();
            owns.sort();
            owns.dedup();
            checks.sort();
            checks.dedup();
            GenStep {
                title,
                phase,
                owns,
                checks,
                statuses,
            }
        })
}

/// The events a ledger of `steps` would hold; several changes share a
/// minute, as real ones do.
fn ledger_events(steps: &[GenStep]) -> Vec<Located> {
    let commit = "0123456789abcdef0123456789abcdef01234567".to_string();
    let mut seq = 0;
    let mut out = Vec::new();
    let mut push = |mut e: Event| {
        seq += 1;
        e.seq = seq;
        e.id = e.content_id();
        out.push(Located {
            commit: commit.clone(),
            event: e,
        });
    };
    for (i, s) in steps.iter().enumerate() {
        // Every id form the ledger may hold, including those that need
        // quoting to read back (`16` would be `Step-16` after "Step").
        let id = match i % 6 {
            0 => format!("S{i:02}"),
            1 => format!("{i}"),
            2 => format!("md#{i:03}"),
            3 => format!("Week-{i}-{}", i + 1),
            4 => format!("Phase-{i}"),
            _ => format!("{i}.{i}"),
        };
        let mut d = Event::draft(
            &id,
            Kind::Define,
            "2026-01-01T00:00:00Z".into(),
            "A <a@x>".into(),
            "cli",
        )
        .with("title", s.title.clone());
        if let Some(p) = &s.phase {
            d = d.with("phase", p.clone());
        }
        if !s.owns.is_empty() {
            d = d.with("owns", s.owns.clone());
        }
        if !s.checks.is_empty() {
            d = d.with("checks", s.checks.clone());
        }
        push(d);
        for (k, st) in s.statuses.iter().enumerate() {
            let at = format!("2026-01-02T10:00:{:02}Z", (k * 7) % 60);
            push(
                Event::draft(&id, Kind::Status, at, "A <a@x>".into(), "cli")
                    .with("status", st.as_str()),
            );
        }
    }
    out
}

#[test]
fn import_of_export_gives_back_the_same_ledger() {
    runner(cases(500))
        .run(&prop::collection::vec(gen_step(), 1..6), |steps| {
            let events = ledger_events(&steps);
            let state = fold_events(
                events
                    .iter()
                    .filter_map(|l| {
                        Some(crate::ledger::record::Stored {
                            commit: l.commit.as_str().into(),
                            record: crate::ledger::record::Record::from_event(&l.event).ok()?,
                        })
                    })
                    .collect(),
            );
            let board_steps: Vec<BoardStep<'_>> = state
                .active_steps()
                .into_iter()
                .map(|s| BoardStep {
                    state: s,
                    status: s.status,
                    live_drift: false,
                    drift_files: vec![],
                    unscoped: s.def.owns.is_empty(),
                    last_evidence: None,
                    tests_note: None,
                    history: events
                        .iter()
                        .filter(|l| {
                            l.event.step == s.id
                                && l.event.kind == Kind::Status
                                && matches!(
                                    l.event.str_field("status").and_then(Status::parse),
                                    Some(Status::Verified | Status::DriftDetected)
                                )
                        })
                        .collect(),
                    detail: Default::default(),
                })
                .collect();
            let board = Board {
                project: "p".into(),
                head: "0123456789abcdef".into(),
                exported_at: "2026-02-01T00:00:00Z".into(),
                steps: board_steps,
                timeline: &[],
                events: events.len(),
                context: Default::default(),
            };
            let md = export_md::render(&board);
            let parsed = read::parse(&md, &Options::default());
            let want: Vec<_> = board
                .steps
                .iter()
                .map(|b| {
                    let d = &b.state.def;
                    (
                        b.state.id.clone(),
                        d.title.clone(),
                        Some(b.status),
                        d.phase.clone(),
                        d.owns.clone(),
                        d.checks.clone(),
                    )
                })
                .collect();
            let got: Vec<_> = parsed
                .steps
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        s.title.clone(),
                        s.final_status(),
                        s.phase.clone(),
                        s.owns.clone(),
                        s.checks.clone(),
                    )
                })
                .collect();
            prop_assert_eq!(got, want, "exported:\n{}", md);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
