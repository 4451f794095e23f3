//! The page at `/`: HTML, CSS and JS embedded in the binary, loading
//! nothing from anywhere but this server.

/// The page.
pub(crate) const INDEX_HTML: &str = include_str!("index.html");
/// Its script.
pub(crate) const APP_JS: &str = include_str!("app.js");
/// Its styles.
pub(crate) const APP_CSS: &str = include_str!("app.css");

/// The Content-Security-Policy sent with the page: only this origin.
pub(crate) const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
