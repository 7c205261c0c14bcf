//! Files inside the binary (the dashboard, GraphiQL, the `queries/`
//! documents), sent as a browser asks: brotli or gzip by `Accept-Encoding`
//! (its `q=0` honoured), with a strong ETag from the content so that a
//! revisit costs a `304 Not Modified` instead of the file.
//!
//! Each file is compressed once, on its first request, on a blocking thread:
//! GraphiQL's script alone is about 1 MB, and compressing it at start-up
//! would slow every start (and every test) for a page few open.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::OnceCell;

/// The content codings Tidtam can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// The coding to send for an `Accept-Encoding` header: brotli where it is
/// accepted at least as much as gzip, then gzip, else none. A coding listed
/// with `q=0` is refused; `*` stands for the codings not listed.
pub fn choose(accept_encoding: Option<&str>) -> Coding {
    let (mut br, mut gzip, mut any) = (None, None, None);
    for item in accept_encoding.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        // A malformed weight counts as a refusal rather than a wish.
        let q = parts
            .find_map(|p| {
                let p = p.trim();
                p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
            })
            .map(|v| v.trim().parse::<f32>().unwrap_or(0.0))
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Coding::Brotli
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// A file's compressed forms (kept only where smaller) and its content hash.
struct Prepared {
    hash: String,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The first 128 bits of the content's SHA-256, in hex: the ETag.
fn hash_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn prepare(bytes: &[u8]) -> Prepared {
    let hash = hash_of(bytes);
    let smaller = |v: Vec<u8>| (v.len() < bytes.len()).then(|| Bytes::from(v));
    let gzip = {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).ok().and_then(|_| enc.finish().ok())
    }
    .and_then(smaller);
    // Quality 9 rather than 11: within a few per cent of the size at a
    // fraction of the time, which matters in unoptimised (test) builds.
    let brotli = {
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 9,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
            .ok()
            .map(|_| out)
    }
    .and_then(smaller);
    Prepared { hash, brotli, gzip }
}

/// The prepared forms of each file, by its path.
type Cache = Mutex<HashMap<&'static str, Arc<OnceCell<Prepared>>>>;
static CACHE: LazyLock<Cache> = LazyLock::new(Default::default);

async fn prepared(path: &'static str, bytes: &'static [u8]) -> Arc<OnceCell<Prepared>> {
    let cell = {
        // A poisoned lock only means another request panicked while holding
        // it; the map itself is still whole.
        let mut map = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(path).or_default().clone()
    };
    cell.get_or_init(|| async move {
        tokio::task::spawn_blocking(move || prepare(bytes))
            .await
            // Should compressing fail, the file is still sent, uncompressed.
            .unwrap_or_else(|_| Prepared {
                hash: hash_of(bytes),
                brotli: None,
                gzip: None,
            })
    })
    .await;
    cell
}

/// Whether `If-None-Match` names this file's content, in any coding (the
/// same bytes once decoded; a weak `W/` tag matches too, as RFC 9110 asks).
fn not_modified(headers: &HeaderMap, hash: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| {
            tag == "*" || {
                let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
                tag.split('-').next() == Some(hash)
            }
        })
}

/// Sends an embedded file: `path` names it (unique among embedded files),
/// `cache_control` says how long a browser may keep it without asking.
pub async fn send(
    path: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
    cache_control: &'static str,
    headers: &HeaderMap,
) -> Response {
    let cell = prepared(path, bytes).await;
    let Some(file) = cell.get() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let (coding, body) = match (choose(accept), &file.brotli, &file.gzip) {
        (Coding::Brotli, Some(br), _) => (Some("br"), br.clone()),
        (Coding::Brotli | Coding::Gzip, _, Some(gz)) => (Some("gzip"), gz.clone()),
        _ => (None, Bytes::from_static(bytes)),
    };
    // A strong ETag names one representation: each coding has its own.
    let etag = match coding {
        Some("br") => format!("\"{}-br\"", file.hash),
        Some(_) => format!("\"{}-gz\"", file.hash),
        None => format!("\"{}\"", file.hash),
    };
    let mut out = if not_modified(headers, &file.hash) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (
            [(header::CONTENT_TYPE, HeaderValue::from_static(mime))],
            body,
        )
            .into_response();
        if let Some(coding) = coding {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        r
    };
    let h = out.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brotli_is_preferred_and_q_zero_refuses() {
        assert_eq!(choose(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(choose(Some("gzip, deflate")), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(choose(Some("br;q=0, gzip;q=0")), Coding::Identity);
        assert_eq!(choose(Some("br;q=0.5, gzip;q=0.8")), Coding::Gzip);
        assert_eq!(choose(Some("*")), Coding::Brotli);
        assert_eq!(choose(Some("*;q=0, identity")), Coding::Identity);
        assert_eq!(choose(Some("identity")), Coding::Identity);
        assert_eq!(choose(None), Coding::Identity);
    }

    #[test]
    fn any_coding_of_the_same_content_is_not_modified() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"other\", W/\"abc-gz\""),
        );
        assert!(not_modified(&h, "abc"));
        assert!(!not_modified(&h, "abd"));
        assert!(!not_modified(&HeaderMap::new(), "abc"));
    }

    #[test]
    fn compressed_forms_decode_to_the_file() {
        let text = "ติดตาม ".repeat(500);
        let p = prepare(text.as_bytes());
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut p.brotli.as_deref().unwrap_or_default(), &mut decoded)
            .unwrap();
        assert_eq!(decoded, text.as_bytes());
        let mut gz = flate2::read::GzDecoder::new(p.gzip.as_deref().unwrap_or_default());
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut gz, &mut decoded).unwrap();
        assert_eq!(decoded, text);
        assert_eq!(p.hash.len(), 32);
    }
}
