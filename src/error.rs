//! The library's error enum and the one table of stable error codes.
//!
//! Every failure the service can report maps to an [`ErrorCode`]: a stable
//! string, an HTTP status and a one-line description. The HTTP layer, the CLI
//! and the OpenAPI document all read this one table.

use std::path::PathBuf;

/// Declares [`ErrorCode`] and its table in one place so code, status and
/// description can never drift apart.
macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:literal, $desc:literal),)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable string clients match on.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// What the code means, for documentation.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $desc,)* }
            }
        }
    };
}

error_codes! {
    InvalidQuery => ("invalid_query", 400, "The search query or question cannot be read."),
    InvalidJson => ("invalid_json", 400, "The request body is not valid JSON of the expected shape."),
    InvalidParameter => ("invalid_parameter", 400, "A path or query-string parameter is missing, malformed or out of range."),
    InvalidQuote => ("invalid_quote", 400, "The quote is empty or has no words to check."),
    QuoteTooLong => ("quote_too_long", 400, "The quote has more words than the documented maximum (300)."),
    InvalidDocument => ("invalid_document", 400, "The document cannot be stored: a bad id, an empty text, an unsupported or unreadable file."),
    Unauthorized => ("unauthorized", 401, "Writes need the header `Authorization: Bearer <token>` with the configured token."),
    WritesDisabled => ("writes_disabled", 403, "No write token is configured (VERBATIM_TOKEN), so the write routes are off."),
    NotFound => ("not_found", 404, "No document, passage or route has that name."),
    MethodNotAllowed => ("method_not_allowed", 405, "The route exists but not with this HTTP method."),
    Timeout => ("timeout", 408, "The request took longer than the configured request timeout."),
    Conflict => ("conflict", 409, "A document with that id exists (POST), or it lives in a file holding others."),
    IndexBusy => ("index_busy", 409, "Another verbatim process (a running server) writes this index; write through its HTTP API, or stop it first."),
    VectorsOff => ("vectors_off", 409, "Hybrid search was asked for, but this server runs lexical only (vectors off, or a corpus above the automatic size)."),
    PayloadTooLarge => ("payload_too_large", 413, "The request body is larger than the configured limit."),
    UnsupportedMediaType => ("unsupported_media_type", 415, "The request body must be application/json."),
    Internal => ("internal", 500, "An unexpected failure inside the service; it is logged with the request id."),
    NotReady => ("not_ready", 503, "The index is not open yet."),
    Overloaded => ("overloaded", 503, "Too many requests are in flight; retry shortly."),
}

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A corpus file could not be parsed; names the file and, where known, the line.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Corpus {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Two documents claim the same id (in two corpus files, or twice in one).
    #[error("duplicate document id `{id}` in {} and {}", first.display(), second.display())]
    DuplicateId {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// A query that cannot be turned into a search.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A quote with nothing to check.
    #[error("invalid quote: {0}")]
    InvalidQuote(String),
    /// A quote over the word limit.
    #[error("quote too long: {0}")]
    QuoteTooLong(String),
    /// A document that cannot be stored.
    #[error("invalid document: {0}")]
    InvalidDocument(String),
    /// A write that clashes with what exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Another process holds the index for writing.
    #[error("index busy: {0}")]
    IndexBusy(String),
    /// Hybrid search was asked for but vectors are off.
    #[error("vectors are off: {0}")]
    VectorsOff(String),
    /// A parameter out of range or malformed.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A named document or passage does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A filesystem failure, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A failure inside Tantivy.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index on disk is missing or unreadable in a way a rebuild fixes.
    #[error("index unusable: {0}")]
    IndexUnusable(String),
    /// A model's files (the embedding model's or the answer reader's) are
    /// missing, corrupt or unreadable.
    #[error("model file {}: {message}", file.display())]
    Model {
        /// The file at fault.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The embedding model failed on an input (a bug: every text is accepted).
    #[error("embedding failed: {0}")]
    Embedding(String),
    /// A build was stopped on purpose before it finished (tests, cancellation).
    #[error("index build aborted: {0}")]
    Aborted(String),
    /// Work stopped because its answer was no longer wanted (its request
    /// timed out); the client already had its 408.
    #[error("cancelled: the request stopped waiting")]
    Cancelled,
}

impl Error {
    /// Wraps an IO error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The stable code this error is reported with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidQuery(_) => ErrorCode::InvalidQuery,
            Error::InvalidParameter(_) => ErrorCode::InvalidParameter,
            Error::InvalidQuote(_) => ErrorCode::InvalidQuote,
            Error::QuoteTooLong(_) => ErrorCode::QuoteTooLong,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::InvalidDocument(_) => ErrorCode::InvalidDocument,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::IndexBusy(_) => ErrorCode::IndexBusy,
            Error::VectorsOff(_) => ErrorCode::VectorsOff,
            // A document that cannot be read is the sender's to fix; two
            // documents claiming one id conflict.
            Error::Corpus { .. } => ErrorCode::InvalidDocument,
            Error::DuplicateId { .. } => ErrorCode::Conflict,
            Error::Cancelled => ErrorCode::Timeout,
            // Named one by one, with no wildcard, so a new variant must be
            // given its code here rather than fall into a 500 unseen.
            Error::Io { .. }
            | Error::Index(_)
            | Error::IndexUnusable(_)
            | Error::Model { .. }
            | Error::Embedding(_)
            | Error::Aborted(_) => ErrorCode::Internal,
        }
    }
}

/// Shorthand used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Bad documents are the sender's error, never a 500; what is a 500 is
    /// a failure of this machine (issue 35: the wildcard that made every
    /// new variant a 500 is gone).
    #[test]
    fn bad_documents_are_client_errors() {
        let corpus = Error::Corpus {
            file: "a.md".into(),
            line: Some(3),
            message: "bad front matter".into(),
        };
        assert_eq!(corpus.code().status(), 400);
        let dup = Error::DuplicateId {
            id: "a".into(),
            first: "a.md".into(),
            second: "b.md".into(),
        };
        assert_eq!(dup.code().status(), 409);
        let io = Error::io("x", std::io::Error::other("disk"));
        assert_eq!(io.code().status(), 500);
    }
}
