//! `--ids auto`: the reader names an item without id by its place (`2.1.3`:
//! the third item under the first subsection of Phase 2). Places move when
//! the file is edited, so before importing, an item whose title and phase
//! match a step the ledger already has keeps that step's id; the others
//! get their place, made unique against every id in the file and ledger.

use super::model::Parsed;
use std::collections::HashSet;

/// A step the ledger already has.
pub struct Known {
    pub id: String,
    pub title: String,
    pub phase: Option<String>,
}

pub fn settle(parsed: &mut Parsed, known: &[Known]) {
    let real: HashSet<String> = parsed
        .steps
        .iter()
        .filter(|s| !s.auto_id)
        .map(|s| s.id.clone())
        .collect();
    let mut claimed: HashSet<String> = HashSet::new();
    let mut settled = vec![false; parsed.steps.len()];
    // First, every unchanged item keeps the id it was imported under.
    for (k, s) in parsed.steps.iter_mut().enumerate() {
        if !s.auto_id {
            continue;
        }
        if let Some(m) = known.iter().find(|m| {
            m.title == s.title
                && m.phase == s.phase
                && !claimed.contains(&m.id)
                && !real.contains(&m.id)
        }) {
            s.id = m.id.clone();
            claimed.insert(m.id.clone());
            settled[k] = true;
        }
    }
    // Then the new ones take their place, or the nearest free name.
    let mut taken: HashSet<String> = real;
    taken.extend(claimed);
    taken.extend(known.iter().map(|m| m.id.clone()));
    for (k, s) in parsed.steps.iter_mut().enumerate() {
        if !s.auto_id || settled[k] {
            continue;
        }
        let id = free_name(&s.id, &taken);
        taken.insert(id.clone());
        s.id = id;
    }
}

/// `id`, else `ida`, `idb`, …, else `id-2`, `id-3`, …
fn free_name(id: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(id) {
        return id.to_string();
    }
    for c in 'a'..='z' {
        let cand = format!("{id}{c}");
        if !taken.contains(&cand) {
            return cand;
        }
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or_else(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::model::Options;
    use crate::markdown::read::parse;

    fn auto(text: &str) -> Parsed {
        let opts = Options {
            auto_ids: true,
            ..Options::default()
        };
        parse(text, &opts)
    }

    fn ids(p: &Parsed) -> Vec<(&str, &str)> {
        p.steps
            .iter()
            .map(|s| (s.id.as_str(), s.title.as_str()))
            .collect()
    }

    #[test]
    fn places_name_items_and_known_titles_keep_their_ids() {
        let first = auto(
            "## 1. Setup\n\n- [x] Create repo\n- [ ] Add CI\n\n## 2. Build\n\n- [ ] Compile\n",
        );
        assert_eq!(
            ids(&first),
            [
                ("1.1", "Create repo"),
                ("1.2", "Add CI"),
                ("2.1", "Compile")
            ]
        );
        let known: Vec<Known> = first
            .steps
            .iter()
            .map(|s| Known {
                id: s.id.clone(),
                title: s.title.clone(),
                phase: s.phase.clone(),
            })
            .collect();
        let mut edited = auto(
            "## 1. Setup\n\n- [ ] Write the plan\n- [x] Create repo\n- [ ] Add CI\n\n## 2. Build\n\n- [ ] Compile\n",
        );
        settle(&mut edited, &known);
        assert_eq!(
            ids(&edited),
            [
                ("1.1a", "Write the plan"),
                ("1.1", "Create repo"),
                ("1.2", "Add CI"),
                ("2.1", "Compile")
            ]
        );
    }
}
