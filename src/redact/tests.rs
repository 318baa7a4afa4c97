use super::*;

mod probes {
    #![allow(dead_code)]
    include!("../../tests/fixtures/secret_probes.rs");
}

fn r(lits: &[&str]) -> Redactor {
    Redactor::with_literals(lits)
}

#[test]
fn every_catalogued_shape_is_masked() {
    let red = r(&[]);
    for p in probes::probes() {
        let out = red.apply(&format!("before {} after", p.text));
        assert!(!out.contains(&p.secret), "{} survived: {out}", p.shape);
        assert!(out.contains(MASK), "{}: {out}", p.shape);
        assert!(
            out.starts_with("before ") && out.ends_with(" after"),
            "{out}"
        );
    }
}

#[test]
fn every_catalogued_shape_makes_a_check_command_refused() {
    let red = r(&[]);
    for p in probes::probes() {
        let cmd = format!("deploy {}", p.text);
        assert!(red.secret_in_command(&cmd).is_some(), "{}: {cmd}", p.shape);
    }
    for fine in [
        "cargo test --quiet",
        "deploy --token \"$DEPLOY_TOKEN\"",
        "curl -H \"Authorization: Bearer $API_TOKEN\" https://example.com",
        "psql \"postgres://app:$PGPASSWORD@db/app\"",
        "make test KEY=1",
        "pytest -k 'password_reset'",
    ] {
        assert_eq!(red.secret_in_command(fine), None, "{fine}");
    }
}

#[test]
fn masks_literals_and_shapes() {
    let red = r(&["hunter2-secret", "true"]);
    let out = red.apply("pw=hunter2-secret ok=true key AKIAABCDEFGHIJKLMNOP tok ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    assert!(!out.contains("hunter2-secret") && !out.contains("AKIAABCD") && !out.contains("ghp_"));
    assert!(out.contains("ok=true"), "{out}");
    let pem = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nb";
    assert_eq!(red.apply(pem), "a\n[REDACTED]\nb");
    assert_eq!(
        red.apply("Authorization: Bearer abc.def.ghi123"),
        "Authorization: Bearer [REDACTED]"
    );
    assert_eq!(
        red.apply("tail of key\nxyz\n-----END PRIVATE KEY-----\nrest"),
        "[REDACTED]\nrest"
    );
    assert_eq!(
        red.apply("git clone https://ada:s3cr3t-pw@example.com/x.git"),
        "git clone https://ada:[REDACTED]@example.com/x.git"
    );
}

#[test]
fn masks_values_of_secret_named_variables_and_settings() {
    let red = r(&[]);
    assert_eq!(
        red.apply("API_TOKEN=tok-123456 DB_PASSWORD: \"two words\" ok"),
        "API_TOKEN=[REDACTED] DB_PASSWORD: [REDACTED] ok"
    );
    assert_eq!(
        red.apply("password: \"two words here\""),
        "password: \"[REDACTED]\""
    );
    // Short or ordinary values, references and lower-case words stay.
    for kept in [
        "MAX_KEY=1 max_tokens=4096",
        "PATH=/usr/bin",
        "api_key=$API_KEY",
        "token: ${TOKEN}",
        "primary key: customer_id",
        "password: required",
    ] {
        assert_eq!(red.apply(kept), kept);
    }
}

#[test]
fn reads_dotenv_with_quotes_exports_and_comments() {
    let v: Vec<String> = dotenv_values(
        "# c\nexport A=\"one two\" # quoted\nB='x#y'\nC=plain # a comment\nD=has#hash\nbad line",
    )
    .into_iter()
    .map(|l| l.value)
    .collect();
    assert_eq!(v, ["one two", "x#y", "plain", "has#hash"]);
}

#[test]
fn scrub_redacts_every_free_text_field_and_keeps_structure() {
    let red = r(&["s3cret-value"]);
    let mut e = Event::draft(
        "S01",
        Kind::Status,
        "2026-01-01T00:00:00Z".into(),
        "Ada s3cret-value <a@x>".into(),
        "trailer",
    )
    .with("msg", "deploy with s3cret-value")
    .with("phase", "Phase s3cret-value")
    .with("trailer", "Ledger-Run: s3cret-value")
    .with("files", vec!["s3cret-value/x.rs"])
    .with("status", "in_progress");
    e.run = Some("run-s3cret-value".into());
    red.scrub(&mut e).unwrap();
    let line = e.to_line();
    assert_eq!(line.matches("s3cret-value").count(), 1, "{line}");
    assert!(line.contains("\"files\":[\"s3cret-value/x.rs\"]"), "{line}");
    assert_eq!(e.run.as_deref(), Some("run-[REDACTED]"));
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config::seeded(500))]

    #[test]
    fn any_text_and_any_dotenv_are_read_without_panicking(text in ".{0,200}", env in "([A-Za-z_]{1,8}=.{0,20}\n|#.{0,10}\n|export .{0,10}\n){0,6}") {
        static RED: std::sync::LazyLock<Redactor> = std::sync::LazyLock::new(|| r(&["s3cret-value"]));
        let red = &*RED;
        let out = red.apply(&format!("{text} s3cret-value {text}"));
        proptest::prop_assert!(!out.contains("s3cret-value"));
        let _ = red.secret_in_command(&text);
        let _ = dotenv_values(&env);
    }
}

#[test]
fn scrub_refuses_a_define_whose_check_holds_a_secret() {
    let red = r(&[]);
    let mut e = Event::draft(
        "S01",
        Kind::Define,
        "2026-01-01T00:00:00Z".into(),
        "Ada <a@x>".into(),
        "import",
    )
    .with("checks", vec!["echo AKIAABCDEFGHIJKLMNOP; make deploy"]);
    let err = red.scrub(&mut e).unwrap_err().to_string();
    assert!(err.contains("an AWS access key id"), "{err}");
    assert!(!err.contains("AKIAABCDEFGHIJKLMNOP"), "{err}");
}
