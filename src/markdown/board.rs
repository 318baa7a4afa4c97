//! What the exports show, gathered once: each step's state with its live
//! drift, latest evidence and history, and the timeline of events. Plain
//! data, so the renderers are pure functions.

use super::forge::Forge;
use crate::ledger::fold::{Everywhere, StepDef};
use crate::ledger::record::Stored;
use crate::ledger::{Kind, LedgerState, Located, Status, StepState, time};
use serde_json::Value;

pub struct Board<'a> {
    /// The repository's directory name.
    pub project: String,
    pub head: String,
    pub exported_at: String,
    pub steps: Vec<BoardStep<'a>>,
    /// Newest first.
    pub timeline: &'a [TimelineEntry<'a>],
    /// Events in the ledger, all of them (the timeline may be cut short).
    pub events: usize,
    pub context: BoardContext,
}

/// What the HTML board adds around the steps.
#[derive(Default)]
pub struct BoardContext {
    /// The branch HEAD is on; None when detached.
    pub branch: Option<String>,
    /// Where commits and files link to.
    pub forge: Option<Forge>,
    /// Phase names in the order the ledger first named them.
    pub phase_order: Vec<String>,
    pub burn_up: Vec<BurnPoint>,
    /// Set when `serve` shows the page: the state it was made from, which
    /// the page polls to know when to reload.
    pub live_version: Option<String>,
    /// Retired steps are on the board (`--all`).
    pub with_retired: bool,
    /// Each step's status on each branch (`--branches`).
    pub branches: Option<BranchMatrix>,
}

/// What is done where: each step's status on each branch, side by side.
#[derive(Debug, Clone, Default)]
pub struct BranchMatrix {
    /// Branch names; `current` the one checked out, if any.
    pub branches: Vec<String>,
    pub current: Option<usize>,
    /// (step id, title, its status on each branch, in `branches` order).
    pub rows: Vec<(String, String, Vec<Status>)>,
}

/// One day's end: steps verified and steps in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnPoint {
    pub day: String,
    pub verified: usize,
    pub total: usize,
}

/// What a step's detail panel shows beyond its state.
#[derive(Default)]
pub struct StepDetail<'a> {
    /// Files its globs match at HEAD, at most `OWNED_SHOWN`.
    pub owned_files: Vec<String>,
    /// How many more matched.
    pub owned_more: usize,
    /// Who recorded its current status (the name, without the email).
    pub owner: Option<String>,
    /// Its status, evidence and ack events, newest first: the verification
    /// and drift history.
    pub history: Vec<&'a TimelineEntry<'a>>,
    /// Each check command with the latest run of it, if any.
    pub last_checks: Vec<LastCheck<'a>>,
    /// The files its refs name (`docs/B.md#x` → `docs/B.md`) that exist at HEAD.
    pub ref_files: Vec<String>,
}

pub struct LastCheck<'a> {
    pub cmd: String,
    /// The evidence event and its entry for this command.
    pub run: Option<(&'a Located, Value)>,
}

/// Owned files listed per step on the board.
pub const OWNED_SHOWN: usize = 200;

pub struct BoardStep<'a> {
    pub state: &'a StepState,
    /// The recorded status, or `drift_detected` when drift is seen live.
    pub status: Status,
    pub live_drift: bool,
    pub drift_files: Vec<String>,
    pub unscoped: bool,
    pub last_evidence: Option<&'a Located>,
    /// The imported "Tests & commands run" record, if any.
    pub tests_note: Option<&'a Located>,
    /// `verified` and `drift_detected` status events, oldest first.
    pub history: Vec<&'a Located>,
    pub detail: StepDetail<'a>,
}

/// One event as the timeline shows it, borrowed from the event.
#[derive(Clone)]
pub struct TimelineEntry<'a> {
    pub kind: Kind,
    pub at: &'a str,
    pub commit: &'a str,
    pub step: &'a str,
    pub status: Option<Status>,
    /// "→ verified", "defined \"Title\"", "evidence pass (3 checks)"
    pub what: String,
    pub by: &'a str,
    pub run: Option<&'a str>,
    pub msg: Option<&'a str>,
}

/// Progress of one phase: steps per status, in `Status::ALL` order.
pub struct PhaseRow {
    pub name: Option<String>,
    pub counts: [usize; 5],
    pub total: usize,
}

impl PhaseRow {
    pub fn count(&self, s: Status) -> usize {
        self.counts[status_index(s)]
    }
}

pub fn status_index(s: Status) -> usize {
    Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl Board<'_> {
    /// Phases in the order the ledger first named them (an edit that moves
    /// a step does not reorder them), steps without a phase last.
    pub fn phases(&self) -> Vec<PhaseRow> {
        let mut rows = self.phases_seen();
        let order: std::collections::HashMap<&str, usize> = self
            .context
            .phase_order
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let rank = |r: &PhaseRow| match &r.name {
            Some(n) => order.get(n.as_str()).copied().unwrap_or(usize::MAX - 1),
            None => usize::MAX,
        };
        // Stable: phases the order does not know keep their first-seen place.
        rows.sort_by_key(rank);
        rows
    }

    fn phases_seen(&self) -> Vec<PhaseRow> {
        let mut rows: Vec<PhaseRow> = Vec::new();
        let mut place: std::collections::HashMap<Option<&str>, usize> =
            std::collections::HashMap::new();
        for s in &self.steps {
            let name = &s.state.def.phase;
            let i = match place.get(&name.as_deref()) {
                Some(&i) => i,
                None => {
                    place.insert(name.as_deref(), rows.len());
                    rows.push(PhaseRow {
                        name: name.clone(),
                        counts: [0; 5],
                        total: 0,
                    });
                    rows.len() - 1
                }
            };
            rows[i].counts[status_index(s.status)] += 1;
            rows[i].total += 1;
        }
        rows
    }

    pub fn totals(&self) -> PhaseRow {
        let mut all = PhaseRow {
            name: None,
            counts: [0; 5],
            total: self.steps.len(),
        };
        for s in &self.steps {
            all.counts[status_index(s.status)] += 1;
        }
        all
    }
}

/// Phase names in the order define events first named them.
pub fn phase_order(events: &[Located]) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for l in events.iter().filter(|l| l.event.kind == Kind::Define) {
        if let Some(p) = l.event.str_field("phase")
            && seen.insert(p)
        {
            order.push(p.to_string());
        }
    }
    order
}

/// The plan and its verified part at the end of each day with events,
/// replaying the fold (recorded statuses: drift seen only live is not in
/// the history). `records` in fold order.
#[cfg(test)]
pub fn burn_up(records: &[Stored]) -> Vec<BurnPoint> {
    burn_up_with(records, |_, _, _| {})
}

/// [`burn_up`], calling `each(i, before, state)` once the replay took
/// record `i`; `before` is, for a define, its step's definition before it
/// (an edit is told from what it changed). One replay serves the board's
/// trend and its timeline.
pub fn burn_up_with(
    records: &[Stored],
    mut each: impl FnMut(usize, Option<StepDef>, &LedgerState),
) -> Vec<BurnPoint> {
    // Steps fold independently, so an event changes only its own step's
    // part of the counts: kept as it goes, not counted again each day.
    fn part(step: Option<&StepState>) -> (usize, usize) {
        match step {
            Some(s) if s.defined.is_some() && !s.retired => {
                (usize::from(s.status == Status::Verified), 1)
            }
            _ => (0, 0),
        }
    }
    let mut state = LedgerState::default();
    let (mut verified, mut total) = (0, 0);
    let mut points: Vec<BurnPoint> = Vec::new();
    for (i, l) in records.iter().enumerate() {
        let step = &l.record.step;
        let was = state.step(step);
        let (v0, t0) = part(was);
        let before = match l.record.kind() {
            Kind::Define => was.filter(|s| s.defined.is_some()).map(|s| s.def.clone()),
            _ => None,
        };
        state.apply_from(l, &Everywhere);
        let (v1, t1) = part(state.step(step));
        each(i, before, &state);
        verified = verified + v1 - v0;
        total = total + t1 - t0;
        let day = time::date_part(&l.record.at);
        // A point only where a day ends, not after every event.
        if records
            .get(i + 1)
            .is_some_and(|next| time::date_part(&next.record.at) == day)
        {
            continue;
        }
        points.push(BurnPoint {
            day: day.to_string(),
            verified,
            total,
        });
    }
    // Events carry their own timestamps (imports keep old dates), so the
    // fold order need not be the calendar's: keep each day's last point.
    points.sort_by(|a, b| a.day.cmp(&b.day));
    points.dedup_by(|later, earlier| {
        if later.day == earlier.day {
            *earlier = later.clone();
            true
        } else {
            false
        }
    });
    points
}

/// What an edit changed, field by field: `owns: +src/x/** −src/y/**`,
/// `title: "Old" → "New"`, `summary changed`.
pub fn edit_summary(before: &StepDef, after: &StepDef) -> String {
    let mut parts = Vec::new();
    if before.title != after.title {
        parts.push(format!(
            "title: \"{}\" → \"{}\"",
            clip(&before.title),
            clip(&after.title)
        ));
    }
    let lists: [(&str, &Vec<String>, &Vec<String>); 6] = [
        ("owns", &before.owns, &after.owns),
        ("checks", &before.checks, &after.checks),
        ("refs", &before.refs, &after.refs),
        ("edge cases", &before.edge_cases, &after.edge_cases),
        ("concerns", &before.concerns, &after.concerns),
        ("todo", &before.todo, &after.todo),
    ];
    for (name, old, new) in lists {
        let mut change: Vec<String> = new
            .iter()
            .filter(|x| !old.contains(x))
            .map(|x| format!("+{}", clip(x)))
            .collect();
        change.extend(
            old.iter()
                .filter(|x| !new.contains(x))
                .map(|x| format!("−{}", clip(x))),
        );
        if change.is_empty() && old != new {
            change.push("reordered".into());
        }
        if !change.is_empty() {
            parts.push(format!("{name}: {}", change.join(" ")));
        }
    }
    if before.phase != after.phase {
        let name = |p: &Option<String>| p.clone().unwrap_or_else(|| "none".into());
        parts.push(format!(
            "phase: {} → {}",
            name(&before.phase),
            name(&after.phase)
        ));
    }
    if before.summary != after.summary {
        parts.push("summary changed".into());
    }
    if parts.is_empty() {
        "edited, nothing changed".into()
    } else {
        format!("edited {}", parts.join("; "))
    }
}

fn clip(s: &str) -> String {
    let one: String = s.lines().next().unwrap_or("").to_string();
    if one.chars().count() > 60 {
        format!("{}…", one.chars().take(59).collect::<String>())
    } else {
        one
    }
}

/// The name of `Name <email>`.
pub fn name_of(by: &str) -> &str {
    by.split(" <").next().unwrap_or(by).trim()
}

/// `2026-01-20 09:15 UTC` from an RFC 3339 timestamp.
pub fn human_time(at: &str) -> String {
    match (at.get(0..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Event;

    fn at(seq: u64, day: &str, mut e: Event) -> Located {
        e.seq = seq;
        e.at = format!("{day}T10:00:{seq:02}Z");
        e.id = e.content_id();
        Located {
            commit: "c".into(),
            event: e,
        }
    }

    fn records(events: &[Located]) -> Vec<Stored> {
        events
            .iter()
            .map(|l| Stored {
                commit: l.commit.as_str().into(),
                record: crate::ledger::record::Record::from_event(&l.event).unwrap(),
            })
            .collect()
    }

    fn ev(step: &str, kind: Kind) -> Event {
        Event::draft(step, kind, String::new(), "Ada <a@x>".into(), "cli")
    }

    #[test]
    fn edits_name_what_changed() {
        let before = StepDef {
            title: "Store".into(),
            owns: vec!["src/a/**".into(), "src/b/**".into()],
            ..StepDef::default()
        };
        let mut after = before.clone();
        after.owns = vec!["src/a/**".into(), "src/x/**".into()];
        after.phase = Some("Phase 2".into());
        assert_eq!(
            edit_summary(&before, &after),
            "edited owns: +src/x/** −src/b/**; phase: none → Phase 2"
        );
        after = before.clone();
        after.title = "Storage".into();
        assert_eq!(
            edit_summary(&before, &after),
            "edited title: \"Store\" → \"Storage\""
        );
    }

    /// The counts kept as the replay goes equal counting the plan again
    /// at each day's end, whatever the events' order.
    #[test]
    fn burn_up_kept_counts_equal_a_recount_each_day() {
        let kinds = [
            "define",
            "verified",
            "drift_detected",
            "in_progress",
            "retire",
        ];
        let mut next = crate::proptest_config::numbers(7);
        for _ in 0..50 {
            let mut events = Vec::new();
            let mut day = 1;
            for seq in 1..60 {
                day += usize::from(next(4) == 0);
                let step = format!("S{}", next(5));
                let e = match kinds[next(5) as usize] {
                    "define" => ev(&step, Kind::Define).with("title", "t"),
                    "retire" => ev(&step, Kind::Retire),
                    status => ev(&step, Kind::Status).with("status", status),
                };
                events.push(at(seq, &format!("2026-01-{day:02}"), e));
            }
            let records = records(&events);
            let mut state = LedgerState::default();
            let mut recount: Vec<BurnPoint> = Vec::new();
            for (i, r) in records.iter().enumerate() {
                state.apply_from(r, &Everywhere);
                let d = time::date_part(&r.record.at);
                if records
                    .get(i + 1)
                    .is_some_and(|n| time::date_part(&n.record.at) == d)
                {
                    continue;
                }
                let active = state.active_steps();
                recount.push(BurnPoint {
                    day: d.to_string(),
                    verified: active
                        .iter()
                        .filter(|s| s.status == Status::Verified)
                        .count(),
                    total: active.len(),
                });
            }
            assert_eq!(burn_up(&records), recount);
        }
    }

    #[test]
    fn burn_up_counts_verified_steps_at_each_days_end() {
        let events = vec![
            at(1, "2026-01-01", ev("S1", Kind::Define).with("title", "a")),
            at(2, "2026-01-01", ev("S2", Kind::Define).with("title", "b")),
            at(
                3,
                "2026-01-02",
                ev("S1", Kind::Status).with("status", "verified"),
            ),
            at(
                4,
                "2026-01-02",
                ev("S2", Kind::Status).with("status", "verified"),
            ),
            at(
                5,
                "2026-01-02",
                ev("S2", Kind::Status).with("status", "drift_detected"),
            ),
            at(6, "2026-01-04", ev("S3", Kind::Define).with("title", "c")),
            at(7, "2026-01-04", ev("S2", Kind::Retire)),
        ];
        let p = |day: &str, verified, total| BurnPoint {
            day: day.into(),
            verified,
            total,
        };
        assert_eq!(
            burn_up(&records(&events)),
            [
                p("2026-01-01", 0, 2),
                p("2026-01-02", 1, 2),
                p("2026-01-04", 1, 2)
            ]
        );
        assert_eq!(phase_order(&events), Vec::<String>::new());
    }

    #[test]
    fn phases_come_in_the_order_the_ledger_first_named_them() {
        let events = vec![
            at(
                1,
                "2026-01-01",
                ev("S1", Kind::Define).with("phase", "Setup"),
            ),
            at(
                2,
                "2026-01-01",
                ev("S2", Kind::Define).with("phase", "Build"),
            ),
            at(
                3,
                "2026-01-01",
                ev("S1", Kind::Define).with("phase", "Build"),
            ),
            at(
                4,
                "2026-01-01",
                ev("S3", Kind::Define).with("phase", "Setup"),
            ),
        ];
        assert_eq!(phase_order(&events), ["Setup", "Build"]);
    }
}
