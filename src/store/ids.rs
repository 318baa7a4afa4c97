//! The id of every event in the ledger as of one notes tip: what a view
//! that follows new notes needs to tell a new event from a copy of one it
//! already has (a rewrite copies notes, a merge may bring a line twice),
//! without reading the whole index. Raw 16-byte ids, sorted. Disposable.
//!
//! Two files: `ids`, every id as of one notes tip, and `ids.add`, the ids
//! added since and the tip they bring it to. A fetch of 1,000 events then
//! writes 16 KB beside the 3.4 MB of a 200,000-event ledger instead of
//! rewriting it; the whole set is written again once the added ids reach
//! an eighth of it. An `ids.add` that names another tip than the `ids`
//! beside it is not read: each file is renamed into place whole, so a
//! reader sees the pair as one writer left it or only the `ids` alone.

use super::cache_file;
use git2::Repository;
use std::collections::BTreeSet;

const KIND: &str = "ids";
const FORMAT: u32 = 1;
const ADDED_KIND: &str = "ids-added";
const ADDED_FORMAT: u32 = 1;

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
    /// Raw little-endian ids, sorted, from this offset of the file's body;
    /// and the file's tip, which an `ids.add` written on top of it names.
    Mapped(cache_file::Mapped, usize, String),
}

/// The raw ids of a mapped file's body, from `start`.
fn raw(map: &cache_file::Mapped, start: usize) -> &[[u8; 16]] {
    map.body()[start..].as_chunks::<16>().0
}

impl Stored {
    fn len(&self) -> usize {
        match self {
            Stored::Built(v) => v.len(),
            Stored::Mapped(map, start, _) => raw(map, *start).len(),
        }
    }

    fn contains(&self, k: u128) -> bool {
        match self {
            Stored::Built(v) => v.binary_search(&k).is_ok(),
            Stored::Mapped(map, start, _) => raw(map, *start)
                .binary_search_by_key(&k, |c| u128::from_le_bytes(*c))
                .is_ok(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = u128> + '_> {
        match self {
            Stored::Built(v) => Box::new(v.iter().copied()),
            Stored::Mapped(map, start, _) => {
                Box::new(raw(map, *start).iter().map(|c| u128::from_le_bytes(*c)))
            }
        }
    }
}

/// A body's first line and the raw ids after it, sorted and whole.
fn split_tip(body: &[u8]) -> Option<(String, &[[u8; 16]], usize)> {
    let (tip, after) = split_line(body)?;
    let start = body.len() - after.len();
    let (ids, rest) = after.as_chunks::<16>();
    let sorted = ids
        .windows(2)
        .all(|w| u128::from_le_bytes(w[0]) < u128::from_le_bytes(w[1]));
    (rest.is_empty() && sorted).then_some((tip, ids, start))
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

    /// Whether the id whose key is `k` is there.
    #[cfg(test)]
    fn contains(&self, k: u128) -> bool {
        self.stored.contains(k) || self.added.contains(&k)
    }

    /// Adds the id whose key is `k`; false when it was there already.
    pub fn insert(&mut self, k: u128) -> bool {
        !self.stored.contains(k) && self.added.insert(k)
    }

    /// The ids of the file, searched where they lie: nothing is decoded;
    /// then those an `ids.add` on top of it added, and its tip.
    pub fn load(repo: &Repository) -> Option<Ids> {
        Ids::load_in(&cache_file::dir(repo))
    }

    fn load_in(dir: &std::path::Path) -> Option<Ids> {
        let map = cache_file::map(&dir.join("ids"), KIND, FORMAT)?;
        let (tip, _, start) = split_tip(map.body())?;
        let mut ids = Ids {
            tip: tip.clone(),
            stored: Stored::Mapped(map, start, tip),
            added: BTreeSet::new(),
        };
        if let Some(add) = cache_file::map(&dir.join("ids.add"), ADDED_KIND, ADDED_FORMAT)
            && let Some((base, rest)) = split_line(add.body())
            && base == ids.tip
            && let Some((tip, added, _)) = split_tip(rest)
        {
            let added = added.iter().map(|c| u128::from_le_bytes(*c));
            ids.added = added.filter(|k| !ids.stored.contains(*k)).collect();
            ids.tip = tip;
        }
        Some(ids)
    }

    /// Best effort, like every cache: the ids added since those mapped,
    /// while they are few beside them; else all of them, merged as they
    /// are written.
    pub fn save(&self, repo: &Repository) {
        self.save_in(&cache_file::dir(repo));
    }

    /// [`save`](Self::save) in the cache folder `dir`.
    pub fn save_in(&self, dir: &std::path::Path) {
        if let Stored::Mapped(_, _, base) = &self.stored
            && self.added.len() * 8 <= self.stored.len()
        {
            let mut body =
                Vec::with_capacity(base.len() + self.tip.len() + 2 + self.added.len() * 16);
            for line in [base, &self.tip] {
                body.extend_from_slice(line.as_bytes());
                body.push(b'\n');
            }
            for k in &self.added {
                body.extend_from_slice(&k.to_le_bytes());
            }
            cache_file::write(&dir.join("ids.add"), ADDED_KIND, ADDED_FORMAT, &body);
            return;
        }
        let mut body = Vec::with_capacity(self.tip.len() + 1 + self.len() * 16);
        body.extend_from_slice(self.tip.as_bytes());
        body.push(b'\n');
        for k in super::merge_sorted(self.stored.iter(), self.added.iter().copied()) {
            body.extend_from_slice(&k.to_le_bytes());
        }
        cache_file::write(&dir.join("ids"), KIND, FORMAT, &body);
        // What was added on top of the old file is in this one now.
        let _ = std::fs::remove_file(dir.join("ids.add"));
    }
}

/// A body's first line and what follows it.
fn split_line(body: &[u8]) -> Option<(String, &[u8])> {
    let end = body.iter().position(|b| *b == b'\n')?;
    let line = String::from_utf8(body[..end].to_vec()).ok()?;
    Some((line, &body[end + 1..]))
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
        assert!(
            cache_file::dir(&repo).join("ids.add").exists(),
            "three added to 500: written beside them"
        );
        for n in [0, 1, 10, 11, 998, 5000] {
            assert!(again.contains(key(&id(n))), "{n}");
        }
        assert!(!again.contains(key(&id(3))));
    }

    #[test]
    fn ids_added_past_an_eighth_of_the_file_are_written_with_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Ids::new("tip1".into(), (0..80).map(|n| key(&id(2 * n)))).save(&repo);
        let mut ids = Ids::load(&repo).unwrap();
        for n in 0..11 {
            ids.insert(key(&id(2 * n + 1)));
        }
        ids.tip = "tip2".into();
        ids.save(&repo);
        let folder = cache_file::dir(&repo);
        assert!(
            !folder.join("ids.add").exists(),
            "11 beside 80: all in one file"
        );
        let again = Ids::load(&repo).unwrap();
        assert_eq!(
            (again.tip.as_str(), again.len(), again.stored.len()),
            ("tip2", 91, 91)
        );
        let all: Vec<u128> = again.stored.iter().collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "written sorted");
    }

    #[test]
    fn ids_added_on_top_of_another_file_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Ids::new("tip1".into(), (0..100).map(|n| key(&id(2 * n)))).save(&repo);
        let mut ids = Ids::load(&repo).unwrap();
        ids.insert(key(&id(1)));
        ids.tip = "tip2".into();
        ids.save(&repo);
        let folder = cache_file::dir(&repo);
        let added = std::fs::read(folder.join("ids.add")).unwrap();
        // Another writer puts a whole file of its own tip in place, and
        // the old `ids.add` is still there (it had not removed it yet).
        Ids::new("tip9".into(), (0..100).map(|n| key(&id(2 * n)))).save(&repo);
        std::fs::write(folder.join("ids.add"), added).unwrap();
        let read = Ids::load(&repo).unwrap();
        assert_eq!((read.tip.as_str(), read.len()), ("tip9", 100));
        assert!(!read.contains(key(&id(1))));
    }
}
