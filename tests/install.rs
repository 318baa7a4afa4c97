//! What install.sh installs besides the binary: man pages (git runs
//! `man git-ledger` for `git ledger --help`) and shell completions.

mod common;
use common::Repo;

#[test]
fn man_pages_cover_every_visible_command() {
    let r = Repo::new();
    let dir = r.home.path().join("man1");
    r.ledger_ok(&["manpages", dir.to_str().unwrap()]);
    let main = std::fs::read_to_string(dir.join("git-ledger.1")).unwrap();
    assert!(main.contains(".TH git-ledger"), "{main}");
    for cmd in [
        "init", "add", "mark", "status", "show", "log", "owners", "next",
    ] {
        let page = std::fs::read_to_string(dir.join(format!("git-ledger-{cmd}.1"))).unwrap();
        assert!(
            page.contains(&format!("git\\-ledger\\-{cmd}")),
            "{cmd}: {page}"
        );
    }
    assert!(!dir.join("git-ledger-manpages.1").exists());
    let bad = r.ledger(&["manpages", "/proc/no/such/dir"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn completions_work_for_git_ledger_and_git_s_own_completion() {
    let r = Repo::new();
    let bash = r.ledger_ok(&["completions", "bash"]).stdout;
    assert!(
        bash.contains("complete -F _git__ledger"),
        "completes the binary"
    );
    assert!(
        bash.contains("_git_ledger()"),
        "bridges git's completion of `git ledger`"
    );
    assert!(
        !bash.contains("git__subcmd__ledger"),
        "labels match the dispatcher"
    );
    assert!(
        r.ledger_ok(&["completions", "zsh"])
            .stdout
            .contains("#compdef git-ledger")
    );
    assert!(
        r.ledger_ok(&["completions", "fish"])
            .stdout
            .contains("complete -c git-ledger")
    );
    assert_eq!(r.ledger(&["completions", "tcsh"]).code, 2);
}
