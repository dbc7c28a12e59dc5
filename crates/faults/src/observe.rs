//! What the test reads from a running node: `GET /info` and `GET /blocks` on its admin
//! address (`docs/api.md`), over a plain HTTP/1.1 connection with a short timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// One block as the test compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSummary {
    /// Height.
    pub index: u64,
    /// Id (hex).
    pub id: String,
    /// Spent key images (hex).
    pub key_images: Vec<String>,
}

/// What reading a node can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// No answer (down, cut off, or slow).
    #[error("{admin}: no answer to {path}")]
    NoAnswer {
        /// The admin address.
        admin: SocketAddr,
        /// The request path.
        path: String,
    },
    /// An answer that is not what the API documents.
    #[error("{admin}: unexpected answer to {path}: {body}")]
    Unexpected {
        /// The admin address.
        admin: SocketAddr,
        /// The request path.
        path: String,
        /// The answer (shortened).
        body: String,
    },
}

/// `GET path` on `admin`: the JSON body of a 200 answer.
pub fn get_json(admin: SocketAddr, path: &str) -> Result<Value, ObserveError> {
    let no = || ObserveError::NoAnswer { admin, path: path.to_owned() };
    let mut s = TcpStream::connect_timeout(&admin, Duration::from_secs(2)).map_err(|_| no())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|_| no())?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n")
        .map_err(|_| no())?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).map_err(|_| no())?;
    let unexpected = |body: &str| ObserveError::Unexpected {
        admin,
        path: path.to_owned(),
        body: body.chars().take(300).collect(),
    };
    let (head, body) = buf.split_once("\r\n\r\n").ok_or_else(|| unexpected(&buf))?;
    if head.split_whitespace().nth(1) != Some("200") {
        return Err(unexpected(&buf));
    }
    serde_json::from_str(body).map_err(|_| unexpected(body))
}

/// `/info`, or `None` while the node does not answer.
pub fn info(admin: SocketAddr) -> Option<Value> {
    get_json(admin, "/info").ok()
}

/// The node's height (blocks held, origin included), or `None`.
pub fn height(admin: SocketAddr) -> Option<u64> {
    info(admin)?["height"].as_u64()
}

/// Every block the node holds, in order.
pub fn blocks(admin: SocketAddr) -> Result<Vec<BlockSummary>, ObserveError> {
    let mut all = Vec::new();
    loop {
        let path = format!("/blocks?from={}&limit=100", all.len());
        let page = get_json(admin, &path)?;
        let unexpected =
            || ObserveError::Unexpected { admin, path: path.clone(), body: page.to_string() };
        let list = page.as_array().ok_or_else(unexpected)?;
        for b in list {
            let index = b["index"].as_u64().ok_or_else(unexpected)?;
            if index != all.len() as u64 {
                return Err(unexpected());
            }
            let id = b["id"].as_str().map(str::to_owned).unwrap_or_else(|| b["id"].to_string());
            let key_images = b["key_images"]
                .as_array()
                .ok_or_else(unexpected)?
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            all.push(BlockSummary { index, id, key_images });
        }
        if list.len() < 100 {
            return Ok(all);
        }
    }
}
