//! Stores on every backend under test, a tiny SMTP server, a MIME reader and the real
//! message templates.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use store::{BlobStore, Store, StoreConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

// ---------------------------------------------------------------------------------------------
// Stores

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("mektep-notify-test-{}", store::random_token(8)));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct TestStore {
    pub store: Store,
    /// Opens further instances of the same database, as other servers would.
    pub url: String,
    pub blobs: BlobStore,
    pub backend: &'static str,
    _dir: TempDir,
}

impl TestStore {
    pub async fn another_instance(&self) -> Store {
        Store::open(&StoreConfig {
            url: self.url.clone(),
            max_connections: 4,
        })
        .await
        .expect("second store instance")
    }
}

/// A fresh SQLite store, and a fresh PostgreSQL one when `MEKTEP_TEST_POSTGRES_URL` is set.
pub async fn test_stores() -> Vec<TestStore> {
    let mut out = Vec::new();
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.0.join("test.db").display());
    let store = Store::open(&StoreConfig {
        url: url.clone(),
        max_connections: 4,
    })
    .await
    .expect("sqlite store");
    let blobs = BlobStore::open(dir.0.join("blobs")).expect("blob store");
    out.push(TestStore {
        store,
        url,
        blobs,
        backend: "sqlite",
        _dir: dir,
    });
    if let Ok(base) = std::env::var("MEKTEP_TEST_POSTGRES_URL") {
        let name = format!("mektep_notify_test_{}", store::random_token(6));
        let admin = sqlx::PgPool::connect(&base)
            .await
            .expect("PostgreSQL from MEKTEP_TEST_POSTGRES_URL must be reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let url = match base.rfind('/') {
            Some(i) if base[..i].ends_with('/') => format!("{base}/{name}"),
            Some(i) => format!("{}/{name}", &base[..i]),
            None => panic!("MEKTEP_TEST_POSTGRES_URL must be a postgres:// URL"),
        };
        let store = Store::open(&StoreConfig {
            url: url.clone(),
            max_connections: 4,
        })
        .await
        .expect("postgres store");
        let dir = TempDir::new();
        let blobs = BlobStore::open(dir.0.join("blobs")).expect("blob store");
        out.push(TestStore {
            store,
            url,
            blobs,
            backend: "postgres",
            _dir: dir,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// SMTP server

#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, CRLF line ends.
    pub data: String,
}

#[derive(Default)]
struct ServerState {
    received: Mutex<Vec<Received>>,
    rejected: Mutex<HashSet<String>>,
}

/// Enough SMTP (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive what lettre sends, so the
/// tests talk to a real server over TCP and CI needs nothing installed.
pub struct SmtpServer {
    pub port: u16,
    state: Arc<ServerState>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        SmtpServer::start_on(0).await
    }

    pub async fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the test SMTP server");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(ServerState::default());
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            // Sessions die with the server.
            let mut sessions = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                sessions.spawn(async move {
                    let _ = session(stream, state).await;
                });
                while sessions.try_join_next().is_some() {}
            }
        });
        SmtpServer { port, state, task }
    }

    /// RCPT TO this address is answered `550 5.1.1`.
    pub fn reject(&self, address: &str) {
        self.state
            .rejected
            .lock()
            .unwrap()
            .insert(address.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A port nobody listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    l.local_addr().expect("addr").port()
}

fn angle_addr(s: &str) -> String {
    let s = s.trim();
    match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_owned(),
        _ => s.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}

async fn session(stream: TcpStream, state: Arc<ServerState>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 mektep-test ESMTP\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    loop {
        let mut raw = Vec::new();
        if r.read_until(b'\n', &mut raw).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-mektep-test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 mektep-test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = angle_addr(&line[10..]);
            rcpt_to.clear();
            "250 2.1.0 Ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let to = angle_addr(&line[8..]);
            if state.rejected.lock().unwrap().contains(&to) {
                format!("550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n")
            } else {
                rcpt_to.push(to);
                "250 2.1.5 Ok\r\n".into()
            }
        } else if upper == "DATA" {
            if rcpt_to.is_empty() {
                "554 5.5.1 No valid recipients\r\n".into()
            } else {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let mut raw = Vec::new();
                    if r.read_until(b'\n', &mut raw).await? == 0 {
                        return Ok(());
                    }
                    let text = String::from_utf8_lossy(&raw);
                    if text == ".\r\n" || text == ".\n" {
                        break;
                    }
                    data.push_str(text.strip_prefix('.').unwrap_or(&text));
                }
                state.received.lock().unwrap().push(Received {
                    mail_from: mail_from.clone(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                "250 2.0.0 Ok: queued\r\n".into()
            }
        } else if upper == "RSET" {
            mail_from.clear();
            rcpt_to.clear();
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 Ok\r\n".into()
        } else if upper == "QUIT" {
            w.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not recognized\r\n".into()
        };
        w.write_all(reply.as_bytes()).await?;
    }
}

// ---------------------------------------------------------------------------------------------
// MIME

/// One MIME entity: unfolded headers and the raw body.
#[derive(Clone, Debug)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Part {
    pub fn parse(raw: &str) -> Part {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Part {
            headers,
            body: body.to_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A header parameter, with RFC 2231 (`name*=utf-8''…`, `name*0*=…`) decoded.
    pub fn param(&self, header: &str, name: &str) -> Option<String> {
        let value = self.header(header)?;
        let mut plain = None;
        let mut pieces: Vec<(u32, String, bool)> = Vec::new();
        for item in value.split(';').skip(1) {
            let (key, val) = item.trim().split_once('=')?;
            let val = val.trim().trim_matches('"').to_owned();
            let key = key.trim().to_ascii_lowercase();
            if key == name {
                plain = Some(val);
            } else if let Some(rest) = key.strip_prefix(&format!("{name}*")) {
                let encoded = rest.ends_with('*') || rest.is_empty();
                let index = rest.trim_end_matches('*').parse().unwrap_or(0);
                pieces.push((index, val, encoded));
            }
        }
        if pieces.is_empty() {
            return plain.map(|p| decode_header(&p));
        }
        pieces.sort_by_key(|p| p.0);
        let mut bytes = Vec::new();
        for (i, (_, val, encoded)) in pieces.iter().enumerate() {
            let val = if i == 0 && *encoded {
                val.splitn(3, '\'').nth(2).unwrap_or(val)
            } else {
                val.as_str()
            };
            if *encoded {
                bytes.extend(percent_decode(val))
            } else {
                bytes.extend(val.as_bytes())
            }
        }
        Some(String::from_utf8(bytes).expect("utf-8 parameter"))
    }

    pub fn decoded_body(&self) -> Vec<u8> {
        match self
            .header("Content-Transfer-Encoding")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("base64") => {
                use base64::Engine;
                let compact: String = self.body.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body")
            }
            Some("quoted-printable") => quoted_printable(&self.body),
            _ => self.body.as_bytes().to_vec(),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.decoded_body()).expect("utf-8 text")
    }

    pub fn parts(&self) -> Vec<Part> {
        let Some(boundary) = self.param("Content-Type", "boundary") else {
            return Vec::new();
        };
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1)
            .take_while(|chunk| !chunk.starts_with("--"))
            .map(|chunk| {
                Part::parse(
                    chunk
                        .strip_prefix("\r\n")
                        .unwrap_or(chunk)
                        .trim_end_matches("\r\n"),
                )
            })
            .collect()
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("percent escape"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

pub fn form_decode(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = v.replace('+', " ");
            (
                k.to_owned(),
                String::from_utf8(percent_decode(&v)).expect("utf-8 form value"),
            )
        })
        .collect()
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'\r') => i += 3,
            b'=' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("qp escape"));
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value.
pub fn decode_header(value: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let mut fields = word.splitn(3, '?');
        let (_charset, encoding, tail) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let end = tail.find("?=").expect("end of encoded word");
        let text = &tail[..end];
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("b word")
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
        rest = &tail[end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// Templates

/// `locales/{kk,ru,en}/notify.ftl`, rendered with Fluent as the web layer does (isolation
/// marks left on: `compose` must remove them).
pub struct Locales {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
    pub sources: HashMap<&'static str, String>,
}

impl Locales {
    pub fn load() -> Locales {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../locales");
        let mut bundles = HashMap::new();
        let mut sources = HashMap::new();
        for lang in ["kk", "ru", "en"] {
            let path = root.join(lang).join("notify.ftl");
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let resource = FluentResource::try_new(source.clone()).unwrap_or_else(|(_, errors)| {
                panic!("{}: syntax errors {errors:?}", path.display())
            });
            let mut bundle = FluentBundle::new_concurrent(vec![
                lang.parse::<unic_langid::LanguageIdentifier>().unwrap(),
            ]);
            bundle
                .add_resource(resource)
                .unwrap_or_else(|errors| panic!("{}: {errors:?}", path.display()));
            bundles.insert(lang, bundle);
            sources.insert(lang, source);
        }
        Locales { bundles, sources }
    }

    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundles[lang].has_message(key)
    }

    /// Renders a message; panics on a missing message or a missing variable.
    pub fn tr(&self, lang: &str, key: &str, args: &[(&str, String)]) -> String {
        let bundle = &self.bundles[lang];
        let message = bundle
            .get_message(key)
            .unwrap_or_else(|| panic!("{lang}: no message {key}"));
        let pattern = message
            .value()
            .unwrap_or_else(|| panic!("{lang}: {key} has no value"));
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned();
        assert!(errors.is_empty(), "{lang}: {key}: {errors:?}");
        text
    }
}
