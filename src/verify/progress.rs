//! What a person sees while checks run: one line on stderr, rewritten in
//! place, naming the check and how long it has been running. Only on a
//! terminal and without `-q`; pipes and CI logs get nothing.

use std::io::{IsTerminal, Write};
use std::time::Duration;

pub struct Progress {
    on: bool,
    shown: bool,
    last_secs: u64,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal() && !crate::output::quiet(),
            shown: false,
            last_secs: u64::MAX,
        }
    }

    /// Redraws the line when the shown second changes.
    pub fn running(&mut self, label: &str, elapsed: Duration) {
        if !self.on {
            return;
        }
        let secs = elapsed.as_secs();
        if self.shown && secs == self.last_secs {
            return;
        }
        self.last_secs = secs;
        self.shown = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{label}  {}", clock(secs));
        let _ = err.flush();
    }

    /// Removes the line before anything else is printed.
    pub fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
            self.last_secs = u64::MAX;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

fn clock(secs: u64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// A command shortened to fit one terminal line.
pub fn shorten(cmd: &str, max: usize) -> String {
    if cmd.chars().count() <= max {
        return cmd.to_string();
    }
    let mut s: String = cmd.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_shorten() {
        assert_eq!(clock(7), "7s");
        assert_eq!(clock(125), "2m05s");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
