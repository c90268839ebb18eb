//! An HTTP `CONNECT` proxy on loopback that records where it tunnelled, for tests of
//! proxy settings (the client's `https_proxy`, `NO_PROXY`, the CLI's proxy variables).
//!
//! It runs on its own threads, so synchronous tests (which start the `car` binary) can use
//! it as well as async ones. Targets naming `localhost` are reached on 127.0.0.1, so a
//! TLS server whose certificate is for `localhost` can sit behind it.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A running proxy; it stops accepting when the test process ends.
#[derive(Debug)]
pub struct ConnectProxy {
    url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Binds an ephemeral loopback port and starts accepting.
    pub fn start() -> std::io::Result<ConnectProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let record = tunnels.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let record = record.clone();
                std::thread::spawn(move || tunnel(stream, &record));
            }
        });
        Ok(ConnectProxy { url, tunnels })
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `host:port` targets of the tunnels opened so far, in order.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

fn tunnel(client: TcpStream, record: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let Some(target) = line
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .map(str::to_owned)
    else {
        return;
    };
    // The rest of the request head carries nothing the tunnel needs.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    let Ok(upstream) = TcpStream::connect(target.replace("localhost", "127.0.0.1")) else {
        return;
    };
    let mut client = reader.into_inner();
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    record
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(target);
    let (Ok(mut from_client), Ok(mut to_upstream)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(Shutdown::Write);
    });
    let (mut from_upstream, mut to_client) = (upstream, client);
    let _ = std::io::copy(&mut from_upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Write);
    let _ = up.join();
}
