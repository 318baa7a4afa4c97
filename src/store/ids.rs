//! The id of every event in the ledger as of one notes tip: what a view
//! that follows new notes needs to tell a new event from a copy of one it
//! already has (a rewrite copies notes, a merge may bring a line twice),
//! without reading the whole index. Raw 16-byte ids, sorted. Disposable.

use super::cache_file;
use git2::Repository;
use std::collections::BTreeSet;
use std::path::PathBuf;

const KIND: &str = "ids";
const FORMAT: u32 = 1;

pub struct Ids {
    pub tip: String,
    /// The ids as read: in the mapped file, or built in memory.
    stored: Stored,
    /// Ids added since, kept apart: a fetch adds hundreds to a set of
    /// hundreds of thousands.
    added: BTreeSet<u128>,
}

enum Stored {
    Built(Vec<u128>),
    /// Raw little-endian ids, sorted, from this offset of the file's body.
    Mapped(cache_file::Mapped, usize),
}

/// The raw ids of a mapped file's body, from `start`.
fn raw(map: &cache_file::Mapped, start: usize) -> &[[u8; 16]] {
    map.body()[start..].as_chunks::<16>().0
}

impl Stored {
    fn len(&self) -> usize {
        match self {
            Stored::Built(v) => v.len(),
            Stored::Mapped(map, start) => raw(map, *start).len(),
        }
    }

    fn contains(&self, k: u128) -> bool {
        match self {
            Stored::Built(v) => v.binary_search(&k).is_ok(),
            Stored::Mapped(map, start) => raw(map, *start)
                .binary_search_by_key(&k, |c| u128::from_le_bytes(*c))
                .is_ok(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = u128> + '_> {
        match self {
            Stored::Built(v) => Box::new(v.iter().copied()),
            Stored::Mapped(map, start) => {
                Box::new(raw(map, *start).iter().map(|c| u128::from_le_bytes(*c)))
            }
        }
    }
}

fn path(repo: &Repository) -> PathBuf {
    cache_file::dir(repo).join("ids")
}

impl Ids {
    /// The ids of `keys` (each an [`id_key`](crate::ledger::fold::id_key)).
    pub fn new(tip: String, keys: impl IntoIterator<Item = u128>) -> Ids {
        let mut sorted: Vec<u128> = keys.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        Ids {
            tip,
            stored: Stored::Built(sorted),
            added: BTreeSet::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.stored.len() + self.added.len()
    }

    /// Adds the id whose key is `k`; false when it was there already.
    pub fn insert(&mut self, k: u128) -> bool {
        !self.stored.contains(k) && self.added.insert(k)
    }

    /// The ids of the file, searched where they lie: nothing is decoded.
    pub fn load(repo: &Repository) -> Option<Ids> {
        let map = cache_file::map(&path(repo), KIND, FORMAT)?;
        let body = map.body();
        let end = body.iter().position(|b| *b == b'\n')?;
        let tip = String::from_utf8(body[..end].to_vec()).ok()?;
        let (ids, rest) = body[end + 1..].as_chunks::<16>();
        let sorted = ids
            .windows(2)
            .all(|w| u128::from_le_bytes(w[0]) < u128::from_le_bytes(w[1]));
        if !rest.is_empty() || !sorted {
            return None;
        }
        Some(Ids {
            tip,
            stored: Stored::Mapped(map, end + 1),
            added: BTreeSet::new(),
        })
    }

    /// Best effort, like every cache. The ids as read and those added
    /// since are merged as they are written.
    pub fn save(&self, repo: &Repository) {
        self.save_in(&cache_file::dir(repo));
    }

    /// [`save`](Self::save) in the cache folder `dir`.
    pub fn save_in(&self, dir: &std::path::Path) {
        let mut body = Vec::with_capacity(self.tip.len() + 1 + self.len() * 16);
        body.extend_from_slice(self.tip.as_bytes());
        body.push(b'\n');
        for k in super::merge_sorted(self.stored.iter(), self.added.iter().copied()) {
            body.extend_from_slice(&k.to_le_bytes());
        }
        cache_file::write(&dir.join("ids"), KIND, FORMAT, &body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fold::id_key as key;

    fn id(n: u32) -> String {
        format!("{n:032x}")
    }

    #[test]
    fn ids_read_in_place_and_added_to_are_saved_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let first: Vec<String> = (0..1000).step_by(2).map(id).collect();
        let built = Ids::new("tip1".into(), first.iter().map(|i| key(i)));
        assert_eq!(built.len(), 500);
        built.save(&repo);
        let mut ids = Ids::load(&repo).unwrap();
        assert_eq!((ids.tip.as_str(), ids.len()), ("tip1", 500));
        assert!(
            !ids.insert(key(&id(10))),
            "already there, read from the file"
        );
        assert!(ids.insert(key(&id(11))), "new");
        assert!(!ids.insert(key(&id(11))), "added once");
        assert!(ids.insert(key(&id(5000))));
        assert!(ids.insert(key(&id(1))));
        assert_eq!(ids.len(), 503);
        ids.tip = "tip2".into();
        ids.save(&repo);
        let again = Ids::load(&repo).unwrap();
        assert_eq!((again.tip.as_str(), again.len()), ("tip2", 503));
        let all: Vec<u128> = again.stored.iter().collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "written sorted");
        for n in [0, 1, 10, 11, 998, 5000] {
            assert!(again.stored.contains(key(&id(n))), "{n}");
        }
        assert!(!again.stored.contains(key(&id(3))));
    }
}
