//! Uploaded images are checked and cleaned before they are stored: a file that is not whole
//! (truncated, or something else with an image's first bytes) is refused, a "pixel bomb" that
//! would decompress to gigabytes is refused by its declared size before anything allocates, and
//! the stored file carries no metadata (EXIF with GPS position, camera, thumbnails).
//!
//! A JPEG is neither decoded nor encoded again: its marker structure is walked (every segment
//! whole, one frame header with a sane size, scan data that runs to the end-of-image marker),
//! its metadata segments are cut out and the compressed image data kept as it came. Decoding
//! every photo cost more server time than the rest of an application's path (about 0.7 ms a
//! photo; re-encoding, earlier, 7 ms) and adds nothing a parent needs: a file damaged on its
//! way is cut short, which the walk sees, and a scan that is well-formed but draws noise is for
//! the clerk to return, as with a blurred photo. A PNG is still decoded and written again.

use std::io::Cursor;

use domain::campaign::FileFormat;
use image::{ImageFormat, ImageReader, Limits};

/// Large enough for a 600 dpi A4 scan, far below what would hurt the server.
const MAX_SIDE: u32 = 8_000;
const MAX_DECODED_BYTES: u64 = 200 * 1024 * 1024;

/// The accepted shape of a 3×4 cm photo, width / height, with room for cropping by hand.
const PHOTO_RATIO: std::ops::RangeInclusive<f64> = 0.70..=0.80;

/// Checks and cleans an image; `Err` is the translation key of what is wrong.
pub fn clean(format: FileFormat, data: Vec<u8>, is_photo: bool) -> Result<Vec<u8>, &'static str> {
    match format {
        FileFormat::Jpeg => {
            let jpeg = jpeg_checked(&data)?;
            if is_photo && !PHOTO_RATIO.contains(&ratio(jpeg.width, jpeg.height)) {
                return Err("app-err-photo-shape");
            }
            return Ok(jpeg.kept);
        }
        // A PDF is kept as the parent sent it, once checked (see `pdf_check`).
        FileFormat::Pdf => return crate::pdf_check::check(&data).map(|()| data),
        FileFormat::Png => {}
    }
    let mut reader = ImageReader::with_format(Cursor::new(&data), ImageFormat::Png);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => "app-err-image-too-large",
        _ => "app-err-image-broken",
    })?;
    if is_photo && !PHOTO_RATIO.contains(&ratio(image.width(), image.height())) {
        return Err("app-err-photo-shape");
    }
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|_| "app-err-image-broken")?;
    Ok(out.into_inner())
}

fn ratio(width: u32, height: u32) -> f64 {
    f64::from(width) / f64::from(height.max(1))
}

/// A JPEG that passed the structural check, with what is kept of it.
struct CheckedJpeg {
    /// Every application segment (APP0–APP15: JFIF and its thumbnail, EXIF, XMP, ICC, maker
    /// notes) and comment cut out, and nothing after the end-of-image marker; the Adobe segment
    /// (APP14) stays, as decoders need it to read the colours.
    kept: Vec<u8>,
    width: u32,
    height: u32,
}

/// Walks the marker structure; `Err` is the translation key of what is wrong.
fn jpeg_checked(data: &[u8]) -> Result<CheckedJpeg, &'static str> {
    const BROKEN: &str = "app-err-image-broken";
    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    const APP14: u8 = 0xEE;
    const COM: u8 = 0xFE;
    if data.get(..2) != Some(&[0xFF, SOI][..]) {
        return Err(BROKEN);
    }
    let mut kept = Vec::with_capacity(data.len());
    kept.extend_from_slice(&[0xFF, SOI]);
    let mut frame: Option<(u32, u32)> = None;
    let mut scans = 0;
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while data.get(i) == Some(&0xFF) && data.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if data.get(i) != Some(&0xFF) {
            return Err(BROKEN);
        }
        let marker = *data.get(i + 1).ok_or(BROKEN)?;
        if marker == EOI {
            let (width, height) = frame.ok_or(BROKEN)?;
            if scans == 0 {
                return Err(BROKEN);
            }
            kept.extend_from_slice(&[0xFF, EOI]);
            return Ok(CheckedJpeg {
                kept,
                width,
                height,
            });
        }
        // Standalone markers carry no length.
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            kept.extend_from_slice(&data[i..i + 2]);
            i += 2;
            continue;
        }
        let len = match (data.get(i + 2), data.get(i + 3)) {
            (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Err(BROKEN),
        };
        if len < 2 {
            return Err(BROKEN);
        }
        let end = i + 2 + len;
        let segment = data.get(i..end).ok_or(BROKEN)?;
        // Start of frame: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            if frame.is_some() || segment.len() < 10 {
                return Err(BROKEN);
            }
            let height = u32::from(u16::from_be_bytes([segment[5], segment[6]]));
            let width = u32::from(u16::from_be_bytes([segment[7], segment[8]]));
            let components = u64::from(segment[9]);
            // A height of 0 is declared later (DNL): nothing a camera or scanner writes.
            if width == 0 || height == 0 || components == 0 {
                return Err(BROKEN);
            }
            if width > MAX_SIDE
                || height > MAX_SIDE
                || u64::from(width) * u64::from(height) * components > MAX_DECODED_BYTES
            {
                return Err("app-err-image-too-large");
            }
            frame = Some((width, height));
        }
        let is_metadata = (0xE0..=0xEF).contains(&marker) && marker != APP14 || marker == COM;
        if !is_metadata {
            kept.extend_from_slice(segment);
        }
        i = end;
        if marker == SOS {
            if frame.is_none() {
                return Err(BROKEN);
            }
            scans += 1;
            // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor
            // a restart marker.
            let start = i;
            loop {
                i += memchr::memchr(0xFF, data.get(i..).ok_or(BROKEN)?).ok_or(BROKEN)?;
                match data.get(i + 1) {
                    None => return Err(BROKEN),
                    Some(0) | Some(0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                }
            }
            kept.extend_from_slice(&data[start..i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests keep their inputs to compare with.
    fn clean(format: FileFormat, data: &[u8], is_photo: bool) -> Result<Vec<u8>, &'static str> {
        super::clean(format, data.to_vec(), is_photo)
    }

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
        assert!(
            image::load_from_memory_with_format(&cleaned, ImageFormat::Jpeg).is_ok(),
            "what is kept still decodes"
        );
        // A comment, and something hidden after the end of the image, go too.
        let mut with_comment = cleaned.clone();
        with_comment.splice(2..2, [0xFF, 0xFE, 0x00, 0x07, b's', b'e', b'c', b'r', b'e']);
        with_comment.extend_from_slice(b"PK\x03\x04 appended archive");
        let cleaned_again = clean(FileFormat::Jpeg, &with_comment, true).expect("photo");
        assert_eq!(cleaned_again, cleaned);
    }

    #[test]
    fn a_jpeg_is_judged_by_its_structure() {
        let mut jpeg = Cursor::new(Vec::new());
        image::RgbImage::new(30, 40)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
            .expect("jpeg");
        let jpeg = jpeg.into_inner();
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .expect("a baseline frame header");
        // The declared size decides the photo's shape and refuses a bomb.
        let mut wide = jpeg.clone();
        wide[sof + 5..sof + 9].copy_from_slice(&[0, 40, 0, 60]);
        assert_eq!(
            clean(FileFormat::Jpeg, &wide, true),
            Err("app-err-photo-shape")
        );
        let mut bomb = jpeg.clone();
        bomb[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(
            clean(FileFormat::Jpeg, &bomb, false),
            Err("app-err-image-too-large")
        );
        // No frame header, a second one, or no end-of-image marker: not a whole image.
        let mut headless = jpeg.clone();
        headless[sof + 1] = 0xE5;
        assert_eq!(
            clean(FileFormat::Jpeg, &headless, false),
            Err("app-err-image-broken")
        );
        let frame_len = usize::from(u16::from_be_bytes([jpeg[sof + 2], jpeg[sof + 3]]));
        let mut twice = jpeg.clone();
        twice.splice(sof..sof, jpeg[sof..sof + 2 + frame_len].to_vec());
        assert_eq!(
            clean(FileFormat::Jpeg, &twice, false),
            Err("app-err-image-broken")
        );
        assert_eq!(
            clean(FileFormat::Jpeg, &jpeg[..jpeg.len() - 2], false),
            Err("app-err-image-broken")
        );
        assert_eq!(
            clean(FileFormat::Jpeg, b"\xff\xd8", false),
            Err("app-err-image-broken")
        );
    }

    #[test]
    fn a_clean_jpeg_keeps_its_image_data_as_it_came() {
        let mut jpeg = Cursor::new(Vec::new());
        image::RgbImage::from_fn(300, 400, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        })
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpeg, 80,
        ))
        .expect("jpeg");
        let jpeg = jpeg.into_inner();
        let cleaned = clean(FileFormat::Jpeg, &jpeg, true).expect("photo");
        // The encoder writes a JFIF APP0 segment (18 bytes); everything else is unchanged.
        assert_eq!(cleaned.len(), jpeg.len() - 18);
        assert_eq!(cleaned[cleaned.len() - 1000..], jpeg[jpeg.len() - 1000..]);
        // A JPEG whose scan is cut short is still refused.
        assert_eq!(
            clean(FileFormat::Jpeg, &jpeg[..jpeg.len() / 2], true),
            Err("app-err-image-broken")
        );
    }
}
