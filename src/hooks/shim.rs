//! The hook shims: small sh scripts that hand over to `git ledger hook`.
//! The repository's top-level `hooks/` holds the same files, byte for byte
//! (a test keeps them equal).

/// The hooks git-ledger installs, in the order git runs them for a commit.
pub const HOOKS: [&str; 5] = [
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-merge",
    "post-rewrite",
];

/// A line only our shims contain: how a hook is recognised as ours.
pub const MARKER: &str = "# git-ledger hook shim";

/// Suffix of a hook that was in place before ours and keeps running.
pub const CHAINED_SUFFIX: &str = ".ledger-chained";

const TEMPLATE: &str = r##"#!/bin/sh
# git-ledger hook shim (installed by `git ledger hooks install`).
# First runs the hook that was here before, kept next to this file as
# HOOK.ledger-chained, with the same arguments and input; then hands over
# to git-ledger (`git ledger hook HOOK`). `git ledger hooks uninstall` puts
# the previous hook back. GIT_LEDGER_SKIP=1 skips git-ledger (not the
# chained hook). A missing git-ledger warns and never blocks git.
hook=HOOK

chained="$0.ledger-chained"
if [ -x "$chained" ]; then
    if [ "$hook" = post-rewrite ] && saved=$(mktemp "${TMPDIR:-/tmp}/git-ledger-hook.XXXXXX"); then
        # Both hooks read the rewritten commits on stdin.
        cat >"$saved"
        "$chained" "$@" <"$saved"
        status=$?
        exec <"$saved"
        rm -f "$saved"
    else
        "$chained" "$@"
        status=$?
    fi
    case "$hook" in
    prepare-commit-msg | commit-msg) [ "$status" -eq 0 ] || exit "$status" ;;
    esac
fi

[ "${GIT_LEDGER_SKIP:-}" = 1 ] && exit 0

# Every commit runs these hooks: when git-ledger has nothing to do, leave
# with shell built-ins. The current step and ledger.strict come from the
# flags file git-ledger keeps in the git dir, trusted only while it is
# newer than every config file git reads; else from `git config`.
ledger_config() { # $1: current | strict; sets $value
    value=
    gitdir=${GIT_DIR:-.git}
    [ -f "$gitdir" ] && read -r _ gitdir <"$gitdir"
    common=$gitdir
    if [ -f "$gitdir/commondir" ]; then
        read -r common <"$gitdir/commondir"
        case "$common" in /*) ;; *) common=$gitdir/$common ;; esac
    fi
    flags=$gitdir/git-ledger/hook-flags
    if [ -f "$flags" ] && [ -z "${GIT_CONFIG_PARAMETERS:-}${GIT_CONFIG_COUNT:-}" ]; then
        for f in "$gitdir/git-ledger/current" "$common/config" "$gitdir/config.worktree" \
            "${GIT_CONFIG_GLOBAL:-$HOME/.gitconfig}" \
            "${XDG_CONFIG_HOME:-$HOME/.config}/git/config" "${GIT_CONFIG_SYSTEM:-/etc/gitconfig}"; do
            if [ -e "$f" ] && ! [ "$flags" -nt "$f" ]; then flags=; break; fi
        done
        if [ -n "$flags" ]; then
            while IFS='=' read -r key val; do
                [ "$key" = "$1" ] && value=$val
            done <"$flags"
            return
        fi
    fi
    case "$1" in
    current) [ -f "$gitdir/git-ledger/current" ] && read -r value <"$gitdir/git-ledger/current"
        [ -n "$value" ] || value=$(git config --get ledger.current 2>/dev/null) ;;
    strict) value=$(git config --type=bool --get ledger.strict 2>/dev/null) ;;
    esac
}
mentions_ledger() {
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
        "# ------------------------ >8 ------------------------") return 1 ;;
        *[Ll][Ee][Dd][Gg][Ee][Rr]-*) return 0 ;;
        esac
    done <"$1"
    return 1
}
case "$hook" in
prepare-commit-msg)
    ledger_config current
    [ -n "$value" ] || exit 0 ;;
commit-msg)
    if [ -f "${1:-}" ] && ! mentions_ledger "$1"; then
        ledger_config strict
        [ "$value" = true ] || exit 0
    fi ;;
esac

if ! command -v git-ledger >/dev/null 2>&1; then
    echo "warning: git-ledger is not on PATH: the ledger's $hook hook did nothing (install git-ledger, or run: git ledger hooks uninstall)" >&2
    exit 0
fi
# The program `git ledger` runs, without a git process in between; not
# exec'd, so that an abnormal end (a signal, a file-size limit, the OOM
# killer) never becomes the hook's verdict: only commit-msg's exit 1
# (invalid trailers, ledger.strict) refuses a commit.
git-ledger hook "$hook" "$@"
status=$?
case "$status" in
0) exit 0 ;;
1) [ "$hook" = commit-msg ] && exit 1 ;;
esac
if [ "$status" -gt 128 ]; then
    why="was ended by signal $((status - 128))"
else
    why="exited with $status"
fi
echo "warning: git-ledger $why in the $hook hook: the ledger was not updated, the commit is not affected (git ledger check catches up)" >&2
exit 0
"##;

/// The shim for hook `name`.
pub fn shim(name: &str) -> String {
    TEMPLATE.replace("HOOK", name)
}

pub fn is_ours(content: &[u8]) -> bool {
    String::from_utf8_lossy(content)
        .lines()
        .take(3)
        .any(|l| l.starts_with(MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shim_starts_with_a_shebang_and_is_recognised() {
        let s = shim("commit-msg");
        assert!(s.starts_with("#!/bin/sh\n# git-ledger hook shim ("), "{s}");
        assert!(s.contains("hook=commit-msg\n"));
        assert!(s.contains("\ngit-ledger hook \"$hook\" \"$@\"\nstatus=$?\n"));
        assert!(is_ours(s.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\necho hi\n"));
    }
}
