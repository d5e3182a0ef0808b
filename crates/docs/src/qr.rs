//! QR codes for the verification link: a module matrix, drawn as SVG here and as PDF squares in
//! [`crate::pdf`]. No image codec: both outputs are vectors and stay sharp at any size.

use qrcode::{Color, EcLevel, QrCode};

use crate::DocsError;

/// Light modules around the code that scanners need to find it (the standard asks for 4).
pub(crate) const QUIET_ZONE: usize = 4;

/// A QR code as rows of dark/light modules, without the quiet zone.
pub(crate) struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encode `data` with error correction level M: enough to survive a crease or a stamp on
    /// printed paper, while keeping the code small for a typical verification URL.
    pub(crate) fn encode(data: &str) -> Result<Self, DocsError> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
            .map_err(|_| DocsError::QrTooLong { len: data.len() })?;
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Self { width, dark })
    }

    /// Modules per side, without the quiet zone.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Horizontal runs of dark modules as `(row, first column, length)`: one rectangle per run
    /// instead of one per module makes the output several times smaller.
    pub(crate) fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for (y, row) in self.dark.chunks(self.width.max(1)).enumerate() {
            let mut x = 0;
            while x < row.len() {
                if row.get(x) == Some(&true) {
                    let start = x;
                    while row.get(x) == Some(&true) {
                        x += 1;
                    }
                    runs.push((y, start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// A QR code for `url` as a compact, self-contained SVG (one path; white background with the
/// quiet zone included; scales to any size with `width`/`height` set by the page's CSS).
///
/// Fails only when the URL is too long for any QR code (several kilobytes).
pub fn qr_svg(url: &str) -> Result<String, DocsError> {
    let matrix = QrMatrix::encode(url)?;
    let side = matrix.width() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, x, len) in matrix.dark_runs() {
        path.push_str(&format!(
            "M{} {}h{}v1h-{}z",
            x + QUIET_ZONE,
            y + QUIET_ZONE,
            len,
            len
        ));
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" "#,
            r##"shape-rendering="crispEdges"><path fill="#fff" d="M0 0h{side}v{side}H0z"/>"##,
            r##"<path fill="#000" d="{path}"/></svg>"##
        ),
        side = side,
        path = path
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_has_finder_patterns_in_three_corners_only() {
        let m = QrMatrix::encode("https://mektep.example.kz/verify/ABCD-1234").unwrap();
        let w = m.width();
        // A finder pattern: dark 7×7 border, light ring inside it, dark 3×3 centre.
        let is_finder = |ox: usize, oy: usize| {
            (0..7).all(|dy| {
                (0..7).all(|dx| {
                    let ring = dx.min(dy).min(6 - dx).min(6 - dy);
                    m.dark[(oy + dy) * w + ox + dx] == (ring != 1)
                })
            })
        };
        assert!(is_finder(0, 0) && is_finder(w - 7, 0) && is_finder(0, w - 7));
        assert!(!is_finder(w - 7, w - 7));
    }

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let m = QrMatrix::encode("https://mektep.example.kz/v/1").unwrap();
        let mut painted = vec![false; m.dark.len()];
        for (y, x, len) in m.dark_runs() {
            for dx in 0..len {
                painted[y * m.width() + x + dx] = true;
            }
        }
        assert_eq!(painted, m.dark);
    }

    #[test]
    fn svg_is_compact_and_well_formed() {
        let svg = qr_svg("https://mektep.example.kz/verify/ABCD-1234?x=<&>").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 2);
        // The URL itself is not in the markup, so nothing in it can break the SVG.
        assert!(!svg.contains("mektep"));
        assert!(svg.len() < 6000, "svg is {} bytes", svg.len());
    }

    #[test]
    fn too_long_data_is_an_error_not_a_panic() {
        let url = "x".repeat(10_000);
        let err = qr_svg(&url).unwrap_err();
        assert_eq!(err.key(), "err-docs-qr-too-long");
    }
}
