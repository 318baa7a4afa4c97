//! Links from the board to the forge that hosts the repository: GitHub,
//! GitLab or Bitbucket, read off the remote's URL, or any https base set in
//! `ledger.webUrl`. A remote URL is outside data (it may hold credentials,
//! or anything a config file says), so only a plain `host/path` survives.

/// How a forge spells its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    GitHub,
    GitLab,
    Bitbucket,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forge {
    /// `https://github.com/owner/repo`, no trailing slash.
    pub base: String,
    pub style: Style,
}

/// Characters kept unencoded in a path segment of a link.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/' | '+' | '@' | '=')
}

/// A repository path as a URL path: each byte outside `plain` percent-encoded.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if plain(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

impl Forge {
    pub fn commit(&self, sha: &str) -> String {
        let sha = encode_path(sha);
        match self.style {
            Style::GitHub => format!("{}/commit/{sha}", self.base),
            Style::GitLab => format!("{}/-/commit/{sha}", self.base),
            Style::Bitbucket => format!("{}/commits/{sha}", self.base),
        }
    }

    /// A file as it is at `rev`.
    pub fn file(&self, rev: &str, path: &str) -> String {
        let (rev, path) = (encode_path(rev), encode_path(path));
        match self.style {
            Style::GitHub => format!("{}/blob/{rev}/{path}", self.base),
            Style::GitLab => format!("{}/-/blob/{rev}/{path}", self.base),
            Style::Bitbucket => format!("{}/src/{rev}/{path}", self.base),
        }
    }

    /// `ledger.webUrl`: an https base; the style from its host name
    /// (GitHub's spelling, which Gitea and Forgejo also answer for commits,
    /// when the host names neither GitLab nor Bitbucket).
    pub fn from_web_url(url: &str) -> Option<Forge> {
        let rest = url.trim().strip_prefix("https://")?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = clean_host(host)?;
        let path = clean_path(path, true)?;
        let style = if host.contains("gitlab") {
            Style::GitLab
        } else if host.contains("bitbucket") {
            Style::Bitbucket
        } else {
            Style::GitHub
        };
        let base = if path.is_empty() {
            format!("https://{host}")
        } else {
            format!("https://{host}/{path}")
        };
        Some(Forge { base, style })
    }

    /// A remote URL of a known forge: `git@github.com:o/r.git`,
    /// `https://[user@]gitlab.com/group/sub/r`, `ssh://git@bitbucket.org/o/r`.
    pub fn from_remote_url(url: &str) -> Option<Forge> {
        let url = url.trim();
        let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            // A port belongs to the remote's protocol, not to the web pages.
            let host = host.split(':').next()?;
            (host, path)
        } else {
            // scp-like: [user@]host:path
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') {
                return None;
            }
            (authority.rsplit('@').next()?, path)
        };
        let host = clean_host(host)?.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
        let style = match host.as_str() {
            "github.com" => Style::GitHub,
            "gitlab.com" => Style::GitLab,
            "bitbucket.org" => Style::Bitbucket,
            _ => return None,
        };
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let path = clean_path(path, false)?;
        if path.split('/').count() < 2 {
            return None;
        }
        Some(Forge {
            base: format!("https://{host}/{path}"),
            style,
        })
    }
}

fn clean_host(host: &str) -> Option<&str> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ':');
    ok.then_some(host)
}

/// A path of plain segments; `allow_empty` for a web base at the host root.
fn clean_path(path: &str, allow_empty: bool) -> Option<String> {
    let path = path.trim_matches('/');
    if path.is_empty() {
        return allow_empty.then(String::new);
    }
    let ok = path.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    });
    ok.then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base(url: &str) -> Option<String> {
        Forge::from_remote_url(url).map(|f| f.base)
    }

    #[test]
    fn reads_the_forms_remotes_are_written_in() {
        for url in [
            "git@github.com:acme/shop.git",
            "https://github.com/acme/shop",
            "https://github.com/acme/shop.git/",
            "https://user:s3cret@github.com/acme/shop.git",
            "ssh://git@github.com:22/acme/shop.git",
            "git://www.github.com/acme/shop",
        ] {
            assert_eq!(
                base(url).as_deref(),
                Some("https://github.com/acme/shop"),
                "{url}"
            );
        }
        let lab = Forge::from_remote_url("git@gitlab.com:group/sub/proj.git").unwrap();
        assert_eq!(lab.base, "https://gitlab.com/group/sub/proj");
        assert_eq!(
            lab.commit("abc"),
            "https://gitlab.com/group/sub/proj/-/commit/abc"
        );
        let bb = Forge::from_remote_url("https://bitbucket.org/team/repo.git").unwrap();
        assert_eq!(
            bb.file("abc", "src/a b#c.rs"),
            "https://bitbucket.org/team/repo/src/abc/src/a%20b%23c.rs"
        );
        for unknown in [
            "/srv/git/repo.git",
            "file:///srv/repo",
            "git@example.com:a/b.git",
            "https://github.com/just-owner",
            "https://github.com/a/../b",
            "https://github.com/a/b\"onmouseover=x",
            "",
        ] {
            assert_eq!(base(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn web_url_is_an_https_base() {
        let f = Forge::from_web_url("https://git.example.com/team/app/").unwrap();
        assert_eq!(f.base, "https://git.example.com/team/app");
        assert_eq!(f.style, Style::GitHub);
        assert_eq!(
            Forge::from_web_url("https://gitlab.example.com/a")
                .unwrap()
                .style,
            Style::GitLab
        );
        assert_eq!(Forge::from_web_url("http://git.example.com/a"), None);
        assert_eq!(Forge::from_web_url("javascript:alert(1)"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn any_url_gives_no_link_or_a_plain_https_one(
            url in prop_oneof![
                any::<String>(),
                "(https?|ssh|git)://([a-z:@]{0,8}@)?(github\\.com|gitlab\\.com|bitbucket\\.org)(:[0-9]{1,5})?/[ -~]{0,30}",
                "[a-z]{0,5}@(github\\.com|gitlab\\.com):[ -~]{0,30}",
            ],
            path in any::<String>(),
        ) {
            for forge in [Forge::from_remote_url(&url), Forge::from_web_url(&url)].into_iter().flatten() {
                prop_assert!(forge.base.starts_with("https://"));
                prop_assert!(!forge.base.contains('@'), "no credentials: {}", forge.base);
                let link = forge.file("HEAD", &path);
                prop_assert!(link.chars().all(|c| c.is_ascii_graphic()), "{link}");
                prop_assert!(!link.contains('"') && !link.contains('<') && !link.contains('#'));
            }
        }
    }
}
