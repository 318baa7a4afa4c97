#!/usr/bin/env bash
# Builds git-ledger in release mode and installs it on PATH, so that git
# runs it as `git ledger`. PREFIX (default ~/.local) chooses where:
# $PREFIX/bin/git-ledger, with man pages in $PREFIX/share/man and shell
# completions under $PREFIX/share. Safe to run again: it replaces the files it installed.
# GIT_LEDGER_BINARY=path installs that binary instead of building one
# (a binary built elsewhere, or by a packager).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prefix="${PREFIX:-$HOME/.local}"

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "install.sh: $1 is not installed. $2" >&2
        exit 2
    }
}
[ -n "${GIT_LEDGER_BINARY:-}" ] || need cargo "Install a Rust toolchain (https://rustup.rs), then run ./install.sh again."
need git "Install git (2.30 or newer), then run ./install.sh again."

built="${GIT_LEDGER_BINARY:-}"
if [ -z "$built" ]; then
    echo "Building git-ledger (release; the first build takes a few minutes)…"
    # On Linux with glibc a statically linked binary starts in half the
    # time (no dynamic loading), which every commit's hook pays; elsewhere,
    # or when that build fails, the usual one.
    host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
    built=
    case "$host" in
    *-linux-gnu)
        # cargo shows its progress (a bar on a terminal, a line per crate otherwise).
        if RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
            cargo build --release --locked --target "$host" --manifest-path "$here/Cargo.toml"; then
            built="$here/target/$host/release/git-ledger"
        else
            echo "install.sh: the static build failed; building the usual way" >&2
        fi
        ;;
    esac
    if [ -z "$built" ]; then
        cargo build --release --locked --manifest-path "$here/Cargo.toml"
        built="$here/target/release/git-ledger"
    fi
fi

bin_dir="$prefix/bin"
mkdir -p "$bin_dir"
install -m 0755 "$built" "$bin_dir/git-ledger"
echo "installed $bin_dir/git-ledger"

# Man pages: `git ledger --help` opens `man git-ledger`.
man_dir="$prefix/share/man/man1"
"$bin_dir/git-ledger" -q manpages "$man_dir"
echo "installed man pages in $man_dir"

# Completions, where each shell looks for them under PREFIX.
bash_dir="$prefix/share/bash-completion/completions"
zsh_dir="$prefix/share/zsh/site-functions"
fish_dir="$prefix/share/fish/vendor_completions.d"
mkdir -p "$bash_dir" "$zsh_dir" "$fish_dir"
"$bin_dir/git-ledger" completions bash > "$bash_dir/git-ledger"
"$bin_dir/git-ledger" completions zsh > "$zsh_dir/_git-ledger"
"$bin_dir/git-ledger" completions fish > "$fish_dir/git-ledger.fish"
echo "installed completions for bash, zsh and fish under $prefix/share"
echo "note: bash completes 'git ledger <TAB>' only with the bash-completion package installed (Debian/Ubuntu: apt install bash-completion; macOS: brew install bash-completion@2)"

case ":$PATH:" in
    *":$bin_dir:"*)
        echo "Try it: git ledger --help"
        ;;
    *)
        case "${SHELL:-}" in
            */zsh) rc="~/.zshrc" ;;
            */fish) rc="" ;;
            *) rc="~/.bashrc" ;;
        esac
        echo "$bin_dir is not on your PATH, so git does not find git-ledger yet. Add it:"
        if [ -n "$rc" ]; then
            echo "  echo 'export PATH=\"$bin_dir:\$PATH\"' >> $rc && export PATH=\"$bin_dir:\$PATH\""
        else
            echo "  fish_add_path $bin_dir"
        fi
        echo "then try: git ledger --help"
        ;;
esac
