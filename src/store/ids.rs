//! The id of every event in the ledger as of one notes tip: what a view
//! that follows new notes needs to tell a new event from a copy of one it
//! already has (a rewrite copies notes, a merge may bring a line twice),
//! without reading the whole index. Raw 16-byte ids, sorted. Disposable.

use super::cache_file;
use git2::Repository;
use std::path::PathBuf;

const KIND: &str = "ids";
const FORMAT: u32 = 1;

pub struct Ids {
    pub tip: String,
    sorted: Vec<u128>,
}

fn path(repo: &Repository) -> PathBuf {
    cache_file::dir(repo).join("ids")
}

use crate::ledger::fold::id_key as key;

impl Ids {
    pub fn new<'a>(tip: String, ids: impl IntoIterator<Item = &'a str>) -> Ids {
        let mut sorted: Vec<u128> = ids.into_iter().map(key).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Ids { tip, sorted }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Adds `id`; false when it was there already.
    pub fn insert(&mut self, id: &str) -> bool {
        let k = key(id);
        match self.sorted.binary_search(&k) {
            Ok(_) => false,
            Err(i) => {
                self.sorted.insert(i, k);
                true
            }
        }
    }

    pub fn load(repo: &Repository) -> Option<Ids> {
        let body = cache_file::read(&path(repo), KIND, FORMAT)?;
        let end = body.iter().position(|b| *b == b'\n')?;
        let tip = String::from_utf8(body[..end].to_vec()).ok()?;
        let raw = &body[end + 1..];
        if raw.len() % 16 != 0 {
            return None;
        }
        let sorted = raw
            .chunks_exact(16)
            .map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0; 16])))
            .collect();
        Some(Ids { tip, sorted })
    }

    /// Best effort, like every cache.
    pub fn save(&self, repo: &Repository) {
        let mut body = Vec::with_capacity(self.tip.len() + 1 + self.sorted.len() * 16);
        body.extend_from_slice(self.tip.as_bytes());
        body.push(b'\n');
        for k in &self.sorted {
            body.extend_from_slice(&k.to_le_bytes());
        }
        cache_file::write(&path(repo), KIND, FORMAT, &body);
    }
}
