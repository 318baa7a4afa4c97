//! Reading a git child's output a batch at a time.
//!
//! `git cat-file --batch` writes its output 4 KiB at a time (stdio's
//! buffer for a pipe), and a reader that parses faster than git inflates
//! drains the pipe at each write and sleeps until the next: a cold read
//! of 200,000 events switched tasks some 80,000 times, each switch taking
//! a core from the two gits the read waits on. A [`Batched`] pipe holds
//! up to 1 MiB, and a read that found it nearly empty waits a moment
//! before the next, so that git's writes gather in the pipe meanwhile.

use std::io::{self, Read};
use std::time::Duration;

/// How long a read waits after one that found the pipe nearly empty: at
/// the 20–40 MB/s one `cat-file` writes, some 20 writes gather.
const NAP: Duration = Duration::from_micros(1000);

/// Less than this in one read means the pipe was nearly drained.
const LOW: usize = 64 << 10;

/// A child's stdout read in batches (see the module's doc).
pub struct Batched<R> {
    inner: R,
    drained: bool,
}

impl<R: Read + std::os::fd::AsRawFd> Batched<R> {
    pub fn new(inner: R) -> Batched<R> {
        // Room for what git writes during a nap; the kernel's default
        // of 64 KiB would stop git. Refused (a user's pipe budget spent),
        // the pipe keeps its size, and reading only wakes more often.
        unsafe {
            libc::fcntl(inner.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
        }
        Batched {
            inner,
            drained: false,
        }
    }
}

impl<R: Read> Read for Batched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.drained {
            std::thread::sleep(NAP);
        }
        let n = self.inner.read(buf)?;
        // A small request (a header line) says nothing of the pipe.
        self.drained = n > 0 && n < LOW.min(buf.len());
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    #[test]
    fn a_batched_pipe_reads_a_childs_whole_output_in_order() {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::with_capacity(1 << 20, Batched::new(child.stdout.take().unwrap()));
        let lines: Vec<String> = out.lines().map(Result::unwrap).collect();
        assert!(child.wait().unwrap().success());
        assert_eq!(lines.len(), 3000);
        assert!(
            lines
                .iter()
                .enumerate()
                .all(|(i, l)| *l == format!("line {i}"))
        );
    }
}
