//! `sluice run` as a real, long-running process on 127.0.0.1: started on a config whose
//! receivers and admin endpoint listen on port 0, it is ready once `/readyz` answers 200,
//! and the bound addresses are read from its `receiver listening` / `admin endpoint
//! listening` log lines. Also a minimal HTTP/1.1 client for raw requests to it.

use super::{sluice, strip_ansi, temp_dir};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long startup may take (the first run compiles the test plugins into the shared cache).
const STARTUP: Duration = Duration::from_secs(120);

/// A running `sluice run`; killed when dropped.
pub struct Daemon {
    child: Child,
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
    /// The OTLP/gRPC receiver's address, if configured.
    pub grpc: Option<SocketAddr>,
    /// The OTLP/HTTP receiver's address, if configured.
    pub http: Option<SocketAddr>,
    /// The admin endpoint's address.
    pub admin: SocketAddr,
    _dir: tempfile::TempDir,
}

/// The value of `field=` in a log line (quoted or not).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &line[start..];
    let end = rest.find(' ').unwrap_or(rest.len());
    Some(rest[..end].trim_matches('"'))
}

impl Daemon {
    /// Writes `config` (TOML) to a fresh temp dir and runs `sluice run` on it there.
    pub fn start(config: &str) -> Daemon {
        let dir = temp_dir();
        std::fs::write(dir.path().join("config.toml"), config).expect("write config.toml");
        let mut child = sluice(dir.path(), &["run", "--config", "config.toml"])
            .env("SLUICE_TEST_OUT", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sluice run");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = sink.lock().unwrap();
                log.push_str(&strip_ansi(&line));
                log.push('\n');
            }
        });
        let mut daemon = Daemon {
            child,
            log,
            reader: Some(reader),
            grpc: None,
            http: None,
            admin: ([0, 0, 0, 0], 0).into(),
            _dir: dir,
        };
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = daemon.child.try_wait().expect("poll sluice") {
                panic!(
                    "sluice exited during startup ({status}); stderr:\n{}",
                    daemon.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "sluice not ready within {STARTUP:?}; stderr:\n{}",
                daemon.stderr()
            );
            let log = daemon.stderr();
            let admin = log
                .lines()
                .filter(|l| l.contains("admin endpoint listening"))
                .find_map(|l| field(l, "address"));
            if let Some(admin) = admin.and_then(|a| a.parse().ok()) {
                daemon.admin = admin;
                // Receivers are listening before /readyz says 200.
                if http_request(admin, "GET", "/readyz", &[], b"").is_ok_and(|r| r.status == 200) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        // Each receiver logs its address before `/readyz` says 200, but the thread reading
        // stderr may not have taken the lines in yet: wait for one per configured receiver.
        let receivers = config.matches("[[receivers]]").count();
        let listening = |log: &str| {
            log.lines()
                .filter(|l| l.contains("receiver listening"))
                .count()
        };
        while listening(&daemon.stderr()) < receivers {
            assert!(
                Instant::now() < deadline,
                "sluice ready but not every receiver logged its address within {STARTUP:?}; \
                 stderr:\n{}",
                daemon.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        for line in daemon
            .stderr()
            .lines()
            .filter(|l| l.contains("receiver listening"))
        {
            let address = field(line, "address").and_then(|a| a.parse().ok());
            match field(line, "receiver") {
                Some("otlp_grpc") => daemon.grpc = address,
                Some("otlp_http") => daemon.http = address,
                _ => {}
            }
        }
        daemon
    }

    /// The directory it runs in (holding `config.toml`).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `http://<grpc receiver>`.
    pub fn grpc_endpoint(&self) -> String {
        format!(
            "http://{}",
            self.grpc.expect("a gRPC receiver is configured")
        )
    }

    /// `http://<http receiver>`.
    pub fn http_endpoint(&self) -> String {
        format!(
            "http://{}",
            self.http.expect("an HTTP receiver is configured")
        )
    }

    /// The admin endpoint's `/metrics` text.
    pub fn metrics(&self) -> String {
        let reply = http_request(self.admin, "GET", "/metrics", &[], b"").expect("GET /metrics");
        assert_eq!(reply.status, 200, "GET /metrics: {}", reply.text());
        reply.text()
    }

    /// The value of the metric sample `name{labels}` (exactly as Prometheus text prints it), 0 when absent.
    pub fn metric(&self, sample: &str) -> f64 {
        let text = self.metrics();
        text.lines()
            .find_map(|l| {
                l.strip_prefix(sample)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }

    /// Polls `/metrics` until `sample` reaches `value`; panics after `timeout`.
    pub fn wait_for_metric(&self, sample: &str, value: f64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.metric(sample) < value {
            assert!(
                Instant::now() < deadline,
                "{sample} did not reach {value} within {timeout:?}; metrics:\n{}\nstderr:\n{}",
                self.metrics(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Sends SIGTERM and waits (at most `timeout`) for the exit; returns the exit code and
    /// the whole log.
    pub fn terminate(mut self, timeout: Duration) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll sluice") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "sluice did not exit within {timeout:?} of SIGTERM; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code(), self.stderr())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The header lines, as sent.
    pub head: String,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    let mut raw = Vec::new();
    // A server that answers before reading the whole body may reset the connection after
    // its reply: keep what arrived.
    if let Err(e) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        return Err(e);
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end in the reply"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Reply { status, head, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || data.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[(eol + 4 + size).min(data.len())..];
    }
    out
}
