//! The catalogue of credential shapes the redactor knows.
//!
//! The list follows the rule sets secret scanners maintain in public
//! (gitleaks' default configuration, the secrets-patterns-db): one entry
//! per kind of credential, named, with the token's documented prefix and
//! alphabet so that ordinary text does not match. A pattern with a group
//! named `s` masks only that group (`Authorization: Bearer [REDACTED]`,
//! `https://user:[REDACTED]@host`); otherwise the whole match is masked.
//! Adding a shape: add it here and a probe for it in `tests/redaction.rs`.

pub struct Shape {
    /// What the credential is, for a person: "a GitLab token".
    pub name: &'static str,
    /// Lower-case text one of which any match contains: the pattern is
    /// compiled and run only on text that holds one (as gitleaks does), so
    /// that redacting an ordinary message costs a few substring searches.
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
}

const fn shape(
    name: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Shape {
    Shape {
        name,
        keywords,
        pattern,
    }
}

pub const SHAPES: &[Shape] = &[
    // Key blocks: PEM (RSA, EC, OPENSSH, PKCS#8, …) and PGP armour; also
    // when a truncation left only the end of the block in view.
    shape(
        "a private key block",
        &["private key"],
        r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
    shape(
        "the end of a private key block",
        &["private key"],
        r"\A[\s\S]*?-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
    ),
    shape(
        "an age secret key",
        &["age-secret-key-"],
        r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b",
    ),
    // Cloud providers.
    shape(
        "an AWS access key id",
        &[
            "akia", "asia", "abia", "acca", "agpa", "aida", "aipa", "anpa", "anva", "aroa",
        ],
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[0-9A-Z]{16}\b",
    ),
    shape("a Google API key", &["aiza"], r"\bAIza[0-9A-Za-z_-]{35}"),
    shape(
        "a Google OAuth client secret",
        &["gocspx-"],
        r"\bGOCSPX-[0-9A-Za-z_-]{20,}",
    ),
    shape(
        "a Google OAuth token",
        &["ya29."],
        r"\bya29\.[0-9A-Za-z_-]{20,}",
    ),
    shape(
        "an Azure storage key",
        &["accountkey", "sharedaccesskey"],
        r"(?i)\b(?:AccountKey|SharedAccessKey)\s*=\s*(?P<s>[A-Za-z0-9+/]{20,}={0,2})",
    ),
    shape(
        "an Azure AD client secret",
        &["q~"],
        r"\b[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
    ),
    shape(
        "a DigitalOcean token",
        &["_v1_"],
        r"\bdo[opr]_v1_[a-f0-9]{64}\b",
    ),
    shape("a Databricks token", &["dapi"], r"\bdapi[a-f0-9]{32}\b"),
    shape(
        "a HashiCorp Vault token",
        &["hvs.", "hvb.", "hvr."],
        r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}",
    ),
    shape(
        "a Doppler token",
        &["dp."],
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{20,}",
    ),
    // Forges and registries.
    shape(
        "a GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    ),
    shape(
        "a GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    ),
    shape(
        "a GitLab token",
        &["gl"],
        r"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent|wt)-[A-Za-z0-9_-]{20,}",
    ),
    shape("an npm token", &["npm_"], r"\bnpm_[A-Za-z0-9]{36}\b"),
    shape("a PyPI token", &["pypi-"], r"\bpypi-[A-Za-z0-9_-]{40,}"),
    shape("a Hugging Face token", &["hf_"], r"\bhf_[A-Za-z0-9]{30,}\b"),
    shape(
        "a Grafana token",
        &["glc_", "glsa_"],
        r"\bgl(?:c|sa)_[A-Za-z0-9_+/=-]{32,}",
    ),
    // Payment, messaging and AI services.
    shape(
        "a Stripe key",
        &["k_live_", "k_test_", "k_prod_"],
        r"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}",
    ),
    shape(
        "a Stripe webhook secret",
        &["whsec_"],
        r"\bwhsec_[A-Za-z0-9]{20,}",
    ),
    shape(
        "a Square token",
        &["sq0"],
        r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}",
    ),
    shape(
        "a Shopify token",
        &["shp"],
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
    ),
    shape(
        "a SendGrid key",
        &["sg."],
        r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    ),
    shape("a Mailgun key", &["key-"], r"\bkey-[0-9a-f]{32}\b"),
    shape("a Twilio key", &["sk"], r"\bSK[0-9a-fA-F]{32}\b"),
    shape(
        "a Slack token",
        &["xox"],
        r"\bxox[abposre]-[A-Za-z0-9-]{8,}",
    ),
    shape(
        "a Slack app token",
        &["xapp-"],
        r"\bxapp-[0-9]-[A-Za-z0-9-]{8,}",
    ),
    shape(
        "a Slack webhook",
        &["hooks.slack.com"],
        r"\bhooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{10,}",
    ),
    shape(
        "a Discord webhook",
        &["discord"],
        r"\bdiscord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{20,}",
    ),
    shape(
        "a Telegram bot token",
        &[":aa"],
        r"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}\b",
    ),
    shape(
        "a Linear key",
        &["lin_api_"],
        r"\blin_api_[A-Za-z0-9]{40}\b",
    ),
    shape(
        "a Postman key",
        &["pmak-"],
        r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
    ),
    shape(
        "an OpenAI or Anthropic key",
        &["sk-"],
        r"\bsk-[A-Za-z0-9_-]{16,}",
    ),
    // Headers, tokens and URLs.
    shape(
        "a JSON Web Token",
        &["eyj"],
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    ),
    shape(
        "an Authorization header",
        &["authorization"],
        r"(?i)\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:basic|bearer|token|digest|negotiate|ntlm)\s+)?(?P<s>[A-Za-z0-9._~+/-]{8,}=*)",
    ),
    shape(
        "a bearer token",
        &["bearer"],
        r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/-]{8,}=*)",
    ),
    shape(
        "a password in a URL",
        &["://"],
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/:@]*:(?P<s>[^\s/@$][^\s/@]*)@",
    ),
    shape(
        "a secret in a URL",
        &["="],
        r#"(?i)[?&](?:access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|secret|client_secret|password|passwd|pwd|auth|sig|signature)=(?P<s>[^&\s#"'<>$][^&\s#"'<>]{3,})"#,
    ),
    shape(
        "a password given to curl",
        &["-u", "--user"],
        r#"(?:^|\s)(?:-u|--user)\s+["']?[^\s:"']+:(?P<s>[^\s"'$][^\s"']*)"#,
    ),
];

/// `name = value`, `name: value`, `"name": "value"` where the name says it
/// holds a secret, in any case (`password=…`, `api_key: …`,
/// `aws_secret_access_key = …`, JSON and YAML). Whether the value is
/// masked is decided by `assignment_value_is_secret`.
pub const ASSIGNMENT_KEYWORDS: &[&str] = &["pass", "pwd", "secret", "token", "key", "cred", "auth"];
pub const ASSIGNMENT: &str = r#"(?i)(?P<name>[a-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|creds|auth|key))["']?\s*(?:=|:=|:|=>)\s*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<s>[^\s"'`,;&)\]}]+))"#;

/// `NAME=value` / `NAME: value` where NAME is an upper-case variable name
/// that says it holds a secret anywhere in it (as `env`, `printenv` or
/// `set -x` print them): the value is masked, the name kept. This catches
/// secrets the check's own environment held but git-ledger's did not.
pub const ENV_ASSIGNMENT_KEYWORDS: &[&str] = &["key", "token", "secret", "passw", "credential"];
pub const ENV_ASSIGNMENT: &str = r"\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)[A-Z0-9_]*\s*[=:]\s*)([^\s\x22\x27]{4,}|\x22[^\x22\n]{4,}\x22|\x27[^\x27\n]{4,}\x27)";

/// Values too common to be secrets; masking them would wreck every message.
pub const NOT_SECRETS: &[&str] = &[
    "true", "false", "yes", "no", "none", "null", "nil", "on", "off", "required", "optional",
    "redacted", "changeme", "example",
];

/// Whether the value of a secret-named assignment is a secret: not a
/// reference to one (`$TOKEN`, `${TOKEN}`, `%TOKEN%`, `{{ token }}`, `<token>`),
/// not a common word; for a password any value of four characters or
/// more, for a key or token one that looks generated (eight characters or
/// more with a digit, or mixed case, or sixteen or more).
pub fn assignment_value_is_secret(name: &str, value: &str) -> bool {
    let v = value.trim();
    if v.starts_with(['$', '%', '<', '[', '*'])
        || v.starts_with("{{")
        || v.contains("[REDACTED]")
        || NOT_SECRETS.contains(&v.to_ascii_lowercase().as_str())
    {
        return false;
    }
    let n = v.chars().count();
    let name = name.to_ascii_lowercase();
    if ["password", "passwd", "pwd", "passphrase", "secret"]
        .iter()
        .any(|w| name.contains(w))
    {
        return n >= 4;
    }
    let digit = v.chars().any(|c| c.is_ascii_digit());
    let mixed =
        v.chars().any(|c| c.is_ascii_uppercase()) && v.chars().any(|c| c.is_ascii_lowercase());
    n >= 8 && (digit || mixed || n >= 16)
}
