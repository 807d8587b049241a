//! What can go wrong answering a request, and the status each answer gets. Pages show the
//! message in a page; the API sends `{"error": {"status", "message"}}`.

use axum::http::StatusCode;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this needs the access token: send it as a bearer token or as the basic-auth password")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("the server is busy: too many requests are waiting for the database; try again")]
    Busy,
    #[error("the request took longer than {0} seconds and was stopped; narrow it down")]
    TooSlow(u64),
    #[error("the database is read-only here, so judgements cannot be recorded")]
    ReadOnly,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) | WebError::Store(StoreError::NoSuchItem(_)) => {
                StatusCode::NOT_FOUND
            }
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Busy | WebError::ReadOnly | WebError::Store(StoreError::ReadOnly(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            WebError::TooSlow(_) => StatusCode::GATEWAY_TIMEOUT,
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the person or program is told: internal details go to the log, not the client.
    pub fn public_message(&self) -> String {
        match self {
            WebError::Store(StoreError::NoSuchItem(id)) => format!("no item with id {id}"),
            WebError::Store(StoreError::ReadOnly(_)) => WebError::ReadOnly.to_string(),
            WebError::Store(_) | WebError::Internal(_) => {
                "internal error: the server log says more".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// Logs server-side failures (client mistakes are not worth a log line).
    pub fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}
