use super::*;
use crate::ledger::Kind;
use serde_json::Value;

fn ev(seq: u64, step: &str, kind: Kind) -> Event {
    let mut e = Event::draft(
        step,
        kind,
        format!("2026-01-01T00:00:{seq:02}Z"),
        "A <a@x>".into(),
        "cli",
    );
    e.seq = seq;
    e
}

fn at(commit: &str, mut e: Event) -> Stored {
    e.id = e.content_id();
    stored(commit, e)
}

fn stored(commit: &str, e: Event) -> Stored {
    Stored {
        commit: commit.into(),
        record: Record::from_event(&e).unwrap(),
    }
}

fn define(seq: u64, step: &str, title: &str) -> Stored {
    at("c1", ev(seq, step, Kind::Define).with("title", title))
}

fn status(seq: u64, step: &str, s: &str) -> Stored {
    at("c2", ev(seq, step, Kind::Status).with("status", s))
}

#[test]
fn order_of_input_does_not_matter() {
    let evs = vec![
        define(1, "S01", "One"),
        define(2, "S02", "Two"),
        status(3, "S01", "in_progress"),
        status(4, "S01", "verified"),
        status(5, "S02", "done"),
    ];
    let mut reversed = evs.clone();
    reversed.reverse();
    let a = fold_events(evs);
    assert_eq!(a, fold_events(reversed));
    assert_eq!(a.step("S01").unwrap().status, Status::Verified);
    assert_eq!(
        a.step("S02").unwrap().status,
        Status::CompletedPendingVerification
    );
    let order: Vec<&str> = a.active_steps().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order, ["S01", "S02"]);
    assert_eq!(a.max_seq, 5);
}

#[test]
fn duplicate_ids_count_once() {
    let s = status(3, "S01", "verified");
    let mut copy = s.clone();
    copy.commit = "c9".into();
    let st = fold_events(vec![define(1, "S01", "One"), s, copy]);
    assert_eq!(st.events, 2);
    assert_eq!(st.step("S01").unwrap().mark.as_ref().unwrap().commit, "c2");
}

#[test]
fn define_replaces_present_fields_and_keeps_absent_ones() {
    let first = at(
        "c1",
        ev(1, "S01", Kind::Define)
            .with("title", "One")
            .with("owns", vec!["src/**"])
            .with("phase", "P1"),
    );
    let edit = at(
        "c1",
        ev(2, "S01", Kind::Define).with("checks", vec!["make test"]),
    );
    let clear = at("c1", ev(3, "S01", Kind::Define).with("phase", Value::Null));
    let st = fold_events(vec![first.clone(), edit.clone()]);
    let d = &st.step("S01").unwrap().def;
    assert_eq!(
        (d.title.as_str(), d.owns.len(), d.checks.len()),
        ("One", 1, 1)
    );
    assert_eq!(d.phase.as_deref(), Some("P1"));
    let st = fold_events(vec![first, edit, clear]);
    assert_eq!(st.step("S01").unwrap().def.phase, None);
}

#[test]
fn retire_hides_and_define_revives() {
    let retire = at("c1", ev(2, "S01", Kind::Retire));
    let st = fold_events(vec![define(1, "S01", "One"), retire.clone()]);
    assert!(st.active_steps().is_empty());
    assert_eq!(st.defined_steps().len(), 1);
    let st = fold_events(vec![
        define(1, "S01", "One"),
        retire,
        define(3, "S01", "Again"),
    ]);
    assert_eq!(st.active_steps()[0].def.title, "Again");
}

#[test]
fn verified_sets_baseline_and_ack_moves_it() {
    let verified = at(
        "c2",
        ev(2, "S01", Kind::Status)
            .with("status", "verified")
            .with("fingerprint", "f1"),
    );
    let ack = at("c3", ev(3, "S01", Kind::Ack).with("fingerprint", "f2"));
    let st = fold_events(vec![define(1, "S01", "One"), verified, ack]);
    let s = st.step("S01").unwrap();
    assert_eq!(s.status, Status::Verified);
    let b = s.baseline.as_ref().unwrap();
    assert_eq!(
        (b.fingerprint.as_deref(), b.commit.as_str()),
        (Some("f2"), "c3")
    );
}

#[test]
fn seq_then_at_then_id_decides_order() {
    // Same seq (two clones wrote concurrently): the later `at` wins.
    let mut a = ev(2, "S01", Kind::Status).with("status", "verified");
    a.at = "2026-01-01T00:00:10Z".into();
    let mut b = ev(2, "S01", Kind::Status).with("status", "drift_detected");
    b.at = "2026-01-01T00:00:20Z".into();
    let st = fold_events(vec![at("c", b), at("c", a), define(1, "S01", "One")]);
    assert_eq!(st.step("S01").unwrap().status, Status::DriftDetected);
}

#[test]
fn incremental_apply_matches_full_fold() {
    let evs = vec![
        define(1, "S01", "One"),
        status(2, "S01", "wip"),
        status(3, "S01", "done"),
    ];
    let mut st = fold_events(evs[..2].to_vec());
    assert!(st.follows(&evs[2].record));
    assert!(!st.follows(&evs[0].record));
    st.apply(&evs[2]);
    assert_eq!(st, fold_events(evs));
}

/// A hand-made history:
///
/// ```text
///   m1 ── m2 ── m3        (main)
///          \
///           f1 ── f2      (feature)
/// ```
struct Hist {
    seen: &'static [&'static str],
    fingerprints: &'static [(&'static str, &'static str)],
}

impl Viewpoint for Hist {
    fn sees(&self, commit: &str) -> bool {
        self.seen.contains(&commit)
    }
    fn fingerprint(&self, step: &str) -> Option<&str> {
        self.fingerprints
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, f)| *f)
    }
}

const MAIN: Hist = Hist {
    seen: &["m1", "m2", "m3"],
    fingerprints: &[("S01", "fp-main")],
};
const FEATURE: Hist = Hist {
    seen: &["m1", "m2", "f1", "f2"],
    fingerprints: &[("S01", "fp-feature")],
};

fn verified_at(commit: &str, seq: u64, fp: &str) -> Stored {
    at(
        commit,
        ev(seq, "S01", Kind::Status)
            .with("status", "verified")
            .with("fingerprint", fp),
    )
}

fn status_at(commit: &str, seq: u64, s: &str) -> Stored {
    at(commit, ev(seq, "S01", Kind::Status).with("status", s))
}

#[test]
fn the_plan_is_shared_by_every_branch() {
    let evs = vec![
        at("f1", ev(1, "S01", Kind::Define).with("title", "One")),
        at("m3", ev(2, "S02", Kind::Define).with("title", "Two")),
        at("f2", ev(3, "S02", Kind::Retire)),
    ];
    for view in [&MAIN as &dyn Viewpoint, &FEATURE] {
        let st = fold_at(evs.clone(), view);
        let ids: Vec<&str> = st.active_steps().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["S01"]);
        assert_eq!(st.step("S01").unwrap().status, Status::NotStarted);
    }
}

#[test]
fn progress_follows_the_code() {
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        status_at("f1", 2, "in_progress"),
        status_at("m2", 3, "done"),
    ];
    let main = fold_at(evs.clone(), &MAIN);
    assert_eq!(
        main.step("S01").unwrap().status,
        Status::CompletedPendingVerification
    );
    let feature = fold_at(evs, &FEATURE);
    // m2 is an ancestor of f1 too, and the later status wins there.
    assert_eq!(
        feature.step("S01").unwrap().status,
        Status::CompletedPendingVerification
    );
    let only_feature = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        status_at("f2", 2, "in_progress"),
    ];
    assert_eq!(
        fold_at(only_feature.clone(), &MAIN)
            .step("S01")
            .unwrap()
            .status,
        Status::NotStarted
    );
    assert_eq!(
        fold_at(only_feature, &FEATURE).step("S01").unwrap().status,
        Status::InProgress
    );
}

#[test]
fn verification_follows_the_content() {
    let define = at("m1", ev(1, "S01", Kind::Define).with("title", "One"));
    // Verified on the feature branch, for content main now has too (a
    // squash merge): it applies on main through its fingerprint.
    let squashed = Hist {
        seen: &["m1", "m2", "m3"],
        fingerprints: &[("S01", "fp-feature")],
    };
    let evs = vec![define.clone(), verified_at("f2", 2, "fp-feature")];
    let st = fold_at(evs.clone(), &squashed);
    let s = st.step("S01").unwrap();
    assert_eq!(s.status, Status::Verified);
    assert!(s.mark.as_ref().unwrap().by_content);
    assert_eq!(s.baseline.as_ref().unwrap().commit, "f2");
    // Main with other content does not see it.
    assert_eq!(
        fold_at(evs, &MAIN).step("S01").unwrap().status,
        Status::NotStarted
    );
}

#[test]
fn the_latest_applying_event_wins_whatever_branch_holds_it() {
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        status_at("m2", 2, "drift_detected"),
        // Later, elsewhere, verified for the content main has.
        verified_at("f2", 3, "fp-main"),
    ];
    assert_eq!(
        fold_at(evs.clone(), &MAIN).step("S01").unwrap().status,
        Status::Verified
    );
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        verified_at("f2", 2, "fp-main"),
        status_at("m3", 3, "drift_detected"),
    ];
    assert_eq!(
        fold_at(evs, &MAIN).step("S01").unwrap().status,
        Status::DriftDetected
    );
}

#[test]
fn a_verification_brings_its_evidence_and_acks_follow_content_too() {
    let mut evidence = ev(2, "S01", Kind::Evidence)
        .with("result", "pass")
        .with("fingerprint", "fp-main");
    evidence.id = evidence.content_id();
    let evidence_id = evidence.id.clone();
    let verified = at(
        "f1",
        ev(3, "S01", Kind::Status)
            .with("status", "verified")
            .with("fingerprint", "fp-old")
            .with("evidence", evidence_id.clone()),
    );
    let ack = at("f2", ev(4, "S01", Kind::Ack).with("fingerprint", "fp-main"));
    let other_evidence = at(
        "f2",
        ev(5, "S01", Kind::Evidence)
            .with("result", "fail")
            .with("fingerprint", "fp-main"),
    );
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        stored("f1", evidence),
        verified,
        ack,
        other_evidence,
    ];
    // At a commit whose content is the verified one, the verification and
    // the evidence that justified it apply; evidence alone does not.
    let view = Hist {
        seen: &["m1"],
        fingerprints: &[("S01", "fp-old")],
    };
    let st = fold_at(evs.clone(), &view);
    let s = st.step("S01").unwrap();
    assert_eq!(s.status, Status::Verified);
    assert_eq!(s.evidence.as_ref().unwrap().event, evidence_id);
    // An ack of the content seen moves the baseline there.
    let view = Hist {
        seen: &["m1", "f1"],
        fingerprints: &[("S01", "fp-main")],
    };
    let s = fold_at(evs, &view).step("S01").unwrap().clone();
    assert_eq!(
        s.baseline.as_ref().unwrap().fingerprint.as_deref(),
        Some("fp-main")
    );
    assert_eq!(s.evidence.as_ref().unwrap().event, evidence_id);
}

#[test]
fn duplicates_keep_the_copy_in_view() {
    let s = status_at("f1", 2, "done");
    let mut copy = s.clone();
    copy.commit = "m3".into();
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        s,
        copy,
    ];
    let main = fold_at(evs.clone(), &MAIN);
    assert_eq!(
        main.step("S01").unwrap().mark.as_ref().unwrap().commit,
        "m3"
    );
    assert_eq!(main.events, 2);
    let feature = fold_at(evs, &FEATURE);
    assert_eq!(
        feature.step("S01").unwrap().mark.as_ref().unwrap().commit,
        "f1"
    );
}

#[test]
fn on_a_linear_history_the_view_from_the_tip_is_the_whole_ledger() {
    let evs = vec![
        at("m1", ev(1, "S01", Kind::Define).with("title", "One")),
        status_at("m2", 2, "in_progress"),
        verified_at("m3", 3, "fp-main"),
        at("m3", ev(4, "S01", Kind::Ack).with("fingerprint", "fp-2")),
    ];
    let (view, all) = (fold_at(evs.clone(), &MAIN), fold_events(evs));
    assert_eq!(view.steps, all.steps);
    assert_eq!((view.max_seq, view.events), (all.max_seq, all.events));
}

#[test]
fn two_creations_with_different_definitions_are_a_collision_until_settled() {
    let a = at("m2", ev(1, "S05", Kind::Define).with("title", "Search"));
    let b = at("f1", ev(2, "S05", Kind::Define).with("title", "Billing"));
    let same = at("f2", ev(3, "S05", Kind::Define).with("title", "Search"));
    let st = fold_events(vec![a.clone(), b.clone(), same.clone()]);
    assert_eq!(st.collisions.len(), 1);
    let titles: Vec<&str> = st.collisions[0]
        .definitions
        .iter()
        .map(|d| d.title.as_str())
        .collect();
    assert_eq!(titles, ["Search", "Billing"]);
    // An edit (it names a `prev`) is not a creation.
    let edit = at(
        "m3",
        ev(4, "S05", Kind::Define)
            .with("title", "Search v2")
            .with("prev", "x"),
    );
    assert_eq!(
        fold_events(vec![a.clone(), edit.clone()]).collisions.len(),
        0
    );
    // An edit that settles both creations ends the collision.
    let settle = at(
        "m3",
        ev(5, "S05", Kind::Define)
            .with("title", "Search")
            .with("prev", "y")
            .with(
                "resolves",
                vec![a.record.id.to_string(), b.record.id.to_string()],
            ),
    );
    assert!(fold_events(vec![a, b, edit, settle]).collisions.is_empty());
}

#[test]
fn statuses_derived_from_commits_give_way_to_a_verification_of_the_same_content() {
    let mut work = ev(3, "S01", Kind::Status).with("status", "in_progress");
    work.source = "trailer".into();
    let mut drift = ev(4, "S01", Kind::Status).with("status", "drift_detected");
    drift.source = "hook".into();
    let chosen = ev(5, "S01", Kind::Status).with("status", "in_progress");
    let define = at("m1", ev(1, "S01", Kind::Define).with("title", "One"));
    // Verified on the feature branch; main got the same content by
    // commits whose trailers and drift the verification outranks.
    let base = vec![
        define,
        verified_at("f2", 2, "fp-main"),
        at("m2", work),
        at("m3", drift),
    ];
    assert_eq!(
        fold_at(base.clone(), &MAIN).step("S01").unwrap().status,
        Status::Verified
    );
    // A status someone chose later still wins.
    let mut chosen_too = base.clone();
    chosen_too.push(at("m3", chosen));
    assert_eq!(
        fold_at(chosen_too, &MAIN).step("S01").unwrap().status,
        Status::InProgress
    );
    // Other content (the feature branch sees m2 and has other files):
    // the later status a commit's trailer gave stands.
    assert_eq!(
        fold_at(base, &FEATURE).step("S01").unwrap().status,
        Status::InProgress
    );
}

/// The fold that keeps only the winners' places gives what applying every
/// event in order gives, on seeded random ledgers seen from random views.
#[test]
fn the_fold_of_winners_matches_applying_every_event_in_order() {
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let commits = ["m1", "m2", "m3", "f1", "f2"];
    let statuses = ["in_progress", "done", "verified", "drift_detected", "bogus"];
    let sources = ["cli", "trailer", "hook", "verify"];
    for _ in 0..2000 {
        let mut evs = vec![at("m1", ev(1, "S01", Kind::Define).with("title", "One"))];
        let n = 1 + next(12);
        for seq in 2..2 + n {
            let step = ["S01", "S02"][next(2) as usize];
            let commit = commits[next(5) as usize];
            let mut e = match next(5) {
                0 => ev(seq, step, Kind::Status)
                    .with("status", statuses[next(5) as usize])
                    .with(
                        "fingerprint",
                        ["fp-main", "fp-feature", "x"][next(3) as usize],
                    )
                    .with("tree", "t1"),
                1 => ev(seq, step, Kind::Evidence).with("result", "pass"),
                2 => {
                    let mut a = ev(seq, step, Kind::Ack)
                        .with("fingerprint", ["fp-main", "y"][next(2) as usize]);
                    if next(2) == 0 {
                        a.set("tree", "t2");
                    }
                    a
                }
                3 => ev(seq, step, Kind::Define).with("title", format!("T{seq}")),
                _ => ev(seq, step, Kind::Status).with("status", statuses[next(4) as usize]),
            };
            e.source = sources[next(4) as usize].into();
            evs.push(at(commit, e));
        }
        for view in [&MAIN as &dyn Viewpoint, &FEATURE, &Everywhere] {
            let ordered = order_events_in(evs.clone(), view);
            let scope = Scope::new(&ordered, view);
            let mut one_by_one = LedgerState {
                content_verified: scope.content_verified.clone(),
                ..LedgerState::default()
            };
            for l in &ordered {
                let how = scope.applies(l);
                one_by_one.apply_seen(l, how != Applies::No, how == Applies::ByContent);
            }
            assert_eq!(fold_at(evs.clone(), view), one_by_one, "{evs:?}");
        }
    }
}

#[test]
fn an_event_id_is_keyed_by_its_hex_value_and_other_text_by_a_hash() {
    use super::id_key;
    assert_eq!(id_key("0000000000000000000000000001730a"), 0x1730a);
    assert_eq!(
        id_key("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
        id_key("ffffffffffffffffffffffffffffffff")
    );
    assert_eq!(id_key("ffffffffffffffffffffffffffffffff"), u128::MAX);
    // Not hex, or not 32 digits: hashed, the same each time, and apart.
    let odd = id_key("hand-written-id");
    assert_eq!(odd, id_key("hand-written-id"));
    assert_ne!(odd, id_key("hand-written-id2"));
    assert_ne!(id_key("0000000000000000000000000001730g"), 0x1730);
}

#[test]
fn a_permutation_applied_by_swaps_puts_each_item_where_a_copy_would() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for len in 0..40 {
        for _ in 0..25 {
            let mut order: Vec<usize> = (0..len).collect();
            for i in (1..len).rev() {
                order.swap(i, next(i + 1));
            }
            let items: Vec<String> = (0..len).map(|i| format!("item {i}")).collect();
            let copied: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut swapped = items.clone();
            super::permute(&mut swapped, &mut order.clone());
            assert_eq!(swapped, copied, "order {order:?}");
        }
    }
}

#[test]
fn events_are_ordered_by_seq_at_and_id_and_each_id_is_kept_once_preferring_a_copy_in_view() {
    struct Sees(&'static str);
    impl Viewpoint for Sees {
        fn sees(&self, commit: &str) -> bool {
            commit == self.0
        }
        fn fingerprint(&self, _: &str) -> Option<&str> {
            None
        }
    }
    let mut events = Vec::new();
    for (seq, commit, step) in [
        (3, "c1", "S01"),
        (1, "c2", "S02"),
        (2, "c1", "S03"),
        (1, "c1", "S01"),
    ] {
        events.push(at(commit, ev(seq, step, Kind::Note)));
    }
    // The same event on two commits, the second of them in view.
    let copy = events[0].record.clone();
    events.push(Stored {
        commit: "c3".into(),
        record: copy,
    });
    let ordered = order_events_in(events, &Sees("c3"));
    let got: Vec<(u64, &str, &str)> = ordered
        .iter()
        .map(|l| (l.record.seq, &*l.record.step, &*l.commit))
        .collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[2], (2, "S03", "c1"));
    assert_eq!(got[3], (3, "S01", "c3"), "the copy in view is kept");
    // The two of seq 1 share `at`, so they go by id.
    assert!(ordered[0].record.id < ordered[1].record.id);
    assert!(ordered[..2].iter().all(|l| l.record.seq == 1));
}

/// `plan_owns` reads the plan as the fold does: the same active steps, in
/// the same order, with the same globs, whatever order, ties of `seq` and
/// copies of one event on two commits.
#[test]
fn plan_owns_is_what_the_fold_makes_of_the_plan() {
    let mut next = crate::proptest_config::numbers(11);
    for _ in 0..300 {
        let mut evs: Vec<Stored> = Vec::new();
        for i in 0..40 {
            let seq = next(30);
            let step = format!("S{}", next(6));
            let commit = ["c1", "c2", "c3"][next(3) as usize];
            let e = match next(5) {
                0 | 1 => {
                    let mut e = ev(seq, &step, Kind::Define).with("title", format!("t{i}"));
                    if next(3) > 0 {
                        e = e.with("owns", serde_json::json!([format!("src/{}/**", next(4))]));
                    }
                    e
                }
                2 => ev(seq, &step, Kind::Retire),
                _ => ev(seq, &step, Kind::Status).with("status", "verified"),
            };
            let l = at(commit, e);
            // Now and then the same event on a second commit.
            if next(8) == 0 {
                evs.push(Stored {
                    commit: "c9".into(),
                    record: l.record.clone(),
                });
            }
            evs.push(l);
        }
        let want: Vec<(String, Vec<String>)> = fold_events(evs.clone())
            .active_steps()
            .iter()
            .map(|s| (s.id.clone(), s.def.owns.clone()))
            .collect();
        let got: Vec<(String, Vec<String>)> = plan_owns(&evs)
            .into_iter()
            .map(|(id, owns)| (id.to_string(), owns))
            .collect();
        assert_eq!(got, want);
    }
}

#[test]
fn an_order_found_ahead_folds_as_the_kept_events_fold_from_scratch() {
    use super::{fold_in, fold_order};
    let mut next = crate::proptest_config::numbers(0x0ade);
    let commits = ["m1", "m2", "m3", "f1", "f2"];
    for _ in 0..1000 {
        let mut evs = vec![at("m1", ev(1, "S01", Kind::Define).with("title", "One"))];
        for seq in 2..2 + next(14) {
            let step = ["S01", "S02"][next(2) as usize];
            let e = match next(3) {
                0 => ev(seq, step, Kind::Define).with("title", format!("T{seq}")),
                1 => ev(seq, step, Kind::Status)
                    .with("status", "verified")
                    .with("fingerprint", ["fp-main", "fp-feature"][next(2) as usize]),
                _ => ev(seq, step, Kind::Status).with("status", "in_progress"),
            };
            evs.push(at(commits[next(5) as usize], e));
            // A copy of an event on another commit (a rewrite, a merge).
            if next(4) == 0 {
                let copy = evs[next(evs.len() as u64) as usize].clone();
                evs.push(Stored {
                    commit: commits[next(5) as usize].into(),
                    ..copy
                });
            }
        }
        // Notes lie in their commits' order, as an index holds them.
        evs.sort_by(|a, b| a.commit.cmp(&b.commit));
        let upto = next(16);
        let keep = |s: &Stored| s.record.seq <= upto;
        for view in [&MAIN as &dyn Viewpoint, &FEATURE, &Everywhere] {
            let order = fold_order(&evs, view, keep);
            let kept: Vec<Stored> = evs.iter().filter(|s| keep(s)).cloned().collect();
            assert_eq!(
                fold_in(evs.clone(), order, view),
                fold_at(kept, view),
                "{evs:?} up to {upto}"
            );
        }
    }
}
