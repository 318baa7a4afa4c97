//! `add`, `edit` and `retire`: `define` and `retire` events bound to HEAD.

use super::{Ctx, find_step};
use crate::error::{Outcome, user, user_hint};
use crate::git::owns::Owns;
use crate::git::repo::{head_commit, identity};
use crate::ledger::{Event, Kind, Located, step_id, time};
use crate::output;
use crate::redact::Redactor;
use crate::store::{self, Draft};
use anyhow::Result;
use clap::Args;
use serde_json::Value;

#[derive(Args)]
pub struct AddArgs {
    /// Step id, e.g. S04, T002a, M2.1
    pub id: String,
    /// One-line title
    pub title: String,
    #[command(flatten)]
    pub fields: Fields,
}

/// The optional step fields `add` and `edit` share.
#[derive(Args, Default)]
pub struct Fields {
    /// A path glob the step owns (gitignore syntax, from the repo root); repeat for more
    #[arg(long = "owns", value_name = "glob")]
    pub owns: Vec<String>,
    /// A shell command that proves the step works; repeat for more
    #[arg(long = "check", value_name = "cmd")]
    pub checks: Vec<String>,
    /// A blueprint reference, e.g. docs/BLUEPRINT.md#storage; repeat for more
    #[arg(long = "ref", value_name = "ref")]
    pub refs: Vec<String>,
    /// Group name, e.g. "Phase 2"
    #[arg(long)]
    pub phase: Option<String>,
    /// Implementation summary
    #[arg(long)]
    pub summary: Option<String>,
    /// An edge case; repeat for more
    #[arg(long = "edge-case", value_name = "text")]
    pub edge_cases: Vec<String>,
    /// A concern; repeat for more
    #[arg(long = "concern", value_name = "text")]
    pub concerns: Vec<String>,
    /// An item still needed; repeat for more
    #[arg(long = "todo", value_name = "text")]
    pub todo: Vec<String>,
}

#[derive(Args)]
pub struct EditArgs {
    pub id: String,
    /// New title
    #[arg(long)]
    pub title: Option<String>,
    #[command(flatten)]
    pub fields: Fields,
    /// Remove every owned glob (the step becomes unscoped)
    #[arg(long, conflicts_with = "owns")]
    pub no_owns: bool,
    /// Remove every check command
    #[arg(long, conflicts_with = "checks")]
    pub no_checks: bool,
    /// Remove every reference
    #[arg(long, conflicts_with = "refs")]
    pub no_refs: bool,
    /// Remove the phase
    #[arg(long, conflicts_with = "phase")]
    pub no_phase: bool,
}

#[derive(Args)]
pub struct RetireArgs {
    pub id: String,
    /// Why it is retired
    #[arg(short, long)]
    pub message: Option<String>,
}

fn one_line(what: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(user(format!(
            "the {what} is empty: give a short one-line {what}"
        )));
    }
    if t.contains('\n') || t.contains('\r') {
        return Err(user(format!("the {what} must be one line")));
    }
    Ok(t.to_string())
}

/// Validates the fields and writes the present ones into `event`.
fn put_fields(event: &mut Event, f: &Fields, red: &Redactor) -> Result<()> {
    if !f.owns.is_empty() {
        Owns::new(&f.owns).map_err(|m| {
            user_hint(
                m,
                "owns uses gitignore syntax: 'src/storage/**', '*.sql', 'docs/api.md'",
            )
        })?;
        event.set("owns", f.owns.clone());
    }
    for c in &f.checks {
        one_line("check command", c)?;
        if let Some(what) = red.secret_in_command(c) {
            return Err(crate::redact::refused_command(&event.step, c, &what, red));
        }
    }
    let lists = [
        ("checks", &f.checks),
        ("refs", &f.refs),
        ("edge_cases", &f.edge_cases),
        ("concerns", &f.concerns),
        ("todo", &f.todo),
    ];
    for (key, list) in lists {
        if !list.is_empty() {
            let vals: Vec<String> = list
                .iter()
                .map(|v| {
                    if key == "checks" {
                        v.clone()
                    } else {
                        red.apply(v)
                    }
                })
                .collect();
            event.set(key, vals);
        }
    }
    if let Some(p) = &f.phase {
        event.set("phase", red.apply(&one_line("phase", p)?));
    }
    if let Some(s) = &f.summary {
        event.set("summary", red.apply(s.trim()));
    }
    Ok(())
}

/// Warns about each owned glob that matches no file at HEAD: a typo there
/// leaves the step unable to drift, and "verified" over nothing.
fn warn_unmatched_owns(repo: &git2::Repository, id: &str, owns: &[String]) -> Result<()> {
    if owns.is_empty() {
        return Ok(());
    }
    let tree = head_commit(repo)?.tree()?;
    let positive: Vec<&String> = owns.iter().filter(|g| !g.starts_with('!')).collect();
    let mut none = Vec::new();
    for glob in positive {
        let one = Owns::new(std::slice::from_ref(glob)).map_err(crate::error::user)?;
        if crate::git::fingerprint::owned_files(repo, &tree, &one)?.is_empty() {
            none.push(glob.as_str());
        }
    }
    if !none.is_empty() {
        output::warn(&format!(
            "{id}: --owns {} matches no file at HEAD; a step owning nothing cannot drift (fix it with git ledger edit {id} --owns <glob>)",
            none.join(", ")
        ));
    }
    Ok(())
}

pub fn report(ctx: &Ctx, written: &[Located], text: String) {
    if ctx.json {
        let lines: Vec<Value> = written
            .iter()
            .filter_map(|l| serde_json::from_str(&l.event.to_line()).ok())
            .collect();
        output::emit(&output::json(&serde_json::json!({ "events": lines })));
    } else {
        output::say(&text);
    }
}

pub fn add(ctx: &Ctx, a: AddArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    step_id::validate(&a.id).map_err(|m| user_hint(m, "pick another id"))?;
    let title = one_line("title", &a.title)?;
    let head = head_commit(&repo)?.id();
    let by = identity(&repo)?;
    let red = Redactor::for_repo(&repo)?;
    let mut event = Event::draft(&a.id, Kind::Define, time::now_rfc3339(), by, "cli")
        .with("title", red.apply(&title));
    put_fields(&mut event, &a.fields, &red)?;
    ctx.load(&repo)?;
    let written = store::append(&repo, &format!("git-ledger: add {}", a.id), |state| {
        if let Some(s) = state.step(&a.id).filter(|s| s.defined.is_some()) {
            let hint = if s.retired {
                format!(
                    "it is retired; bring it back with: git ledger edit {} --title \"…\"",
                    a.id
                )
            } else {
                format!("change it with: git ledger edit {} …", a.id)
            };
            return Err(user_hint(format!("step '{}' already exists", a.id), hint));
        }
        Ok(vec![Draft::new(head, event.clone())])
    })?;
    crate::trust::allow_typed_here(&repo, &a.fields.checks);
    warn_unmatched_owns(&repo, &a.id, &a.fields.owns)?;
    // The title as stored: redacted.
    let stored = written
        .first()
        .and_then(|l| l.event.str_field("title"))
        .unwrap_or(&title);
    report(
        ctx,
        &written,
        format!(
            "added {} \"{}\" at {}",
            a.id,
            stored,
            crate::git::repo::short(&head.to_string())
        ),
    );
    Ok(Outcome::Ok)
}

pub fn edit(ctx: &Ctx, a: EditArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let head = head_commit(&repo)?.id();
    let by = identity(&repo)?;
    let red = Redactor::for_repo(&repo)?;
    let mut event = Event::draft(&a.id, Kind::Define, time::now_rfc3339(), by, "cli");
    if let Some(t) = &a.title {
        event.set("title", red.apply(&one_line("title", t)?));
    }
    put_fields(&mut event, &a.fields, &red)?;
    let clears = [
        ("owns", a.no_owns),
        ("checks", a.no_checks),
        ("refs", a.no_refs),
    ];
    for (key, clear) in clears {
        if clear {
            event.set(key, Vec::<String>::new());
        }
    }
    if a.no_phase {
        event.set("phase", Value::Null);
    }
    if event.fields.is_empty() {
        return Err(user_hint(
            format!("nothing to change for {}", a.id),
            "give what to change: --title, --owns, --check, --ref, --phase, --summary, --no-owns, … (git ledger edit --help)",
        ));
    }
    let loaded = ctx.load(&repo)?;
    // A retired step may be edited: a new define brings it back.
    let retired = loaded
        .state
        .step(&a.id)
        .is_some_and(|s| s.defined.is_some() && s.retired);
    if !retired {
        find_step(&loaded.state, &a.id)?;
    }
    let written = store::append(&repo, &format!("git-ledger: edit {}", a.id), |state| {
        if state.step(&a.id).is_none_or(|s| s.defined.is_none()) {
            find_step(state, &a.id)?;
        }
        let mut event = event.clone();
        // Editing a step defined twice on different branches is choosing
        // its definition: the edit settles the collision it was made over.
        if let Some(c) = state.collisions.iter().find(|c| c.step == a.id) {
            let settled: Vec<String> = c.definitions.iter().map(|d| d.event.clone()).collect();
            event.set("resolves", settled);
        }
        Ok(vec![Draft::new(head, event)])
    })?;
    crate::trust::allow_typed_here(&repo, &a.fields.checks);
    warn_unmatched_owns(&repo, &a.id, &a.fields.owns)?;
    let what = if retired { "brought back" } else { "edited" };
    report(ctx, &written, format!("{what} {}", a.id));
    Ok(Outcome::Ok)
}

pub fn retire(ctx: &Ctx, a: RetireArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let head = head_commit(&repo)?.id();
    let by = identity(&repo)?;
    let mut event = Event::draft(&a.id, Kind::Retire, time::now_rfc3339(), by, "cli");
    if let Some(m) = &a.message {
        event.set("msg", Redactor::for_repo(&repo)?.apply(m));
    }
    ctx.load(&repo)?;
    let written = store::append(&repo, &format!("git-ledger: retire {}", a.id), |state| {
        find_step(state, &a.id)?;
        Ok(vec![Draft::new(head, event.clone())])
    })?;
    report(
        ctx,
        &written,
        format!(
            "retired {} (its history stays; git ledger status --all shows it)",
            a.id
        ),
    );
    Ok(Outcome::Ok)
}
