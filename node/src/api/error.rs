//! [`ApiErr`]: every failure of a request, answered as the JSON [`ErrorBody`]
//! `{ "error": { "code", "message" } }` with its HTTP status (DESIGN §11).
//!
//! Bad input is always a 4xx; a 5xx means the node itself failed (storage) or is busy
//! (`mempool_full`, `shutting_down`, both with `Retry-After`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use loanchain_api::{ApiError, ErrorBody};
use loanchain_contracts::{Error as ContractError, ErrorClass};
use loanchain_storage::StorageError;

use crate::admission::SubmitError;
use crate::mempool::MempoolError;

/// A request's failure: an HTTP status, a stable snake_case code and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiErr {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code of [`ApiError::code`].
    pub code: String,
    /// For a person.
    pub message: String,
}

impl ApiErr {
    /// Any status and code.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> ApiErr {
        ApiErr { status, code: code.into(), message: message.into() }
    }

    /// 400 `malformed_request`: a body, path or query the API cannot read.
    pub fn malformed(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::BAD_REQUEST, "malformed_request", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 `internal`: the node failed, not the request.
    pub fn internal(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: ApiError { code: self.code.clone(), message: self.message.clone() } }
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let retry = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = (self.status, Json(self.body())).into_response();
        if retry {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// The status of a contract error: 422 for a rule the request broke, 500 for a storage failure.
fn contract_status(e: &ContractError) -> StatusCode {
    match e.class() {
        ErrorClass::Fatal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Reads of committed state: a contract error there is the node's storage failing, except the
/// few that name a missing thing.
impl From<ContractError> for ApiErr {
    fn from(e: ContractError) -> ApiErr {
        match &e {
            ContractError::UnknownLoan { .. } | ContractError::UnknownAccount { .. } | ContractError::UnknownClaim { .. } => {
                ApiErr::not_found(e.to_string())
            }
            _ if e.class() == ErrorClass::Fatal => ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string()),
            _ => ApiErr::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()),
        }
    }
}

impl From<StorageError> for ApiErr {
    fn from(e: StorageError) -> ApiErr {
        tracing::error!(error = %e, "storage read failed while serving the API");
        ApiErr::new(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string())
    }
}

/// The status of a refused submission (the code is [`SubmitError::code`]).
pub fn submit_status(e: &SubmitError) -> StatusCode {
    match e {
        SubmitError::ReadOnly => StatusCode::FORBIDDEN,
        SubmitError::Malformed(_) => StatusCode::BAD_REQUEST,
        SubmitError::Contract(c) => contract_status(c),
        SubmitError::Mempool(m) => match m {
            MempoolError::Full { .. } => StatusCode::SERVICE_UNAVAILABLE,
            MempoolError::Duplicate(_) | MempoolError::AlreadyCommitted(_) => StatusCode::CONFLICT,
            MempoolError::NonceInPool { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            MempoolError::Rejected(c) => contract_status(c),
            MempoolError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        },
        SubmitError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        SubmitError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<SubmitError> for ApiErr {
    fn from(e: SubmitError) -> ApiErr {
        ApiErr::new(submit_status(&e), e.code(), e.to_string())
    }
}

impl From<&SubmitError> for ApiError {
    fn from(e: &SubmitError) -> ApiError {
        ApiError { code: e.code(), message: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_errors_have_their_statuses() {
        assert_eq!(submit_status(&SubmitError::ReadOnly), StatusCode::FORBIDDEN);
        assert_eq!(submit_status(&MempoolError::Full { capacity: 1 }.into()), StatusCode::SERVICE_UNAVAILABLE);
        let replay = ContractError::NonceReplayed { signer: "ab".into(), nonce: 1 };
        assert_eq!(submit_status(&MempoolError::Rejected(replay.clone()).into()), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(submit_status(&replay.into()), StatusCode::UNPROCESSABLE_ENTITY);
        let fatal = ContractError::Storage { reason: "disk".into() };
        assert_eq!(submit_status(&fatal.into()), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn busy_answers_say_when_to_retry() {
        let r = ApiErr::from(SubmitError::from(MempoolError::Full { capacity: 1 })).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
    }
}
