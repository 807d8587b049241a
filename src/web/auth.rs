//! Who may ask: the access token (`[http] token`), as a bearer token or a basic-auth password,
//! and the CSRF token every form that writes carries.
//!
//! Without a token the server only listens on loopback ([`check_listen`]). The CSRF token is
//! derived from a secret drawn at start, so a page from before a restart asks to be reloaded;
//! another site cannot read it from our pages, and a cross-site form post is refused outright.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::error::WebError;

/// The server refuses to start: listening beyond loopback needs a token.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to listen on {0} without an access token: anyone who can reach that address \
     could read the store and record judgements. Set `token` under [http] in the config (then \
     send it as a bearer token or basic-auth password), or listen on 127.0.0.1"
)]
pub struct OpenToTheNetwork(pub SocketAddr);

/// Loopback needs no token; any other address does.
pub fn check_listen(addr: SocketAddr, token: Option<&str>) -> Result<(), OpenToTheNetwork> {
    if addr.ip().is_loopback() || token.is_some() {
        Ok(())
    } else {
        Err(OpenToTheNetwork(addr))
    }
}

/// The access rules of one server.
pub struct Guard {
    token: Option<String>,
    csrf: String,
}

impl Guard {
    pub fn new(token: Option<String>) -> Guard {
        let secret: [u8; 32] = rand::random();
        let csrf = hex(&Sha256::digest(secret));
        Guard { token, csrf }
    }

    /// The token forms carry.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// Whether the request carries the access token (always, when none is configured).
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let offered = if let Some(bearer) = strip_scheme(value, "bearer") {
            bearer.trim().to_owned()
        } else if let Some(basic) = strip_scheme(value, "basic") {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) else {
                return false;
            };
            let text = String::from_utf8_lossy(&decoded).into_owned();
            // Any user name: the password is the token.
            match text.split_once(':') {
                Some((_, password)) => password.to_owned(),
                None => return false,
            }
        } else {
            return false;
        };
        same(offered.as_bytes(), token.as_bytes())
    }

    /// A write must come from one of our own forms: the CSRF token matches and the browser does
    /// not say the request is cross-site.
    pub fn check_write(&self, headers: &HeaderMap, csrf: &str) -> Result<(), WebError> {
        let site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if site == "cross-site" {
            return Err(WebError::Forbidden(
                "a form on another site cannot record judgements here".into(),
            ));
        }
        if !same(csrf.as_bytes(), self.csrf.as_bytes()) {
            return Err(WebError::Forbidden(
                "the form is stale or not ours (the server restarted?): reload the page and try again"
                    .into(),
            ));
        }
        Ok(())
    }
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.trim().split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Compares in time that does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn loopback_needs_no_token_and_anything_else_does() {
        assert!(check_listen("127.0.0.1:8080".parse().unwrap(), None).is_ok());
        assert!(check_listen("[::1]:8080".parse().unwrap(), None).is_ok());
        let err = check_listen("0.0.0.0:8080".parse().unwrap(), None).unwrap_err();
        assert!(err.to_string().contains("token"), "{err}");
        assert!(check_listen("0.0.0.0:8080".parse().unwrap(), Some("s")).is_ok());
    }

    #[test]
    fn bearer_and_basic_carry_the_token() {
        let guard = Guard::new(Some("s3cret".into()));
        assert!(guard.authorized(&with_auth("Bearer s3cret")));
        assert!(guard.authorized(&with_auth("basic YW55OnMzY3JldA=="))); // any:s3cret
        assert!(!guard.authorized(&with_auth("Bearer s3creT")));
        assert!(!guard.authorized(&with_auth("Basic YW55Ondyb25n"))); // any:wrong
        assert!(!guard.authorized(&HeaderMap::new()));
        assert!(Guard::new(None).authorized(&HeaderMap::new()));
    }

    #[test]
    fn writes_need_our_csrf_token_and_not_a_cross_site_form() {
        let guard = Guard::new(None);
        let token = guard.csrf_token().to_owned();
        assert!(guard.check_write(&HeaderMap::new(), &token).is_ok());
        assert!(guard.check_write(&HeaderMap::new(), "nope").is_err());
        let mut cross = HeaderMap::new();
        cross.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(guard.check_write(&cross, &token).is_err());
        assert_ne!(Guard::new(None).csrf_token(), token);
    }
}
