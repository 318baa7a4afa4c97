//! Nothing secret reaches the ledger (SPEC 8): secrets a check prints, and a
//! token in a `mark -m` message, appear in no blob under refs/notes/ledger.

mod common;

use common::Repo;

const ENV_TOKEN: &str = "tok-9f8e7d6c5b4a3921";
const DOTENV_VALUE: &str = "hunter2-from-dotenv";
const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const FILE_TOKEN: &str = "file-token-5551234";
const GITHUB_TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const PEM_LINE: &str = "MIIEowIBAAKCAQEA7bq98mKkTyVHc3VwTG9sZGVyS2V5";

/// Every blob reachable from refs/notes/ledger, old notes trees included.
fn ledger_blobs(repo: &Repo) -> Vec<String> {
    let objects = repo.git(&["rev-list", "--objects", "refs/notes/ledger"]);
    objects
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|oid| repo.git(&["cat-file", "-t", oid]).trim() == "blob")
        .map(|oid| repo.git(&["cat-file", "blob", oid]))
        .collect()
}

fn pem_block(body_lines: usize) -> String {
    let mut pem = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
    for _ in 0..body_lines {
        pem.push_str(PEM_LINE);
        pem.push('\n');
    }
    pem.push_str("-----END RSA PRIVATE KEY-----\n");
    pem
}

fn assert_clean(repo: &Repo, secrets: &[&str]) {
    let blobs = ledger_blobs(repo);
    assert!(!blobs.is_empty());
    for blob in &blobs {
        for s in secrets {
            assert!(
                !blob.contains(s),
                "secret {s} stored in the ledger:\n{blob}"
            );
        }
    }
    assert!(blobs.iter().any(|b| b.contains("[REDACTED]")));
}

#[test]
fn secrets_printed_by_checks_never_reach_the_ledger() {
    let repo = Repo::new();
    // Committed fixtures the checks print: a key file, an AWS key, an env dump.
    repo.write("fixtures/key.pem", &pem_block(3));
    repo.write(
        "fixtures/aws.txt",
        &format!("aws_access_key_id = {AWS_KEY}\n"),
    );
    repo.write(
        "fixtures/env.txt",
        &format!("HOME=/root\nAPI_TOKEN={FILE_TOKEN}\n"),
    );
    repo.write(".gitignore", ".env\n");
    repo.commit_all("Fixtures");
    // A name that says nothing: only its place in .env makes it secret.
    repo.write(".env", &format!("SERVICE_URL={DOTENV_VALUE}\n"));
    let dotenv = repo.path().join(".env");
    let dotenv_check = format!("cat '{}'", dotenv.display());
    repo.ledger_ok(&[
        "add",
        "S04",
        "Secrets",
        "--owns",
        "fixtures/**",
        "--check",
        "echo \"the token is $API_TOKEN\"",
        "--check",
        &dotenv_check,
        "--check",
        "cat fixtures/aws.txt",
        "--check",
        "cat fixtures/key.pem",
        "--check",
        "cat fixtures/env.txt",
    ]);
    let r = repo.ledger_env(&[("API_TOKEN", ENV_TOKEN)], &["verify", "S04"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let secrets = [ENV_TOKEN, DOTENV_VALUE, AWS_KEY, PEM_LINE, FILE_TOKEN];
    assert_clean(&repo, &secrets);
    // Nor does the report verify printed.
    for s in secrets {
        assert!(!r.stdout.contains(s), "{s} printed:\n{}", r.stdout);
    }
    let ev = repo
        .events()
        .into_iter()
        .find(|e| e["kind"] == "evidence")
        .unwrap();
    let tails: Vec<&str> = ev["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["out_tail"].as_str().unwrap())
        .collect();
    assert_eq!(tails[0], "the token is [REDACTED]\n");
    assert_eq!(tails[1], "SERVICE_URL=[REDACTED]\n");
    assert_eq!(tails[2], "aws_access_key_id = [REDACTED]\n");
    assert_eq!(tails[3], "[REDACTED]\n");
    assert_eq!(tails[4], "HOME=/root\nAPI_TOKEN=[REDACTED]\n");
}

#[test]
fn a_key_longer_than_the_tail_is_redacted_before_the_tail_is_cut() {
    let repo = Repo::new();
    // 200 lines of key: its BEGIN line lies far before the last 4 KiB.
    repo.write("fixtures/big.pem", &pem_block(200));
    repo.commit_all("Big key");
    repo.ledger_ok(&[
        "add",
        "S04",
        "Key",
        "--check",
        "cat fixtures/big.pem; echo done",
    ]);
    repo.ledger_ok(&["verify", "S04"]);
    assert_clean(&repo, &[PEM_LINE, "PRIVATE KEY"]);
    let ev = repo
        .events()
        .into_iter()
        .find(|e| e["kind"] == "evidence")
        .unwrap();
    assert_eq!(ev["checks"][0]["out_tail"], "[REDACTED]\ndone\n");
}

#[test]
fn messages_are_redacted_too() {
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S04", "Deploy"]);
    let r = repo.ledger_env(
        &[("DEPLOY_TOKEN", ENV_TOKEN)],
        &[
            "mark",
            "S04",
            "wip",
            "-m",
            &format!("deployed with {ENV_TOKEN} and {GITHUB_TOKEN}"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    repo.ledger_ok(&[
        "mark",
        "S04",
        "done",
        "-m",
        &format!("key {AWS_KEY}"),
        "--evidence",
        &format!("API_TOKEN={FILE_TOKEN}"),
    ]);
    assert_clean(&repo, &[ENV_TOKEN, GITHUB_TOKEN, AWS_KEY, FILE_TOKEN]);
}

#[test]
fn ledger_redact_patterns_apply_to_check_output() {
    let repo = Repo::new();
    repo.write("fixtures/internal.txt", "session=corp-77-secret-session\n");
    repo.commit_all("Internal");
    repo.git(&["config", "--add", "ledger.redact", "corp-[0-9]+-[a-z-]+"]);
    repo.ledger_ok(&[
        "add",
        "S04",
        "Internal",
        "--check",
        "cat fixtures/internal.txt",
    ]);
    repo.ledger_ok(&["verify", "S04"]);
    assert_clean(&repo, &["corp-77-secret-session"]);
}

#[test]
fn a_secret_cut_by_the_tail_boundary_does_not_leak_its_end() {
    let repo = Repo::new();
    // The token's last 8 characters, then 4087 bytes and a newline: the last
    // 4 KiB of the raw output would start inside the token.
    repo.ledger_ok(&[
        "add",
        "S04",
        "Boundary",
        "--check",
        "printf 'x%s' \"$API_TOKEN\"; head -c 4087 /dev/zero | tr '\\0' 'y'; echo",
    ]);
    let r = repo.ledger_env(&[("API_TOKEN", ENV_TOKEN)], &["verify", "S04"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let end = &ENV_TOKEN[ENV_TOKEN.len() - 8..];
    for blob in ledger_blobs(&repo) {
        assert!(
            !blob.contains(&format!("{end}yyyy")),
            "the token's end leaked"
        );
    }
    let ev = repo
        .events()
        .into_iter()
        .find(|e| e["kind"] == "evidence")
        .unwrap();
    let tail = ev["checks"][0]["out_tail"].as_str().unwrap();
    assert_eq!(tail.len(), 4096);
    assert!(tail.starts_with("EDACTED]yyy"), "{}", &tail[..20]);
}

#[path = "fixtures/secret_probes.rs"]
mod probes;

/// Every file git-ledger keeps next to the repository (caches, the trust
/// file, the fetched-ledger memory), as text.
fn clone_local_files(repo: &Repo) -> Vec<(String, String)> {
    let common = repo.git(&["rev-parse", "--git-common-dir"]);
    let dir = repo.path().join(common.trim()).join("git-ledger");
    let mut out = Vec::new();
    let mut todo = vec![dir];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    out
}

#[test]
fn secret_shapes_in_any_field_reached_the_ledger() {
    let probes = probes::probes();
    let all: Vec<&str> = probes.iter().map(|p| p.text.as_str()).collect();
    let line = format!("probes: {}", all.join(" ; "));
    let repo = Repo::new();
    repo.ledger_ok(&["init"]);
    // A check prints every probe, one per line, from a committed file.
    repo.write("fixtures/probes.txt", &(all.join("\n") + "\n"));
    repo.write(".gitignore", ".env\n");
    repo.commit_all("Probes");
    repo.write(
        ".env",
        "SERVICE_PW=dotenv-value-8c1f # the service password\n",
    );
    let line = format!("{line} ; dotenv-value-8c1f ; {ENV_TOKEN}");
    let env = [("DEPLOY_TOKEN", ENV_TOKEN)];

    let terminal = std::cell::RefCell::new(String::new());
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let r = repo.ledger_env(env, args);
        assert_eq!(r.code, 0, "{:?}: {}", &args[..2.min(args.len())], r.stderr);
        terminal.borrow_mut().push_str(&r.stdout);
        terminal.borrow_mut().push_str(&r.stderr);
    };
    let fields = [
        "--phase",
        &line,
        "--summary",
        &line,
        "--ref",
        &line,
        "--edge-case",
        &line,
        "--concern",
        &line,
        "--todo",
        &line,
        "--owns",
        "fixtures/**",
        "--check",
        "cat fixtures/probes.txt",
    ];
    let mut add = vec!["add", "S01", &line];
    add.extend_from_slice(&fields);
    run(&add, &env);
    run(&["add", "S02", "Other"], &env);
    run(&["mark", "S01", "wip", "-m", &line, "--run", &line], &env);
    let mut with_run = env.to_vec();
    with_run.push(("GIT_LEDGER_RUN", &line));
    run(
        &["mark", "S01", "done", "-m", "via the environment"],
        &with_run,
    );
    run(&["verify", "S01"], &env);
    run(&["mark", "S02", "verified", "--evidence", &line], &env);
    run(&["retire", "S02", "-m", &line], &env);
    // A commit whose subject and Ledger-Run trailer carry every probe.
    repo.write("fixtures/more.txt", "more\n");
    repo.git(&["add", "-A"]);
    let commit = repo
        .cmd("git")
        .envs(env)
        .args([
            "commit",
            "-q",
            "-m",
            &line,
            "--trailer",
            "Ledger-Step: S01",
            "--trailer",
            &format!("Ledger-Run: {line}"),
        ])
        .output()
        .unwrap();
    assert!(commit.status.success());
    terminal
        .borrow_mut()
        .push_str(&String::from_utf8_lossy(&commit.stderr));
    for view in [
        &["status"][..],
        &["show", "S01"],
        &["log"],
        &["--json", "log"],
    ] {
        run(view, &env);
    }
    // The trailer and the run really were ingested, redacted.
    let trailer_event = repo
        .events()
        .into_iter()
        .find(|e| e["source"] == "trailer")
        .expect("the trailer became an event");
    assert!(
        trailer_event["run"]
            .as_str()
            .unwrap()
            .contains("[REDACTED]")
    );

    let terminal = terminal.into_inner();
    let blobs = ledger_blobs(&repo);
    let notes_log = repo.git(&["log", "--format=%B", "refs/notes/ledger"]);
    let files = clone_local_files(&repo);
    assert!(!files.is_empty());
    let mut secrets: Vec<(&str, String)> =
        probes.iter().map(|p| (p.shape, p.secret.clone())).collect();
    secrets.push((".env value with a comment", "dotenv-value-8c1f".into()));
    secrets.push(("secret-named environment variable", ENV_TOKEN.into()));
    for (shape, secret) in &secrets {
        for blob in &blobs {
            assert!(!blob.contains(secret.as_str()), "{shape} stored in a note");
        }
        assert!(
            !notes_log.contains(secret.as_str()),
            "{shape} in a notes commit message"
        );
        for (path, text) in &files {
            assert!(!text.contains(secret.as_str()), "{shape} stored in {path}");
        }
        assert!(!terminal.contains(secret.as_str()), "{shape} printed");
    }
}

#[test]
fn a_check_command_holding_a_secret_was_stored_as_it_stood() {
    let repo = Repo::new();
    for args in [
        &[
            "add",
            "S01",
            "Deploy",
            "--check",
            "echo AKIAABCDEFGHIJKLMNOP; make deploy",
        ][..],
        &[
            "add",
            "S01",
            "Deploy",
            "--check",
            "curl -H 'Authorization: Bearer abcdef0123456789xyz' https://x",
        ],
    ] {
        let r = repo.ledger(args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr
                .contains("read the value from an environment variable"),
            "{}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("AKIAABCDEFGHIJKLMNOP") && !r.stderr.contains("abcdef0123456789xyz")
        );
    }
    repo.ledger_ok(&["add", "S01", "Deploy", "--check", "make deploy"]);
    let r = repo.ledger(&["edit", "S01", "--check", "deploy --password=hunter2-prod"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("secret-named setting"), "{}", r.stderr);
    // The reference to a variable is the way to write it.
    repo.ledger_ok(&[
        "edit",
        "S01",
        "--check",
        "deploy --password=\"$DEPLOY_PASSWORD\"",
    ]);
    assert!(
        repo.note_lines()
            .iter()
            .all(|l| !l.contains("AKIAABCDEFGHIJKLMNOP"))
    );
}

#[test]
fn an_invalid_ledger_redact_pattern_was_dropped_silently() {
    let repo = Repo::new();
    repo.ledger_ok(&["add", "S01", "Deploy"]);
    repo.git(&["config", "--add", "ledger.redact", "corp-(unclosed"]);
    let before = repo.note_lines();
    let r = repo.ledger(&["mark", "S01", "wip", "-m", "corp-77-session"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: ledger.redact 'corp-(unclosed' is not a valid regular expression"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    assert_eq!(repo.note_lines(), before);
}
