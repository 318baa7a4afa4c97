//! Ctrl-C, SIGTERM and SIGHUP while checks run: the signal only raises a
//! flag, so that `verify` can stop the running check, remove its temporary
//! checkout and exit on its own terms instead of dying half-way.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Replaces the default (die at once) for the signals a person or a CI
/// runner sends to stop a command.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores into an atomic, which is
        // async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The exit code of a command stopped by a signal, as shells report it.
pub const EXIT_CODE: i32 = 130;
