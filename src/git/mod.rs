//! Repository access: opening, identity, owns-globs and fingerprints.

pub mod config_params;
pub mod fingerprint;
pub mod history;
pub mod owns;
pub mod pipe;
pub mod ref_lock;
pub mod repo;
pub mod trailers;
pub mod treediff;
pub mod work_index;

/// For tests: a tree of `files` (path, content), written with git2 as
/// git would.
#[cfg(test)]
pub(crate) fn test_tree<'r>(repo: &'r git2::Repository, files: &[(&str, &str)]) -> git2::Tree<'r> {
    let mut index = git2::Index::new().unwrap();
    for (path, content) in files {
        let blob = repo.blob(content.as_bytes()).unwrap();
        let mut e = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: blob,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        e.flags = (path.len() as u16) & 0xfff;
        index.add(&e).unwrap();
    }
    let id = index.write_tree_to(repo).unwrap();
    repo.find_tree(id).unwrap()
}
