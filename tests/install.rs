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

/// Runs install.sh with an already built binary into a fresh PREFIX.
fn install_into(r: &Repo, path: &str) -> (common::Run, std::path::PathBuf) {
    let prefix = r.home.path().join("prefix");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    let out = r
        .cmd("bash")
        .arg(script)
        .env("GIT_LEDGER_BINARY", common::BIN)
        .env("PREFIX", &prefix)
        .env("PATH", path)
        .env("SHELL", "/bin/bash")
        .output()
        .unwrap();
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    (run, prefix.join("bin"))
}

#[test]
fn install_sh_prints_the_exact_path_line_when_the_bin_dir_is_not_on_path() {
    let r = Repo::new();
    let (out, bin) = install_into(&r, "/usr/bin:/bin");
    assert!(!out.stdout.contains("Try it"), "{}", out.stdout);
    let line = format!(
        "  echo 'export PATH=\"{0}:$PATH\"' >> ~/.bashrc && export PATH=\"{0}:$PATH\"",
        bin.display()
    );
    assert!(out.stdout.contains(&line), "{}", out.stdout);
    assert!(
        out.stdout.contains("bash-completion package"),
        "{}",
        out.stdout
    );
    // The printed line works as printed: afterwards git finds git-ledger.
    let shell = format!("{} && git ledger --version", line.trim());
    let ran = r
        .cmd("bash")
        .args(["-c", &shell])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(String::from_utf8_lossy(&ran.stdout).starts_with("git-ledger "));
    let rc = std::fs::read_to_string(r.home.path().join(".bashrc")).unwrap();
    assert!(rc.contains(&bin.display().to_string()), "{rc}");

    let on_path = format!("{}:/usr/bin:/bin", bin.display());
    let (again, _) = install_into(&r, &on_path);
    assert!(
        again
            .stdout
            .trim_end()
            .ends_with("Try it: git ledger --help"),
        "{}",
        again.stdout
    );
    // The build shows cargo's progress instead of minutes of silence.
    let script = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh"),
    )
    .unwrap();
    let build = script
        .lines()
        .find(|l| l.trim_start().starts_with("cargo build"))
        .unwrap();
    assert!(!build.contains("--quiet"), "{build}");
}

/// What bash offers after `git-ledger WORDS…` with the installed script.
fn bash_completes(r: &Repo, script: &str, words: &[&str]) -> Vec<String> {
    let path = r.home.path().join("git-ledger.bash");
    std::fs::write(&path, script).unwrap();
    let list: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=(git-ledger {}); COMP_CWORD={}; _git_ledger_dynamic git-ledger \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        list.join(" "),
        words.len()
    );
    let out = r.cmd("bash").args(["-c", &program]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_step_ids_and_statuses_from_the_repository_and_hides_internals() {
    let r = Repo::new();
    r.ledger_ok(&["add", "S04", "Storage", "--phase", "Phase 2"]);
    r.ledger_ok(&["add", "S05", "Search"]);
    let script = r.ledger_ok(&["completions", "bash"]).stdout;
    assert_eq!(bash_completes(&r, &script, &["show", ""]), ["S04", "S05"]);
    assert_eq!(
        bash_completes(&r, &script, &["verify", "S04", "S0"]),
        ["S04", "S05"]
    );
    let statuses = bash_completes(&r, &script, &["mark", "S04", "ver"]);
    assert_eq!(statuses, ["verified"]);
    assert!(
        bash_completes(&r, &script, &["status", "--status", ""]).contains(&"drift".to_string())
    );
    assert_eq!(
        bash_completes(&r, &script, &["status", "--phase", ""]),
        ["Phase\\ 2"],
        "quoted for the shell"
    );
    let commands = bash_completes(&r, &script, &["h"]);
    assert!(commands.contains(&"hooks".to_string()), "{commands:?}");
    assert!(
        !commands.contains(&"hook".to_string()),
        "hook is internal: {commands:?}"
    );
    let all = bash_completes(&r, &script, &[""]);
    assert!(all.contains(&"status".to_string()), "{all:?}");
    for hidden in ["manpages", "__complete", "hook"] {
        assert!(!all.contains(&hidden.to_string()), "{hidden}: {all:?}");
    }
    // Options still come from clap's script.
    assert!(bash_completes(&r, &script, &["status", "--ow"]).contains(&"--owner".to_string()));
    for shell in ["zsh", "fish"] {
        let text = r.ledger_ok(&["completions", shell]).stdout;
        assert!(text.contains("git-ledger __complete"), "{shell}");
        assert!(
            !text.contains("'manpages:") && !text.contains("-a \"manpages\""),
            "{shell}"
        );
    }
}

#[test]
fn man_pages_have_examples_exit_status_and_value_names() {
    let r = Repo::new();
    let dir = r.home.path().join("man1");
    r.ledger_ok(&["manpages", dir.to_str().unwrap()]);
    let log = std::fs::read_to_string(dir.join("git-ledger-log.1")).unwrap();
    assert!(log.contains("\\fB\\-\\-since\\fR \\fI<date>\\fR"), "{log}");
    assert!(log.contains("\\fB\\-C\\fR \\fI<path>\\fR"), "{log}");
    for page in [
        "git-ledger.1",
        "git-ledger-status.1",
        "git-ledger-verify.1",
        "git-ledger-init.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".SH EXAMPLES"), "{page}");
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
    }
    let status = std::fs::read_to_string(dir.join("git-ledger-status.1")).unwrap();
    assert!(status.contains("\\-\\-status drift,pending"), "{status}");
    assert!(
        !dir.join("git-ledger-hook.1").exists(),
        "internal commands get no page"
    );
    // man itself reads them, where it is installed.
    if let Ok(out) = r
        .cmd("man")
        .args(["-l", dir.join("git-ledger-status.1").to_str().unwrap()])
        .env("MANWIDTH", "100")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("EXIT STATUS") && text.contains("--owner <path>"),
                "{text}"
            );
        } else {
            println!("skipped the man(1) rendering: man exited {}", out.status);
        }
    }
}
