//! Opening the repository and the few questions every command asks it.

use crate::error::{user, user_hint};
use anyhow::Result;
use git2::{Commit, ErrorCode, Repository, RepositoryOpenFlags};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

pub const NOTES_REF: &str = "refs/notes/ledger";

/// How libgit2 reads objects, set once at start, before any thread.
pub fn configure_libgit2() {
    // git itself does not hash every object it reads; libgit2 does by
    // default, which doubles the cost of reading a long history. A damaged
    // object still fails to inflate or parse.
    git2::opts::strict_hash_verification(false);
    // Nor does git look up every entry of a tree it writes; libgit2 does,
    // opening each new loose blob again as it is put in a tree (a scan
    // that wrote 20,000 notes spent 15% of its time there). Every tree
    // this tool writes names objects it has just written or read.
    git2::opts::strict_object_creation(false);
    // libgit2 keeps no tree over 4 KiB in its object cache. A notes tree's
    // fan-out levels are larger (256 entries of 30 bytes, or hundreds of
    // notes), and looking up note after note (a scan's trailer commits, a
    // fetch's changed notes) read the same subtree out of its delta chain
    // again for each one.
    // SAFETY: called from main before any thread is started.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20) };
}

/// For `scan`, which reads the history for trailers: libgit2 keeps no
/// commit in its object cache. It keeps every commit under 4 KiB by
/// default, and a scan reads each commit once, so caching them only costs
/// (a cold scan took 0.86-0.92x the time without it). `check` keeps the
/// cache: after a few new commits it took about 1.07x without it, and a
/// warm status 1.13x. Called on the main thread before the command starts
/// any thread.
pub fn read_each_commit_once() {
    // SAFETY: no other thread is running yet (see above).
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0) };
}

/// For a hook reading what the commit just written holds: its objects are
/// loose, and libgit2 looks in every pack before the loose objects, opening
/// each pack's index to do so. A second reader of the loose objects, asked
/// first, finds them with one open each; an object in a pack costs one
/// failed open more. Added as an alternate, so nothing is written through
/// it. Best effort: without it the reads are only slower.
pub fn read_loose_first(repo: &Repository) {
    if env_path("GIT_OBJECT_DIRECTORY").is_some() {
        return; // objects elsewhere: leave libgit2's own lookup alone
    }
    let Ok(odb) = repo.odb() else { return };
    let Some(dir) = repo
        .commondir()
        .join("objects")
        .to_str()
        .and_then(|d| std::ffi::CString::new(d).ok())
    else {
        return;
    };
    use git2::Binding;
    let mut backend = std::ptr::null_mut();
    // SAFETY: `dir` is a valid C string for the call; on success the odb
    // takes ownership of the backend, which it frees with itself; on
    // failure the backend is freed here through its own function.
    unsafe {
        if libgit2_sys::git_odb_backend_loose(&mut backend, dir.as_ptr(), -1, 0, 0, 0) != 0
            || backend.is_null()
        {
            return;
        }
        // Above the packs (priority 2) and the odb's own loose reader (1).
        if libgit2_sys::git_odb_add_alternate(odb.raw(), backend, 3) != 0
            && let Some(free) = (*backend).free
        {
            free(backend);
        }
    }
}

/// Opens the repository at `dir` (`-C`), or the one git's environment
/// names or the current directory is in, the way git finds it; then adds
/// the `git -c` settings of the environment as the highest config level.
pub fn open(dir: Option<&Path>) -> Result<Repository> {
    if let Some(d) = dir
        && !d.exists()
    {
        return Err(user_hint(
            format!("cannot change to '{}': no such directory", d.display()),
            "pass -C an existing directory inside a git repository",
        ));
    }
    let repo = locate(dir)?;
    super::config_params::apply(&repo)?;
    Ok(repo)
}

fn env_path(key: &str) -> Option<OsString> {
    std::env::var_os(key).filter(|v| !v.is_empty())
}

/// git's rules for GIT_DIR, GIT_WORK_TREE and GIT_COMMON_DIR (relative
/// paths are relative to the directory git-ledger runs in, after `-C`).
/// libgit2 reads GIT_DIR but refuses the other two, so with either of
/// them set the repository is opened here.
fn locate(dir: Option<&Path>) -> Result<Repository> {
    let git_dir = env_path("GIT_DIR");
    let work_tree = env_path("GIT_WORK_TREE");
    let common = env_path("GIT_COMMON_DIR");
    if git_dir.is_none() && work_tree.is_none() && common.is_none() {
        let opened = match dir {
            Some(d) => Repository::discover(d),
            None => Repository::open_from_env(),
        };
        return opened.map_err(open_error);
    }
    let base = match dir {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir()
            .map_err(|e| user(format!("cannot read the current directory: {e}")))?,
    };
    let resolve = |p: &OsString| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { base.join(p) }
    };
    let repo = match &git_dir {
        Some(gd) => Repository::open_ext(
            resolve(gd),
            RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&OsStr>(),
        ),
        None => {
            let ceilings: Vec<PathBuf> = env_path("GIT_CEILING_DIRECTORIES")
                .map(|c| std::env::split_paths(&c).collect())
                .unwrap_or_default();
            Repository::open_ext(&base, RepositoryOpenFlags::empty(), &ceilings)
        }
    }
    .map_err(open_error)?;
    if let Some(c) = &common {
        let wanted = canonical(&resolve(c));
        if wanted != canonical(repo.commondir()) {
            return Err(user_hint(
                format!(
                    "GIT_COMMON_DIR is {}, but this repository's shared files are in {}",
                    resolve(c).display(),
                    repo.commondir().display()
                ),
                "git-ledger reads a linked worktree's common dir from its `commondir` file; unset GIT_COMMON_DIR (or point it there)",
            ));
        }
    }
    // The work tree: GIT_WORK_TREE; else core.worktree or a bare
    // repository's none, which opening already applied; else, with GIT_DIR
    // given, the current directory is the top of the work tree.
    let configured = repo
        .config()
        .ok()
        .is_some_and(|c| c.get_entry("core.worktree").is_ok());
    let top = match &work_tree {
        Some(wt) => Some(resolve(wt)),
        None if git_dir.is_some() && !repo.is_bare() && !configured => Some(base.clone()),
        None => None,
    };
    if let Some(top) = top {
        repo.set_workdir(&top, false).map_err(|e| {
            user_hint(
                format!(
                    "cannot use {} as the work tree: {}",
                    top.display(),
                    e.message()
                ),
                "check GIT_WORK_TREE (or --work-tree)",
            )
        })?;
    }
    if let Some(index) = env_path("GIT_INDEX_FILE") {
        let mut idx = git2::Index::open(&resolve(&index))?;
        repo.set_index(&mut idx)?;
    }
    Ok(repo)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn open_error(e: git2::Error) -> anyhow::Error {
    match e.code() {
        ErrorCode::NotFound => user_hint(
            "not a git repository (or any of the parent directories)",
            "run git ledger inside a repository, or pass -C <path>; `git init` makes one",
        ),
        _ if e.message().contains("extension")
            || e.message().contains("reftable")
            || e.message().contains("object format") =>
        {
            let hint = if e.message().contains("object format") {
                "SHA-256 repositories are not supported yet; git-ledger needs SHA-1 object ids"
            } else if e.message().contains("refstorage") || e.message().contains("reftable") {
                "reftable is not supported yet: `git clone --ref-format=files` of it gives a clone git-ledger reads"
            } else {
                "the repository uses a git extension libgit2 cannot read; a fresh `git clone` of it may not"
            };
            user_hint(
                format!("git-ledger cannot read this repository: {}", e.message()),
                hint,
            )
        }
        _ => user(format!("cannot open the repository: {}", e.message())),
    }
}

/// HEAD's commit, or a clear error in a repository with no commit yet.
pub fn head_commit(repo: &Repository) -> Result<Commit<'_>> {
    head_ref(repo)?
        .peel_to_commit()
        .map_err(|e| user(format!("HEAD does not point at a commit: {}", e.message())))
}

/// HEAD's commit id, read from the refs alone.
pub fn head_oid(repo: &Repository) -> Result<git2::Oid> {
    let head = head_ref(repo)?;
    match head.target() {
        Some(oid) => Ok(oid),
        None => Ok(head_commit(repo)?.id()),
    }
}

fn head_ref(repo: &Repository) -> Result<git2::Reference<'_>> {
    repo.head().map_err(|e| match e.code() {
        ErrorCode::UnbornBranch | ErrorCode::NotFound => user_hint(
            "this repository has no commit yet",
            "make a first commit (git commit --allow-empty -m 'Initial commit'), then run git ledger again",
        ),
        _ => user(format!("cannot read HEAD: {}", e.message())),
    })
}

/// The branch HEAD is on (`main`), or None when HEAD is detached.
pub fn head_branch(repo: &Repository) -> Option<String> {
    let head = repo.head().ok()?;
    if !head.is_branch() {
        return None;
    }
    head.shorthand().ok().map(str::to_string)
}

/// Resolves a revision (`--commit REV`) to a commit.
pub fn resolve_commit<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            user_hint(
                format!("'{rev}' names no commit in this repository"),
                "give a commit id, branch or tag (git log --oneline lists commits)",
            )
        })
}

/// `Name <email>` from git's committer identity (config or GIT_COMMITTER_*).
pub fn identity(repo: &Repository) -> Result<String> {
    let sig = repo.committer_from_env().or_else(|_| repo.signature()).map_err(|_| {
        user_hint(
            "no git identity: git-ledger records who made each change",
            "set it with: git config user.name 'Your Name' && git config user.email you@example.com",
        )
    })?;
    Ok(format!(
        "{} <{}>",
        String::from_utf8_lossy(sig.name_bytes()),
        String::from_utf8_lossy(sig.email_bytes())
    ))
}

/// The directory shared by all worktrees, where clone-local state lives.
pub fn common_dir(repo: &Repository) -> PathBuf {
    repo.commondir().to_path_buf()
}

pub fn config_str(repo: &Repository, key: &str) -> Option<String> {
    repo.config()
        .ok()?
        .get_string(key)
        .ok()
        .filter(|s| !s.is_empty())
}

#[allow(dead_code)] // read by ledger.strict and ledger.requireEvidence
pub fn config_bool(repo: &Repository, key: &str) -> Result<bool> {
    config_bool_or(repo, key, false)
}

/// A boolean setting, `default` when unset; an unreadable value is bad input.
pub fn config_bool_or(repo: &Repository, key: &str, default: bool) -> Result<bool> {
    let cfg = repo.config()?;
    match cfg.get_bool(key) {
        Ok(b) => Ok(b),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(default),
        Err(_) => Err(user_hint(
            format!("config {key} is not a boolean"),
            format!("set it with: git config {key} true (or false)"),
        )),
    }
}

/// Every value of a multi-valued key, across all config levels, in order.
pub fn config_values(repo: &Repository, key: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Ok(entries) = repo.config()?.multivar(key, None) {
        entries.for_each(|e| {
            if let Ok(v) = e.value() {
                out.push(v.to_string());
            }
        })?;
    }
    Ok(out)
}

pub fn short(oid: &str) -> &str {
    oid.get(..7).unwrap_or(oid)
}

/// `read` over `items`, its results in their order: split between a few
/// threads, each with its own handle on the repository (libgit2 handles
/// are not shared between threads), once there are `min` items or more.
pub fn read_in_threads<T, R, E>(
    repo: &Repository,
    items: &[T],
    min: usize,
    read: impl Fn(&Repository, &[T]) -> Result<Vec<R>, E> + Sync,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send + From<git2::Error>,
{
    if items.len() < min.max(2) {
        return read(repo, items);
    }
    // Asked only when there is enough to split: the answer reads the
    // process's cgroup files, which a hook's small diff need not pay for.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if threads < 2 {
        return read(repo, items);
    }
    let path = repo.path().to_path_buf();
    let chunk = items.len().div_ceil(threads);
    let parts: Vec<Result<Vec<R>, E>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (path, read) = (&path, &read);
                scope.spawn(move || read(&Repository::open(path)?, part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(git2::Error::from_str("a reading thread failed").into())
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
