//! Extractors whose rejections are [`ApiError`]s, so malformed input gets the
//! same JSON error shape as everything else.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;

use super::error::ApiError;
use crate::error::ErrorCode;

/// JSON body; rejections become `invalid_json`, `payload_too_large` or
/// `unsupported_media_type`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct ApiJson<T>(pub T);

/// Deserializes an optional whole number that JSON may spell `37` or `37.0`
/// (JSON Schema's `integer` admits both); `37.5` and negatives are refused.
pub(crate) fn whole_number<'de, D>(d: D) -> Result<Option<usize>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(n) = <Option<serde_json::Number> as serde::Deserialize>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(u) = n.as_u64() {
        return usize::try_from(u)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("number too large"));
    }
    match n.as_f64() {
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= usize::MAX as f64 => Ok(Some(f as usize)),
        _ => Err(serde::de::Error::custom(format!(
            "expected a whole number of 0 or more, got {n}"
        ))),
    }
}

/// Query string; rejections become `invalid_parameter`. A value that is not
/// UTF-8 once percent-decoded is refused rather than read with replacement
/// characters, which would silently search for something else.
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        if raw
            .split('&')
            .any(|pair| percent_decode_str(pair).decode_utf8().is_err())
        {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                "the query string is not valid UTF-8 once percent-decoded",
            ));
        }
        let axum::extract::Query(v) =
            axum::extract::Query::from_request_parts(parts, state).await?;
        Ok(ApiQuery(v))
    }
}

/// Path parameters; rejections become `invalid_parameter`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub T);
