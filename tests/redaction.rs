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
