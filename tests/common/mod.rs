//! The test harness: real temporary repositories, the real binary, and
//! git itself, isolated from the machine's git configuration.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_git-ledger");

/// The step `id` in a `--json status` (or any JSON with a `steps` list).
pub fn step<'v>(status: &'v Value, id: &str) -> &'v Value {
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {status}"))
}

/// Environment every git and git-ledger process in a test gets.
pub fn isolate(cmd: &mut Command, home: &Path) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "GIT_NOTES_REF",
        "GIT_LEDGER_RUN",
        "GIT_LEDGER_SKIP",
        "NO_COLOR",
        "GIT_PREFIX",
    ] {
        cmd.env_remove(var);
    }
    let bin_dir = Path::new(BIN).parent().expect("binary dir");
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", bin_dir.display()))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T12:00:00Z")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0");
}

/// What a process did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A temporary git repository with one commit on `main`.
pub struct Repo {
    pub dir: TempDir,
    pub home: TempDir,
}

impl Repo {
    /// An empty repository, no commit.
    pub fn empty() -> Repo {
        let repo = Repo {
            dir: TempDir::new().unwrap(),
            home: TempDir::new().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    /// A repository with a README committed.
    pub fn new() -> Repo {
        let repo = Repo::empty();
        repo.write("README.md", "hello\n");
        repo.commit_all("Initial commit");
        repo
    }

    /// A clone of `url` (a path to a bare repository), sharing nothing else.
    pub fn clone_from(url: &Path) -> Repo {
        let repo = Repo {
            dir: TempDir::new().unwrap(),
            home: TempDir::new().unwrap(),
        };
        repo.git(&["clone", "-q", url.to_str().unwrap(), "."]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.path()).stdin(Stdio::null());
        isolate(&mut c, self.home.path());
        c
    }

    /// Runs git; panics with its output if it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let r = self.git_run(args);
        assert_eq!(r.code, 0, "git {args:?} failed:\n{}{}", r.stdout, r.stderr);
        r.stdout
    }

    /// Runs `program` in the repository with `input` on its stdin; its
    /// output, whatever its exit status.
    #[allow(dead_code)]
    pub fn pipe(&self, program: &str, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Feeds `stream` to `git fast-import` (`--force`: a notes commit may
    /// start from any tip); panics if git refuses it.
    #[allow(dead_code)]
    pub fn fast_import(&self, stream: &str) {
        let out = self.pipe(
            "git",
            &["fast-import", "--quiet", "--force"],
            stream.as_bytes(),
        );
        assert!(
            out.status.success(),
            "git fast-import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn git_run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd("git").args(args).output().expect("run git"))
    }

    /// Runs `git-ledger` as the binary (as git would).
    pub fn ledger(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(BIN).args(args).output().expect("run git-ledger"))
    }

    /// Runs git-ledger with extra environment variables.
    pub fn ledger_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        Run::from(
            self.cmd(BIN)
                .envs(env.iter().copied())
                .args(args)
                .output()
                .expect("run git-ledger"),
        )
    }

    /// Runs git-ledger and expects exit 0.
    pub fn ledger_ok(&self, args: &[&str]) -> Run {
        let r = self.ledger(args);
        assert_eq!(
            r.code, 0,
            "git-ledger {args:?} exited {}:\n{}{}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    /// Runs git-ledger with --json and parses stdout.
    pub fn ledger_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.ledger_ok(&all).json()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn append(&self, rel: &str, content: &str) {
        let p = self.path().join(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(content);
        self.write(rel, &old);
    }

    /// `git add -A && git commit -m msg`; returns the new HEAD.
    pub fn commit_all(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Every line of every note under refs/notes/ledger, as plain git sees them.
    pub fn note_lines(&self) -> Vec<String> {
        let list = self.git_run(&["notes", "--ref", "ledger", "list"]);
        let mut lines = Vec::new();
        for row in list.stdout.lines() {
            let object = row.split_whitespace().nth(1).unwrap();
            let text = self.git(&["notes", "--ref", "ledger", "show", object]);
            lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string),
            );
        }
        lines
    }

    /// The events as plain git stores them, parsed.
    pub fn events(&self) -> Vec<Value> {
        self.note_lines()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Status of step `id` in `git ledger status --json`.
    pub fn status_of(&self, id: &str) -> String {
        let v = self.ledger_json(&["status", "--all"]);
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id} in {v}"))["status"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A bare repository to act as a remote.
pub fn bare_remote() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("remote.git");
    let home = TempDir::new().unwrap();
    let mut c = Command::new("git");
    c.args(["init", "-q", "--bare", "-b", "main", path.to_str().unwrap()]);
    isolate(&mut c, home.path());
    assert!(c.status().unwrap().success());
    (dir, path)
}
