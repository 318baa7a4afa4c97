//! The HTML board as people use it: `git ledger serve` answered over real
//! TCP, `export --watch` rewriting its file, and the page driven in
//! headless Chromium through chromedriver (WebDriver over HTTP): filters,
//! search, the URL hash, a step's detail, live reload, no network, no
//! sideways overflow at 400 px, and screenshots to look at.

mod common;

use common::Repo;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Steps in every status, evidence that passed and failed, live drift, an
/// edit, a retired step, and a GitHub remote for the links.
fn project() -> Repo {
    let r = Repo::new();
    r.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    r.write("src/storage/spaces.rs", "pub fn put() {}\n");
    r.write("src/queue.rs", "pub fn push() {}\n");
    r.write("src/api/routes.rs", "fn main() {}\n");
    r.write("docs/BLUEPRINT.md", "# Blueprint\n");
    r.commit_all("Code");
    r.ledger_ok(&["init", "--no-hooks"]);
    let add = |args: &[&str]| {
        r.ledger_ok(&[&["add"], args].concat());
    };
    add(&["S01", "Skeleton", "--phase", "Setup", "--owns", "README.md"]);
    add(&[
        "S04",
        "Object storage",
        "--phase",
        "Core",
        "--owns",
        "src/storage/**",
        "--check",
        "test -f src/storage/spaces.rs",
        "--check",
        "echo '3 passed; 0 failed'",
        "--ref",
        "docs/BLUEPRINT.md#storage",
        "--summary",
        "Spaces shim over the object store.",
        "--edge-case",
        "empty bucket",
        "--concern",
        "slow uploads",
        "--todo",
        "add metrics",
    ]);
    add(&["S05", "Queue", "--phase", "Core", "--owns", "src/queue.rs"]);
    add(&[
        "S06",
        "HTTP API",
        "--phase",
        "API",
        "--owns",
        "src/api/**",
        "--check",
        "echo 'error: route /v1/buckets missing'; exit 1",
    ]);
    add(&["S07", "Docs", "--phase", "API"]);
    add(&["S08", "Old idea"]);
    r.ledger_ok(&["mark", "S01", "verified"]);
    r.ledger_ok(&["mark", "S04", "in_progress", "--run", "run-1"]);
    r.ledger_ok(&["verify", "S04", "--run", "run-2"]);
    r.ledger_ok(&["mark", "S05", "verified"]);
    r.ledger_ok(&["mark", "S06", "done"]);
    assert_eq!(r.ledger(&["verify", "S06"]).code, 1);
    r.ledger_ok(&["mark", "S07", "in_progress"]);
    r.ledger_ok(&[
        "edit",
        "S05",
        "--owns",
        "src/queue.rs",
        "--owns",
        "src/queue/**",
    ]);
    r.ledger_ok(&["retire", "S08"]);
    r.write("src/queue.rs", "pub fn push() { changed() }\n");
    r.commit_all("Change the queue");
    r
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `git ledger serve --port 0`: the process, its URL, and what it logs on
/// stderr (one line per request but the polls of /version).
fn serve(r: &Repo) -> (Running, String, Arc<Mutex<Vec<String>>>) {
    let mut child = r
        .cmd(common::BIN)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    (Running(child), url, log)
}

/// One HTTP/1.1 exchange over a fresh connection: status code, head, body.
/// The body is read by its Content-Length (or chunks), as a server may
/// keep the connection open.
fn http(addr: &str, request: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break Some(i);
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break None,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    };
    let Some(head_end) = head_end else {
        return (0, String::from_utf8_lossy(&raw).into_owned(), String::new());
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut body = raw[head_end + 4..].to_vec();
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = lower.contains("transfer-encoding: chunked");
    let head_request = request.starts_with("HEAD ");
    loop {
        let done = match length {
            _ if head_request => true,
            Some(n) => body.len() >= n,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let mut text = String::from_utf8_lossy(&body).into_owned();
    if chunked {
        text = dechunk(&text);
    }
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, head, text)
}

fn get(addr: &str, path: &str) -> (u16, String, String) {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_answers_the_board_and_its_version_and_nothing_else() {
    let r = project();
    let (_server, url, log) = serve(&r);
    let addr = host_port(&url);
    assert!(addr.starts_with("127.0.0.1:"), "loopback by default: {url}");

    let (code, head, page) = get(&addr, "/");
    assert_eq!(code, 200, "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"));
    assert!(head.contains("Cache-Control: no-store"));
    assert!(
        page.contains("<meta name=\"ledger-version\""),
        "served pages poll"
    );
    assert!(
        page.contains("connect-src &#39;self&#39;"),
        "served pages may ask the server"
    );
    assert!(page.contains("id=\"step-S04\""));
    let (code, _, v1) = get(&addr, "/version");
    assert_eq!(code, 200);
    assert_eq!(
        v1.split(':').next().unwrap(),
        r.git(&["rev-parse", "refs/notes/ledger"]).trim(),
        "the version is the notes tip, HEAD and its branch: {v1}"
    );
    assert!(v1.ends_with(":main"), "{v1}");
    assert!(page.contains(&format!("content=\"{v1}\"")));

    let head_only = http(&addr, &format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\n\r\n"));
    assert_eq!((head_only.0, head_only.2.as_str()), (200, ""));
    for (request, want) in [
        (
            format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"),
            405,
        ),
        (
            format!("DELETE /version HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
            405,
        ),
        (
            format!("GET /../../etc/passwd HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
            404,
        ),
        (
            "GET / HTTP/1.1\r\nHost: rebound.example:80\r\n\r\n".to_string(),
            421,
        ),
        ("GET / HTTP/1.1\r\n\r\n".to_string(), 421),
        ("\u{1}\u{2} nonsense\r\n\r\n".to_string(), 400),
    ] {
        let (code, head, _) = http(&addr, &request);
        assert_eq!(code, want, "{request:?} → {head}");
    }

    // The board follows the ledger: a new event moves /version and the page.
    r.ledger_ok(&["mark", "S07", "done"]);
    let (_, _, v2) = get(&addr, "/version");
    assert_ne!(v1, v2);
    let (_, _, page) = get(&addr, "/");
    assert!(
        page.contains("data-id=\"S07\" data-status=\"completed_pending_verification\""),
        "the page shows the new status"
    );
    // And HEAD: a commit moves it too.
    r.write("notes.txt", "x\n");
    r.commit_all("Unrelated");
    let (_, _, v3) = get(&addr, "/version");
    assert_ne!(v2, v3);

    wait_until("the access log", || log.lock().unwrap().len() >= 9);
    let log = log.lock().unwrap().clone();
    assert_eq!(log[0], "GET / 200 OK", "{log:?}");
    assert!(
        log.contains(&"POST / 405 Method Not Allowed".to_string()),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("GET /version")),
        "polls are quiet: {log:?}"
    );
}

#[test]
fn serve_says_what_to_do_when_the_port_is_taken() {
    let r = Repo::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = r.ledger(&["serve", "--port", &port]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("error: cannot listen on 127.0.0.1:{port}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: give another port with --port P"),
        "{}",
        out.stderr
    );
    let empty = Repo::empty();
    let out = empty.ledger(&["serve", "--port", "0"]);
    assert_eq!(out.code, 2, "no commit yet: {}", out.stderr);
}

#[test]
fn export_watch_rewrites_the_file_when_the_ledger_moves() {
    let r = project();
    let child = r
        .cmd(common::BIN)
        .args(["export", "--format", "html", "--watch", "-o", "board.html"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _watch = Running(child);
    let file = r.path().join("board.html");
    let read = || std::fs::read_to_string(&file).unwrap_or_default();
    wait_until("the first board", || read().contains("</html>"));
    assert!(read().contains("data-id=\"S07\" data-status=\"in_progress\""));
    r.ledger_ok(&["mark", "S07", "done"]);
    wait_until("the rewritten board", || {
        read().contains("data-id=\"S07\" data-status=\"completed_pending_verification\"")
    });
    let refused = r.ledger(&["export", "--watch"]);
    assert_eq!(refused.code, 2, "--watch needs -o: {}", refused.stderr);
}

// ---- The browser ---------------------------------------------------------

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session on chromedriver, spoken to over plain HTTP.
struct Browser {
    addr: String,
    session: String,
    _driver: Running,
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Chromium through chromedriver, or None (and why) when they are not
    /// installed. `.ci/run` installs Debian's chromium and chromium-driver.
    fn start(profile: &Path) -> Option<Browser> {
        let (Some(chromium), Some(driver)) =
            (find_program("chromium"), find_program("chromedriver"))
        else {
            eprintln!(
                "SKIPPED the browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Running(child);
        let addr = format!("127.0.0.1:{port}");
        wait_until("chromedriver", || {
            TcpStream::connect(&addr).is_ok() && {
                let (_, _, body) = http(
                    &addr,
                    &format!("GET /status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
                );
                serde_json::from_str::<Value>(&body).is_ok_and(|v| v["value"]["ready"] == true)
            }
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"performance": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let created = call(&addr, "POST", "/session", Some(caps));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Some(Browser {
            addr,
            session,
            _driver: driver,
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = call(
            &self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        );
        assert!(
            v["value"].get("error").is_none(),
            "{method} {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }

    /// A script's value, or None while the page cannot run it (reloading).
    fn try_js(&self, script: &str) -> Option<Value> {
        let v = call(
            &self.addr,
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({"script": script, "args": []})),
        );
        v["value"]
            .get("error")
            .is_none()
            .then(|| v["value"].clone())
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url})));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT].as_str().unwrap().to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        );
    }

    fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.cmd("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Ids of the steps a person sees (rendered, not hidden).
    fn visible_steps(&self) -> Vec<String> {
        let v = self.js(
            "return Array.from(document.querySelectorAll('details.step')).filter(e => e.getClientRects().length > 0).map(e => e.dataset.id);",
        );
        serde_json::from_value(v).unwrap()
    }

    fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// A screenshot of the whole page at `width`, saved as PNG.
    fn screenshot(&self, width: u32, file: &Path) {
        self.resize(width, 900);
        let height = self
            .js("return document.documentElement.scrollHeight;")
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        self.resize(width, height);
        self.js("window.scrollTo(0, 0); return null;");
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            png.as_str().unwrap(),
        )
        .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(file, bytes).unwrap();
        eprintln!("screenshot at {width} px: {}", file.display());
    }

    /// Every URL the browser was asked to fetch since the last call.
    fn requests(&self) -> Vec<String> {
        let log = self.cmd("POST", "/se/log", Some(json!({"type": "performance"})));
        log.as_array()
            .unwrap()
            .iter()
            .filter_map(|entry| serde_json::from_str::<Value>(entry["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .filter_map(|m| {
                m["message"]["params"]["request"]["url"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = call(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

/// One WebDriver call: JSON in, JSON out.
fn call(addr: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (_, _, text) = http(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("GIT_LEDGER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
}

#[test]
fn the_board_in_chromium_filters_opens_steps_reloads_and_fetches_nothing() {
    let profile = tempfile::TempDir::new().unwrap();
    let Some(b) = Browser::start(profile.path()) else {
        return;
    };
    let r = project();
    let (_server, url, log) = serve(&r);

    // What the browser fetched for itself while starting is not the page's.
    b.requests();
    // Served: everything shown, the filter bar the script revealed.
    b.go(&url);
    assert_eq!(b.visible_steps(), ["S01", "S04", "S05", "S06", "S07"]);
    assert_eq!(b.text("#shown"), "All 5 steps");
    assert_eq!(
        b.text("#made-for").split(" ·").next().unwrap(),
        format!("branch main at {}", &r.head()[..7])
    );

    // A filter changes what is visible, and the URL hash keeps it.
    b.click("select[name=status] option[value=drift_detected]");
    assert_eq!(b.visible_steps(), ["S05", "S06"]);
    assert_eq!(b.text("#shown"), "2 of 5 steps");
    assert_eq!(b.js("return location.hash;"), "#status=drift_detected");
    // A reset applies on the next tick, once the form has cleared.
    b.click("button[type=reset]");
    wait_until("the reset to show every step", || {
        b.visible_steps().len() == 5
    });
    b.type_into("input[name=q]", "src/api");
    assert_eq!(b.visible_steps(), ["S06"], "search reaches owned files");
    b.click("button[type=reset]");
    wait_until("the reset to show every step", || {
        b.visible_steps().len() == 5
    });

    // Expanding a step shows its detail and history; the hash records it.
    b.click("#step-S06 > summary");
    assert_eq!(
        b.js("return document.getElementById('step-S06').open;"),
        true
    );
    let history = b.text("#step-S06 .history");
    assert!(history.contains("→ drift_detected [verify]"), "{history}");
    assert!(history.contains("evidence fail 0/1"), "{history}");
    assert!(
        history.contains("→ completed_pending_verification"),
        "{history}"
    );
    let checks = b.text("#step-S06 .last-checks");
    assert!(checks.contains("FAIL"), "{checks}");
    assert!(checks.contains("exit 1"), "{checks}");
    assert!(
        checks.contains("error: route /v1/buckets missing"),
        "the output tail: {checks}"
    );
    assert!(
        b.js("return location.hash;")
            .as_str()
            .unwrap()
            .contains("open=S06")
    );

    // A link with a view in its hash opens that view.
    b.go(&format!("{url}#phase=Core&open=S04"));
    assert_eq!(b.visible_steps(), ["S04", "S05"]);
    let s04 = b.text("#step-S04 .detail");
    for want in [
        "Spaces shim over the object store.",
        "empty bucket",
        "slow uploads",
        "add metrics",
        "docs/BLUEPRINT.md#storage",
        "src/storage/spaces.rs",
        "PASS echo '3 passed; 0 failed'",
        "3 passed; 0 failed",
        "→ verified [verify]",
    ] {
        assert!(s04.contains(want), "S04's detail lacks {want:?}:\n{s04}");
    }
    let link = b.js("return document.querySelector('#step-S04 .owned a').href;");
    assert!(
        link.as_str()
            .unwrap()
            .starts_with("https://github.com/acme/shop/blob/"),
        "files link to the forge: {link}"
    );
    let timeline = b.text("#timeline");
    assert!(
        timeline.contains("edited owns: +src/queue/**"),
        "edits say what changed:\n{timeline}"
    );
    assert!(!timeline.contains("S08"), "retired steps only on request");

    // The page reloads itself when the ledger moves.
    b.go(&url);
    r.ledger_ok(&["mark", "S07", "done"]);
    wait_until("the page to reload with S07 pending", || {
        b.try_js("var s = document.getElementById('step-S07'); return s && s.dataset.status;")
            .is_some_and(|v| v == "completed_pending_verification")
    });
    // The reload is over once the script has shown the filters again.
    wait_until("the reloaded page's script", || {
        b.try_js("return !document.getElementById('filters').hidden;")
            .is_some_and(|v| v == true)
    });

    // 400 px: no sideways overflow; then screenshots at both widths.
    b.resize(400, 900);
    let widths = b.js("return [document.documentElement.scrollWidth, window.innerWidth];");
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "sideways overflow at 400 px: {widths}"
    );
    b.click("#step-S04 > summary");
    let widths = b.js("return [document.documentElement.scrollWidth, window.innerWidth];");
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "an open step overflows: {widths}"
    );
    let dir = screenshot_dir();
    b.screenshot(1280, &dir.join("git-ledger-board-1280.png"));
    b.screenshot(400, &dir.join("git-ledger-board-400.png"));

    // Nothing but the server itself was asked for anything.
    let served = b.requests();
    assert!(!served.is_empty());
    for u in &served {
        assert!(u.starts_with(&url) || u.starts_with("data:"), "fetched {u}");
    }
    let logged = log.lock().unwrap().clone();
    assert!(
        logged.iter().all(|l| l == "GET / 200 OK"),
        "the server saw only its own page (and quiet polls): {logged:?}"
    );

    // The exported file runs its script under its own policy and loads nothing.
    let file = r.path().join("board.html");
    r.ledger_ok(&["export", "--format", "html", "-o", "board.html"]);
    b.go(&format!("file://{}#status=verified", file.display()));
    assert_eq!(b.visible_steps(), ["S01", "S04"]);
    let csp = b.js(
        "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content;",
    );
    assert!(
        csp.as_str().unwrap().starts_with("default-src 'none';"),
        "{csp}"
    );
    for u in b.requests() {
        assert!(
            u.starts_with("file://") || u.starts_with("data:"),
            "fetched {u}"
        );
    }
}
