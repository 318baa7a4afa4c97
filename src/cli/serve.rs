//! `git ledger serve [--port P] [--bind ADDR]`: the HTML board, kept
//! current, for a browser on this machine. Read-only: `GET /` is the board
//! and `GET /version` the state it shows (the notes tip and HEAD), which
//! the page polls to reload itself when either moves. Anything else is 404
//! or 405. Also `export --watch -o FILE`, the same loop writing a file.

use super::Ctx;
use super::export::ExportArgs;
use super::export::{Ending, check_target, document, served_html, write_atomically};
use crate::error::{Outcome, user_hint};
use crate::git::repo::{self, head_commit};
use crate::output;
use crate::serve::http::{self, Bad, Request};
use crate::store;
use anyhow::Result;
use clap::Args;
use git2::Repository;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const DEFAULT_PORT: u16 = 8421;

#[derive(Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free one
    #[arg(long, short = 'p', default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on. The default, 127.0.0.1, is this machine only;
    /// any other address lets whoever reaches it read the ledger
    #[arg(long, value_name = "addr", default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

/// Browsers open a few connections at once; more than this at a time get
/// a 503 instead of a thread.
const MAX_CONNECTIONS: usize = 32;
/// How long a connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often `export --watch` looks at the ledger and HEAD.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// What the board shows depends on: the notes tip and HEAD (commit and
/// branch). The page compares it with `/version`.
pub fn version(repo: &Repository) -> Result<String> {
    let tip = store::tip(repo)?.map(|t| t.to_string()).unwrap_or_default();
    let head = head_commit(repo)?.id().to_string();
    let branch = repo::head_branch(repo).unwrap_or_default();
    Ok(format!("{tip}:{head}:{branch}"))
}

/// The page last rendered, and the version it was rendered for.
type Rendered = Arc<Mutex<Option<(String, String)>>>;

pub fn run(ctx: &Ctx, a: ServeArgs) -> Result<Outcome> {
    let repo = ctx.repo()?;
    // Fail now, not on the first request, when there is nothing to show.
    version(&repo)?;
    let listener = TcpListener::bind((a.bind, a.port)).map_err(|e| {
        user_hint(
            format!("cannot listen on {}:{}: {e}", a.bind, a.port),
            "give another port with --port P (0 picks a free one)",
        )
    })?;
    let addr = listener.local_addr()?;
    let loopback_only = a.bind.is_loopback();
    if !loopback_only {
        output::warn(&format!(
            "listening on {} — anyone who can reach this address can read the ledger",
            a.bind
        ));
    }
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let url = match host {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
    };
    output::say(&format!(
        "serving the ledger board on {url} (read-only; it reloads when the ledger or HEAD moves; Ctrl-C stops)"
    ));
    let dir = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    drop(repo);
    let rendered: Rendered = Arc::new(Mutex::new(None));
    let open = Arc::new(AtomicUsize::new(0));
    let color = ctx.color.clone();
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(&http::response(
                "503 Service Unavailable",
                "text/plain; charset=utf-8",
                &[],
                b"busy\n",
                false,
            ));
            continue;
        }
        let (dir, rendered, open, color) =
            (dir.clone(), rendered.clone(), open.clone(), color.clone());
        std::thread::spawn(move || {
            // Each connection reads the repository on its own: git2
            // handles are not shared between threads.
            let ctx = Ctx::new(Some(dir), false, color);
            handle(&ctx, &mut stream, loopback_only, &rendered);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(Outcome::Ok)
}

fn read_request(stream: &mut TcpStream) -> Result<Request, Bad> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        match http::parse(&buf) {
            Err(Bad::Incomplete) => {}
            done => return done,
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(Bad::Malformed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn handle(ctx: &Ctx, stream: &mut TcpStream, loopback_only: bool, rendered: &Rendered) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let text = "text/plain; charset=utf-8";
    let (status, reply, path) = match read_request(stream) {
        Err(Bad::TooLarge) => (
            "431 Request Header Fields Too Large",
            http::response("431 Request Header Fields Too Large", text, &[], b"", false),
            String::from("?"),
        ),
        Err(_) => (
            "400 Bad Request",
            http::response("400 Bad Request", text, &[], b"bad request\n", false),
            String::from("?"),
        ),
        Ok(req) => {
            let (status, reply) = answer(ctx, &req, loopback_only, rendered);
            (status, reply, format!("{} {}", req.method, req.path))
        }
    };
    let _ = stream.write_all(&reply);
    let _ = stream.flush();
    // The page polls /version every two seconds: only the rest is logged.
    if !(path == "GET /version" && status.starts_with("200")) {
        // Sanitised: the path is whatever the request said.
        output::error_line(&format!("{path} {status}"));
    }
}

fn answer(
    ctx: &Ctx,
    req: &Request,
    loopback_only: bool,
    rendered: &Rendered,
) -> (&'static str, Vec<u8>) {
    let text = "text/plain; charset=utf-8";
    let head_only = req.method == "HEAD";
    if loopback_only && !req.host.as_deref().is_some_and(http::is_loopback_host) {
        let s = "421 Misdirected Request";
        return (
            s,
            http::response(
                s,
                text,
                &[],
                b"this board answers to 127.0.0.1 and localhost only\n",
                head_only,
            ),
        );
    }
    if req.method != "GET" && !head_only {
        let s = "405 Method Not Allowed";
        return (
            s,
            http::response(s, text, &[("Allow", "GET, HEAD")], b"read-only\n", false),
        );
    }
    let page = match req.path.as_str() {
        "/" | "/index.html" => true,
        "/version" => false,
        _ => {
            let s = "404 Not Found";
            return (s, http::response(s, text, &[], b"not found\n", head_only));
        }
    };
    let result = ctx.repo().and_then(|repo| {
        let v = version(&repo)?;
        if !page {
            return Ok((v.clone().into_bytes(), text));
        }
        let mut cache = rendered.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_v, html)) = cache.as_ref()
            && *cached_v == v
        {
            return Ok((html.clone().into_bytes(), "text/html; charset=utf-8"));
        }
        let html = served_html(ctx, &repo, &v)?;
        *cache = Some((v, html.clone()));
        Ok((html.into_bytes(), "text/html; charset=utf-8"))
    });
    match result {
        Ok((body, kind)) => {
            let s = "200 OK";
            (s, http::response(s, kind, &[], &body, head_only))
        }
        Err(e) => {
            output::warn(&format!("cannot show the board: {e:#}"));
            let s = "500 Internal Server Error";
            let body = format!("cannot show the board: {e:#}\n");
            (s, http::response(s, text, &[], body.as_bytes(), head_only))
        }
    }
}

/// `export -o FILE --watch`: writes FILE now and again whenever the
/// ledger or HEAD moves, until interrupted.
pub fn watch(ctx: &Ctx, repo: &Repository, a: &ExportArgs, format: &str) -> Result<Outcome> {
    let Some(path) = &a.output else {
        return Err(user_hint(
            "--watch needs a file to keep current",
            "give one with -o, e.g. git ledger export --format html --watch -o ledger.html",
        ));
    };
    check_target(path)?;
    let mut last: Option<String> = None;
    loop {
        let written = version(repo).and_then(|v| {
            if last.as_ref() != Some(&v) {
                let (text, steps) = document(ctx, repo, format, a.all, &a.at, a.branches, Ending::MoreWork)?;
                write_atomically(path, &text)?;
                output::say(&format!(
                    "wrote {} ({format}, {steps} step(s)); watching the ledger and HEAD (Ctrl-C stops)",
                    path.display()
                ));
                last = Some(v);
            }
            Ok(())
        });
        match written {
            Ok(()) => {}
            // The first write says whether this can work at all.
            Err(e) if last.is_none() => return Err(e),
            // Later, a ref caught mid-update is tried again next time.
            Err(e) => output::warn(&format!("{e:#}; trying again")),
        }
        std::thread::sleep(WATCH_EVERY);
    }
}
