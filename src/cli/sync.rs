//! `git ledger sync [REMOTE]`: share the ledger with a remote, saying what
//! moved each way.

use super::Ctx;
use crate::error::Outcome;
use crate::output;
use crate::sync::{self, MergeKind};
use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct SyncArgs {
    /// The remote (default: ledger.remote, the current branch's upstream
    /// remote, or origin)
    pub remote: Option<String>,
}

pub fn run(ctx: &Ctx, a: SyncArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    let remote = sync::resolve_remote(&repo, a.remote.as_deref())?;
    let r = sync::sync(&repo, &remote)?;
    if ctx.json {
        output::emit(&output::json(&serde_json::json!({
            "remote": r.remote,
            "received": r.received,
            "sent": r.sent,
            "merge": r.merge.as_str(),
            "attempts": r.attempts,
            "races": r.races,
            "tip": r.tip.map(|t| t.to_string()),
        })));
        return Ok(Outcome::Ok);
    }
    if r.tip.is_none() {
        output::say(&format!(
            "nothing to sync: neither this clone nor {remote} has a ledger yet"
        ));
        return Ok(Outcome::Ok);
    }
    if r.received == 0 && r.sent == 0 && r.merge == MergeKind::UpToDate {
        output::say(&format!("already in sync with {remote}"));
    } else {
        let how = match r.merge {
            MergeKind::UpToDate => "",
            MergeKind::FastForward => " (fast-forward)",
            MergeKind::Merged => " (merged with the local ledger)",
        };
        if r.received > 0 || r.merge != MergeKind::UpToDate {
            output::say(&format!(
                "received {} from {remote}{how}",
                events(r.received)
            ));
        }
        if r.sent > 0 || r.merge == MergeKind::Merged {
            output::say(&format!("sent {} to {remote}", events(r.sent)));
        }
    }
    if r.races > 0 {
        output::say(&format!(
            "{remote} moved during the sync {} time(s): fetched, merged and pushed again",
            r.races
        ));
    }
    Ok(Outcome::Ok)
}

fn events(n: usize) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}
