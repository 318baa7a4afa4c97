//! Runs one check command: `sh -c CMD` in a directory, stdout and stderr
//! into one pipe (so their lines interleave as a terminal would show them),
//! stopped after a timeout. The full output is hashed as it streams; only a
//! bounded window of its end is kept, redacted, and cut to the stored tail.

use super::interrupt;
use crate::redact::Redactor;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The stored tail: the last 4 KiB of the redacted output.
pub const TAIL_BYTES: usize = 4096;
/// How much of the output's end is kept for redaction before the tail is
/// cut from it, so a secret that begins before the tail is still found.
const WINDOW_BYTES: usize = 1 << 20;
/// After a timeout: SIGTERM, then this long before SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// The exit code recorded for a check stopped by its timeout (as timeout(1)).
pub const TIMEOUT_EXIT: i32 = 124;

/// Variables a hook's environment may carry that would point a check's own
/// git commands at the wrong repository or index.
const CLEARED_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
];

#[derive(Debug, Clone)]
pub struct CheckRun {
    pub cmd: String,
    /// The command's exit code; 128+N when a signal N ended it; 124 on timeout.
    pub exit: i32,
    pub ms: u64,
    pub timed_out: bool,
    pub out_sha256: String,
    /// The last 4 KiB of the redacted output.
    pub out_tail: String,
}

impl CheckRun {
    pub fn passed(&self) -> bool {
        self.exit == 0 && !self.timed_out
    }

    /// The `checks` entry of an evidence event (SPEC 2.2); `cmd` and
    /// `out_tail` are redacted.
    pub fn to_json(&self, red: &Redactor) -> Value {
        json!({
            "cmd": red.apply(&self.cmd),
            "exit": self.exit,
            "ms": self.ms,
            "timed_out": self.timed_out,
            "out_sha256": self.out_sha256,
            "out_tail": self.out_tail,
        })
    }
}

/// Why a check has no result.
#[derive(Debug)]
pub enum Stopped {
    /// A signal asked `verify` to stop; the check was killed.
    Interrupted,
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stopped {
    fn from(e: anyhow::Error) -> Self {
        Stopped::Failed(e)
    }
}

pub struct Spec<'a> {
    pub cmd: &'a str,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
}

/// Runs the check; `tick` is called with the elapsed time while it runs.
pub fn run(
    spec: &Spec<'_>,
    red: &Redactor,
    mut tick: impl FnMut(Duration),
) -> Result<CheckRun, Stopped> {
    let (reader, writer) =
        std::io::pipe().context("cannot create a pipe for the check's output")?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(spec.cmd)
        .current_dir(spec.dir)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().context("cannot duplicate a pipe")?)
        .stderr(writer)
        // Its own process group: a timeout or Ctrl-C stops everything the
        // check started, not only the shell.
        .process_group(0);
    for var in CLEARED_ENV {
        command.env_remove(var);
    }
    command.envs(spec.env.iter().map(|(k, v)| (k, v)));
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        crate::error::user_hint(
            format!("cannot start sh to run a check: {e}"),
            "checks run with sh -c; make a POSIX sh available on PATH",
        )
    })?;
    // Our copies of the pipe's write end must go, or the reader never ends.
    drop(command);
    let pgid = child.id() as libc::pid_t;

    let captured = Arc::new(Mutex::new(Capture::default()));
    let (done_tx, done_rx) = mpsc::channel();
    {
        let captured = Arc::clone(&captured);
        std::thread::spawn(move || {
            capture(reader, &captured);
            let _ = done_tx.send(());
        });
    }

    let mut timed_out = false;
    let mut poll = Duration::from_millis(1);
    let status: ExitStatus = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                kill_group(pgid, libc::SIGKILL);
                return Err(Stopped::Failed(
                    anyhow::Error::new(e).context("lost track of the check's process"),
                ));
            }
        }
        if interrupt::requested() {
            kill_group(pgid, libc::SIGKILL);
            let _ = child.wait();
            return Err(Stopped::Interrupted);
        }
        if spec.timeout.is_some_and(|t| started.elapsed() >= t) {
            timed_out = true;
            break stop(&mut child, pgid);
        }
        tick(started.elapsed());
        // Short checks are seen at once; long ones are polled every 20 ms.
        std::thread::sleep(poll);
        poll = (poll * 2).min(Duration::from_millis(20));
    };
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // Whatever the check left running in the background would hold the pipe
    // open (and outlive the temporary checkout): it goes too.
    kill_group(pgid, libc::SIGKILL);
    let _ = done_rx.recv_timeout(Duration::from_secs(2));

    let cap = match captured.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    let exit = if timed_out {
        TIMEOUT_EXIT
    } else {
        status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(-1)
    };
    Ok(CheckRun {
        cmd: spec.cmd.to_string(),
        exit,
        ms,
        timed_out,
        out_sha256: crate::hex::encode(&cap.hasher.clone().finalize()),
        out_tail: redacted_tail(&cap.window, cap.total, red),
    })
}

/// SIGTERM to the group, SIGKILL after the grace period.
fn stop(child: &mut std::process::Child, pgid: libc::pid_t) -> ExitStatus {
    kill_group(pgid, libc::SIGTERM);
    let until = Instant::now() + GRACE;
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_group(pgid, libc::SIGKILL);
    child
        .wait()
        .unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL))
}

fn kill_group(pgid: libc::pid_t, sig: libc::c_int) {
    if pgid > 0 {
        // SAFETY: kill(2) has no memory-safety preconditions; a group that
        // is already gone gives ESRCH, which is ignored.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

#[derive(Default)]
struct Capture {
    hasher: Sha256,
    window: VecDeque<u8>,
    total: u64,
}

fn capture(mut reader: std::io::PipeReader, into: &Mutex<Capture>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let Ok(mut c) = into.lock() else { return };
        c.hasher.update(&buf[..n]);
        c.total += n as u64;
        c.window.extend(&buf[..n]);
        let excess = c.window.len().saturating_sub(WINDOW_BYTES);
        if excess > 0 {
            c.window.drain(..excess);
        }
    }
}

/// Redacts the kept end of the output, then cuts the last `TAIL_BYTES`
/// at a character boundary.
fn redacted_tail(window: &VecDeque<u8>, total: u64, red: &Redactor) -> String {
    let bytes: Vec<u8> = window.iter().copied().collect();
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if total > bytes.len() as u64 {
        // The window may start inside a line; a partial line could be the
        // end of a secret too short to recognise, so it is dropped.
        if let Some(nl) = text.find('\n') {
            text.drain(..=nl);
        }
    }
    tail(&red.apply(&text), TAIL_BYTES)
}

/// The last at most `max` bytes of `text`, starting on a character boundary.
pub fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_respects_char_boundaries() {
        assert_eq!(tail("abc", 10), "abc");
        assert_eq!(tail("abcdef", 3), "def");
        // 'é' is two bytes: a cut inside it moves forward.
        assert_eq!(tail("aéb", 2), "b");
        assert_eq!(tail("aéb", 3), "éb");
    }
}
