//! A small SMTP server that accepts every message and keeps it, for tests of outgoing mail.
//! It speaks enough of RFC 5321 (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT)
//! for a real client such as lettre to deliver to it.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Debug, Default)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers, blank line, body.
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    /// Starts listening on a free loopback port, in the current tokio runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("bound").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, store).await;
                });
            }
        });
        Self { port, received }
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

async fn serve(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 relais-test-sink ESMTP\r\n").await?;
    let mut current = ReceivedMail::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-relais-test-sink\r\n250 8BITMIME\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            current = ReceivedMail {
                from: angle(&line[10..]),
                ..Default::default()
            };
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(angle(&line[8..]));
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with .\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                let l = l.strip_prefix('.').unwrap_or(&l);
                data.push_str(l);
                data.push('\n');
            }
            current.data = data;
            if let Ok(mut all) = store.lock() {
                all.push(std::mem::take(&mut current));
            }
            write.write_all(b"250 queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 not implemented\r\n").await?;
        }
    }
    Ok(())
}

fn angle(s: &str) -> String {
    let s = s.trim();
    let inner = s.split_whitespace().next().unwrap_or("");
    inner
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}
