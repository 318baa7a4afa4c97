//! The little HTTP/1.1 that `git ledger serve` speaks: read one request
//! head, answer it, close. A request comes from whatever can reach the
//! port, so the parser takes bytes and never panics.

/// The part of a request the server acts on.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The `Host` header, lowercased, if any.
    pub host: Option<String>,
}

/// Why a request head is not one the server reads.
#[derive(Debug, PartialEq, Eq)]
pub enum Bad {
    /// No end of the head yet: read more (up to `MAX_HEAD`).
    Incomplete,
    Malformed,
    TooLarge,
}

/// A request head larger than this is refused: the server's own page
/// sends a few hundred bytes.
pub const MAX_HEAD: usize = 16 * 1024;

/// Parses a request head from the bytes read so far.
pub fn parse(bytes: &[u8]) -> Result<Request, Bad> {
    let end = match bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => i,
        None if bytes.len() >= MAX_HEAD => return Err(Bad::TooLarge),
        None => return Err(Bad::Incomplete),
    };
    if end > MAX_HEAD {
        return Err(Bad::TooLarge);
    }
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| Bad::Malformed)?;
    let mut lines = head.split("\r\n");
    let line = lines.next().ok_or(Bad::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Bad::Malformed);
    };
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase());
    if !token(method) || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(Bad::Malformed);
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let mut host = None;
    for l in lines {
        let (name, value) = l.split_once(':').ok_or(Bad::Malformed)?;
        if name.eq_ignore_ascii_case("host") {
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    Ok(Request {
        method: method.to_string(),
        path,
        host,
    })
}

/// Whether `host` (a Host header) names this machine's loopback, so that a
/// page elsewhere cannot read the board through a DNS name rebound to
/// 127.0.0.1.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A whole response: status line, the headers every answer carries, body.
pub fn response(
    status: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    head_only: bool,
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(body);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_method_path_and_host() {
        let r = parse(b"GET /version?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8421\r\nAccept: */*\r\n\r\n")
            .unwrap();
        assert_eq!(
            r,
            Request {
                method: "GET".into(),
                path: "/version".into(),
                host: Some("127.0.0.1:8421".into())
            }
        );
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: x"), Err(Bad::Incomplete));
        assert_eq!(
            parse(b"GET http://e/ HTTP/1.1\r\n\r\n"),
            Err(Bad::Malformed)
        );
        assert_eq!(parse(b"get / HTTP/1.1\r\n\r\n"), Err(Bad::Malformed));
        assert_eq!(parse(&vec![b'a'; MAX_HEAD]), Err(Bad::TooLarge));
    }

    #[test]
    fn only_loopback_names_pass() {
        for ok in [
            "127.0.0.1:8421",
            "localhost:1",
            "localhost",
            "[::1]:80",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8421",
            "127.0.0.1.evil.example",
            "10.0.0.1:80",
            "",
            "[::2]:1",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn no_request_makes_it_panic(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..600),
                "[A-Z]{0,6} /[ -~]{0,40} HTTP/1\\.[01]\r\n([A-Za-z-]{0,10}:[ -~]{0,20}\r\n){0,4}\r\n"
                    .prop_map(String::into_bytes),
            ],
            host in any::<String>(),
        ) {
            if let Ok(r) = parse(&bytes) {
                prop_assert!(r.path.starts_with('/'));
                prop_assert!(!r.path.contains('?'));
            }
            let _ = is_loopback_host(&host);
        }
    }
}
