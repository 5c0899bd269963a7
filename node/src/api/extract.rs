//! Extractors whose rejections are [`ApiErr`]s, so a body, path or query the API cannot read
//! is a JSON 400 (or 413 over [`MAX_BODY_BYTES`](loanchain_api::MAX_BODY_BYTES)), never
//! axum's plain-text rejection.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiErr;

/// A JSON body. Any content type is accepted; the bytes must be the JSON of `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiErr> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiErr::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the request body is larger than {} bytes", loanchain_api::MAX_BODY_BYTES),
                )
            } else {
                ApiErr::malformed(format!("the request body could not be read: {}", rejection.body_text()))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiErr::malformed(format!("the request body is not the expected JSON: {e}")))
    }
}

/// The one path parameter of a route, as text.
pub struct PathParam(pub String);

impl PathParam {
    /// Parses it, naming `what` it should be in the 400 when it does not parse.
    pub fn parse<T: FromStr>(&self, what: &str) -> Result<T, ApiErr> {
        self.0.parse().map_err(|_| ApiErr::malformed(format!("{:?} is not a valid {what}", self.0)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiErr> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(s)| PathParam(s))
            .map_err(|rejection| ApiErr::malformed(format!("bad path parameter: {}", rejection.body_text())))
    }
}

/// The query string, decoded into `T`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiErr> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| QueryParams(q))
            .map_err(|rejection| ApiErr::malformed(format!("bad query string: {}", rejection.body_text())))
    }
}
