//! Extractors whose rejections are [`ApiError`]s, so malformed input gets the
//! same JSON error shape as everything else.

use axum::extract::{FromRequest, FromRequestParts};

use super::error::ApiError;

/// JSON body; rejections become `invalid_json`, `payload_too_large` or
/// `unsupported_media_type`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query string; rejections become `invalid_parameter`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; rejections become `invalid_parameter`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
