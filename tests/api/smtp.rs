//! The fault injector of the notification tests: a tokio TCP listener
//! on 127.0.0.1 speaking enough of RFC 5321 for a client (greeting, EHLO/HELO,
//! MAIL FROM, RCPT TO, DATA with dot-termination and dot-unstuffing, RSET,
//! NOOP, QUIT). It records every accepted message with its envelope, and can
//! be told to answer RCPT or DATA with a temporary failure (451). It offers
//! neither STARTTLS nor AUTH. Tests of mail that should arrive use aiosmtpd
//! (tests/api/real_smtp.rs); this one only plays 451s and a server without
//! STARTTLS.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accept every message.
    Accept,
    /// Answer every RCPT TO with 451.
    RejectRcpt,
    /// Accept recipients, answer DATA with 451.
    RejectData,
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender (MAIL FROM).
    pub from: String,
    /// The envelope recipients (RCPT TO).
    pub to: Vec<String>,
    /// The message as transmitted (headers and body, CRLF line ends).
    pub data: String,
}

#[derive(Debug)]
struct Inner {
    mode: Mode,
    mails: Vec<Mail>,
    refusals: usize,
}

/// The running server; stops when dropped.
pub struct SmtpServer {
    /// The port it listens on.
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

impl SmtpServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Mutex::new(Inner {
            mode,
            mails: Vec::new(),
            refusals: 0,
        }));
        let shared = inner.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
        });
        SmtpServer { port, inner, task }
    }

    /// Changes how the server answers from the next command on.
    pub fn set_mode(&self, mode: Mode) {
        lock(&self.inner).mode = mode;
    }

    /// Every message accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        lock(&self.inner).mails.clone()
    }

    /// Messages accepted for `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }

    /// How many commands were answered with 451.
    pub fn refusals(&self) -> usize {
        lock(&self.inner).refusals
    }
}

/// The address in `FROM:<a@b>` / `TO:<a@b>` (parameters after it ignored).
fn path_of(arg: &str) -> Option<String> {
    let start = arg.find('<')? + 1;
    let end = start + arg[start..].find('>')?;
    Some(arg[start..end].to_owned())
}

async fn session(stream: TcpStream, shared: Arc<Mutex<Inner>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 smtp.test ESMTP ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        let mode = lock(&shared).mode;
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                format!("250-smtp.test greets {arg}\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            }
            "HELO" => format!("250 smtp.test greets {arg}\r\n"),
            "MAIL" => match path_of(arg) {
                Some(path) => {
                    from = Some(path);
                    to.clear();
                    "250 2.1.0 Ok\r\n".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first\r\n".into(),
            "RCPT" if mode == Mode::RejectRcpt => {
                lock(&shared).refusals += 1;
                "451 4.3.0 Temporary failure, try again later\r\n".into()
            }
            "RCPT" => match path_of(arg) {
                Some(path) => {
                    to.push(path);
                    "250 2.1.5 Ok\r\n".into()
                }
                None => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first\r\n".into(),
            "DATA" if mode == Mode::RejectData => {
                lock(&shared).refusals += 1;
                "451 4.3.0 Temporary failure, try again later\r\n".into()
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 §4.5.2).
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                lock(&shared).mails.push(Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 2.0.0 Ok: queued\r\n".into()
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognised\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Decodes a quoted-printable text: soft line breaks removed, `=XX` decoded.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one reply line and checks its code.
async fn expect(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    code: &str,
) {
    let line = lines.next_line().await.unwrap().unwrap();
    assert!(line.starts_with(code), "expected {code}, got {line}");
}

#[tokio::test]
async fn the_test_server_speaks_smtp() {
    let server = SmtpServer::start(Mode::Accept).await;
    let stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    expect(&mut lines, "220").await;
    write.write_all(b"HELO client\r\n").await.unwrap();
    expect(&mut lines, "250").await;
    write.write_all(b"NOOP\r\n").await.unwrap();
    expect(&mut lines, "250").await;
    write
        .write_all(b"MAIL FROM:<a@example.org>\r\n")
        .await
        .unwrap();
    expect(&mut lines, "250").await;
    write
        .write_all(b"RCPT TO:<b@example.org>\r\n")
        .await
        .unwrap();
    expect(&mut lines, "250").await;
    write.write_all(b"DATA\r\n").await.unwrap();
    expect(&mut lines, "354").await;
    write
        .write_all(b"Subject: hi\r\n\r\n..dotted\r\nline =C3=A5\r\n.\r\n")
        .await
        .unwrap();
    expect(&mut lines, "250").await;
    write.write_all(b"RSET\r\n").await.unwrap();
    expect(&mut lines, "250").await;
    write.write_all(b"QUIT\r\n").await.unwrap();
    expect(&mut lines, "221").await;
    let mails = server.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].from, "a@example.org");
    assert_eq!(mails[0].to, vec!["b@example.org".to_owned()]);
    assert!(mails[0].data.contains("\r\n.dotted\r\n"));
    assert!(decode_quoted_printable(&mails[0].data).contains("line å"));
}
