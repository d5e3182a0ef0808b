//! Uploaded images are decoded and written again before they are stored: a file that does not
//! decode (truncated, or something else with an image's first bytes) is refused, a "pixel bomb"
//! that would decompress to gigabytes is refused by the decoder's limits before it allocates,
//! and the re-encoded file carries no metadata (EXIF with GPS position, camera, thumbnails).

use std::io::Cursor;

use domain::campaign::FileFormat;
use image::{ImageFormat, ImageReader, Limits};

/// Large enough for a 600 dpi A4 scan, far below what would hurt the server.
const MAX_SIDE: u32 = 8_000;
const MAX_DECODED_BYTES: u64 = 200 * 1024 * 1024;

/// The accepted shape of a 3×4 cm photo, width / height, with room for cropping by hand.
const PHOTO_RATIO: std::ops::RangeInclusive<f64> = 0.70..=0.80;

/// Checks and cleans an image; `Err` is the translation key of what is wrong.
pub fn clean(format: FileFormat, data: &[u8], is_photo: bool) -> Result<Vec<u8>, &'static str> {
    let image_format = match format {
        FileFormat::Jpeg => ImageFormat::Jpeg,
        FileFormat::Png => ImageFormat::Png,
        // A PDF is kept as the parent sent it, once checked (see `pdf_check`).
        FileFormat::Pdf => return crate::pdf_check::check(data).map(|()| data.to_vec()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(data), image_format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => "app-err-image-too-large",
        _ => "app-err-image-broken",
    })?;
    if is_photo {
        let ratio = f64::from(image.width()) / f64::from(image.height().max(1));
        if !PHOTO_RATIO.contains(&ratio) {
            return Err("app-err-photo-shape");
        }
    }
    let mut out = Cursor::new(Vec::new());
    let written =
        match format {
            FileFormat::Jpeg => image.to_rgb8().write_with_encoder(
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90),
            ),
            _ => image.write_to(&mut out, ImageFormat::Png),
        };
    written.map_err(|_| "app-err-image-broken")?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::RgbImage::new(width, height)
            .write_to(&mut out, ImageFormat::Png)
            .expect("png");
        out.into_inner()
    }

    #[test]
    fn a_photo_must_decode_and_have_the_3x4_shape() {
        assert!(clean(FileFormat::Png, &png(300, 400), true).is_ok());
        assert_eq!(
            clean(FileFormat::Png, &png(400, 300), true),
            Err("app-err-photo-shape")
        );
        assert!(
            clean(FileFormat::Png, &png(400, 300), false).is_ok(),
            "a scan may have any shape"
        );
        let whole = png(30, 40);
        assert_eq!(
            clean(FileFormat::Png, &whole[..whole.len() / 2], true),
            Err("app-err-image-broken")
        );
        assert_eq!(
            clean(FileFormat::Jpeg, b"\xff\xd8\xff not really a jpeg", false),
            Err("app-err-image-broken")
        );
    }

    #[test]
    fn a_pixel_bomb_is_refused_before_it_is_decoded() {
        // A valid PNG header claiming 100 000 × 100 000 pixels, with a tiny body.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(clean(FileFormat::Png, &bomb, false).is_err());
    }

    #[test]
    fn metadata_does_not_survive() {
        let mut jpeg = Cursor::new(Vec::new());
        image::RgbImage::new(30, 40)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
            .expect("jpeg");
        let mut with_exif = jpeg.into_inner();
        // An APP1 "Exif" segment right after the start-of-image marker.
        let exif = [
            0xFF, 0xE1, 0x00, 0x10, b'E', b'x', b'i', b'f', 0, 0, b'G', b'P', b'S', b'!', b'!',
            b'!', b'!', b'!',
        ];
        with_exif.splice(2..2, exif);
        let cleaned = clean(FileFormat::Jpeg, &with_exif, true).expect("still a photo");
        assert!(!cleaned.windows(4).any(|w| w == b"Exif"), "EXIF removed");
        assert!(cleaned.starts_with(&[0xFF, 0xD8, 0xFF]));
    }
}
