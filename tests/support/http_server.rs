//! An in-process HTTP/1.1 server on 127.0.0.1 for integration tests, written by hand on a
//! `TcpListener` so it can misbehave on demand: never answer, trickle, send an endless body,
//! redirect in loops, serve compressed or pre-compressed bodies, answer conditional requests.
//!
//! Every connection gets one response and is closed (`Connection: close`), so the number of open
//! connections equals the number of requests in flight; `max_concurrent` reports its peak.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server treats the request after reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// A normal response.
    Answer,
    /// Read the request, then hold the connection open without a byte of answer.
    NeverAnswer,
    /// Send the head at once, then the body one byte per second.
    Trickle,
    /// A chunked body that never ends.
    EndlessBody,
}

/// How the body is encoded on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// What one path answers.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub encoding: Encoding,
    pub behaviour: Behaviour,
    /// Sent as `ETag`; an equal `If-None-Match` gets 304.
    pub etag: Option<String>,
    /// Sent as `Last-Modified`; an equal `If-Modified-Since` gets 304 (when no `If-None-Match`).
    pub last_modified: Option<String>,
    /// Older ETags that still get 304 (the 304 then carries the current validators).
    pub accepted_etags: Vec<String>,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Route {
    pub fn status(status: u16) -> Route {
        Route {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            encoding: Encoding::Identity,
            behaviour: Behaviour::Answer,
            etag: None,
            last_modified: None,
            accepted_etags: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn ok(body: impl Into<Vec<u8>>) -> Route {
        Route::status(200).body(body)
    }

    pub fn redirect(status: u16, location: &str) -> Route {
        Route::status(status).header("Location", location)
    }

    pub fn never_answer() -> Route {
        Route::status(200).behaviour(Behaviour::NeverAnswer)
    }

    pub fn trickle(body: impl Into<Vec<u8>>) -> Route {
        Route::ok(body).behaviour(Behaviour::Trickle)
    }

    pub fn endless() -> Route {
        Route::status(200).behaviour(Behaviour::EndlessBody)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Route {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn behaviour(mut self, behaviour: Behaviour) -> Route {
        self.behaviour = behaviour;
        self
    }

    pub fn gzip(mut self) -> Route {
        self.encoding = Encoding::Gzip;
        self
    }

    pub fn brotli(mut self) -> Route {
        self.encoding = Encoding::Brotli;
        self
    }

    pub fn etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.to_owned());
        self
    }

    pub fn last_modified(mut self, date: &str) -> Route {
        self.last_modified = Some(date.to_owned());
        self
    }

    pub fn accepts_etag(mut self, etag: &str) -> Route {
        self.accepted_etags.push(etag.to_owned());
        self
    }

    pub fn delay(mut self, delay: Duration) -> Route {
        self.delay = delay;
        self
    }
}

/// One request as the server saw it; header names are lower-cased.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Route>>,
    requests: Mutex<Vec<RecordedRequest>>,
    open: AtomicUsize,
    max_open: AtomicUsize,
}

/// The running server; it stops accepting when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept_loop: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let shared = state.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        TestServer {
            addr,
            state,
            accept_loop,
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Sets (or replaces) what `path` answers; paths are matched without the query string.
    pub fn route(&self, path: &str, route: Route) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), route);
    }

    /// Changes the body of an existing route, keeping everything else.
    pub fn set_body(&self, path: &str, body: impl Into<Vec<u8>>) {
        let mut routes = self.state.routes.lock().unwrap();
        let route = routes.get_mut(path).expect("no such route");
        route.body = body.into();
    }

    pub fn requests(&self, path: &str) -> Vec<RecordedRequest> {
        let requests = self.state.requests.lock().unwrap();
        requests
            .iter()
            .filter(|r| r.path() == path)
            .cloned()
            .collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests(path).len()
    }

    pub fn last_request(&self, path: &str) -> Option<RecordedRequest> {
        self.requests(path).pop()
    }

    /// The most connections that were open at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.state.max_open.load(Ordering::SeqCst)
    }
}

/// Counts a connection as open for as long as it lives.
struct OpenConnection(Arc<State>);

impl OpenConnection {
    fn new(state: Arc<State>) -> OpenConnection {
        let now = state.open.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_open.fetch_max(now, Ordering::SeqCst);
        OpenConnection(state)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let _open = OpenConnection::new(state.clone());
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    state.requests.lock().unwrap().push(request.clone());
    let route = state.routes.lock().unwrap().get(request.path()).cloned();
    let route = route.unwrap_or_else(|| Route::status(404).body("no such route"));
    tokio::time::sleep(route.delay).await;
    // Write errors mean the client hung up, which several tests provoke on purpose.
    let _ = respond(&mut stream, &route, &request).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(RecordedRequest {
        method,
        target,
        headers,
    })
}

fn is_not_modified(route: &Route, request: &RecordedRequest) -> bool {
    if let Some(sent) = request.header("if-none-match") {
        return route.etag.as_deref() == Some(sent)
            || route.accepted_etags.iter().any(|e| e == sent);
    }
    let since = request.header("if-modified-since");
    since.is_some() && since == route.last_modified.as_deref()
}

async fn respond(
    stream: &mut TcpStream,
    route: &Route,
    request: &RecordedRequest,
) -> std::io::Result<()> {
    if route.behaviour == Behaviour::NeverAnswer {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    let not_modified = is_not_modified(route, request);
    let status = if not_modified { 304 } else { route.status };
    let mut headers = route.headers.clone();
    for (name, value) in [
        ("ETag", &route.etag),
        ("Last-Modified", &route.last_modified),
    ] {
        if let Some(value) = value {
            headers.push((name.to_owned(), value.clone()));
        }
    }
    let body = if not_modified {
        Vec::new()
    } else {
        encode(&route.body, &route.encoding)
    };
    match route.encoding {
        Encoding::Identity => {}
        Encoding::Gzip => headers.push(("Content-Encoding".into(), "gzip".into())),
        Encoding::Brotli => headers.push(("Content-Encoding".into(), "br".into())),
    }
    if route.behaviour == Behaviour::EndlessBody {
        headers.push(("Transfer-Encoding".into(), "chunked".into()));
    } else if !not_modified {
        headers.push(("Content-Length".into(), body.len().to_string()));
    }
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;

    match route.behaviour {
        Behaviour::Trickle => {
            for byte in body {
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Behaviour::EndlessBody => {
            let chunk = [b'x'; 64 * 1024];
            loop {
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
        _ => stream.write_all(&body).await?,
    }
    stream.shutdown().await
}

fn encode(body: &[u8], encoding: &Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Identity => body.to_vec(),
        Encoding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body).unwrap();
            encoder.finish().unwrap()
        }
        Encoding::Brotli => {
            let mut encoder = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
            encoder.write_all(body).unwrap();
            encoder.into_inner()
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
