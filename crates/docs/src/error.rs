//! The crate's one error type.

/// Why a document could not be produced.
///
/// `Display` starts with a stable message key (`err-docs-…`) whose texts live in
/// `locales/{kk,ru,en}/docs.ftl`; [`DocsError::key`] gives the key alone for the web layer.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The data does not fit in a QR code (the verification URL is far too long).
    #[error("err-docs-qr-too-long: {len} bytes do not fit in a QR code")]
    QrTooLong {
        /// Length of the data in bytes.
        len: usize,
    },
    /// The embedded font could not be loaded (a broken build, not bad input).
    #[error("err-docs-font: embedded font {name} could not be parsed")]
    Font {
        /// File name of the font.
        name: &'static str,
    },
    /// The PDF writer refused the document.
    #[error("err-docs-pdf: {0}")]
    Pdf(String),
    /// The XLSX writer failed.
    #[error("err-docs-xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl DocsError {
    /// The stable message key to look up in `docs.ftl`.
    pub fn key(&self) -> &'static str {
        match self {
            DocsError::QrTooLong { .. } => "err-docs-qr-too-long",
            DocsError::Font { .. } => "err-docs-font",
            DocsError::Pdf(_) => "err-docs-pdf",
            DocsError::Xlsx(_) => "err-docs-xlsx",
        }
    }
}
