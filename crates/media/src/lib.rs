//! Uploaded files as Relais sees them: the type is read from the first bytes (a browser's or a
//! file name's claim is never trusted), and an image gets a small JPEG thumbnail for the media
//! library, so that a page of forty photos does not send forty full-size files.
//!
//! Decoding is bounded: an image that claims huge dimensions (a "decompression bomb") is
//! refused before its pixels are allocated.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// Longest side of a thumbnail, in pixels (twice what the library shows, for dense screens).
pub const THUMBNAIL_SIDE: u32 = 320;

/// Largest width or height Relais decodes for a thumbnail.
const MAX_SIDE: u32 = 16_384;

/// Most memory a decoder may ask for (a 16 384 × 8 192 RGBA image).
const MAX_DECODE_BYTES: u64 = 512 << 20;

/// The media type of a file from its first bytes: one of the image and video types the
/// networks take, or `None`.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        // ISO base media files: the major brand says QuickTime or MPEG-4.
        match &bytes[8..12] {
            b"qt  " => Some("video/quicktime"),
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1"
            | b"M4V " | b"dash" => Some("video/mp4"),
            _ => None,
        }
    } else {
        None
    }
}

/// Whether a type [`sniff`] gives is a video.
pub fn is_video(mime: &str) -> bool {
    mime.starts_with("video/")
}

/// Why no thumbnail could be made (the file is still kept; the library shows its name).
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("not an image Relais reads (PNG, JPEG, GIF or WebP)")]
    NotAnImage,
    #[error("the image could not be read: {0}")]
    Unreadable(String),
}

/// A JPEG of at most [`THUMBNAIL_SIDE`] pixels on its longest side, keeping the proportions.
/// Transparent pixels come out white (JPEG has no transparency).
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    let format = match sniff(bytes) {
        Some("image/png") => ImageFormat::Png,
        Some("image/jpeg") => ImageFormat::Jpeg,
        Some("image/gif") => ImageFormat::Gif,
        Some("image/webp") => ImageFormat::WebP,
        _ => return Err(ThumbnailError::NotAnImage),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| ThumbnailError::Unreadable(e.to_string()))?;
    let small = if image.width().max(image.height()) > THUMBNAIL_SIDE {
        image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgba8()
    } else {
        image.to_rgba8()
    };
    let mut flat = image::RgbImage::new(small.width(), small.height());
    for (to, from) in flat.pixels_mut().zip(small.pixels()) {
        let [r, g, b, a] = from.0;
        let on_white =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        *to = image::Rgb([on_white(r), on_white(g), on_white(b)]);
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&flat)
        .map_err(|e| ThumbnailError::Unreadable(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, rgba: [u8; 4]) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba(rgba));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode png");
        out
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"), Some("video/mp4"));
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Some("video/quicktime")
        );
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]), Some("video/webm"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
        assert!(is_video("video/mp4") && !is_video("image/png"));
    }

    #[test]
    fn thumbnails_keep_proportions_and_fit_the_side() {
        let thumb = thumbnail(&png(1200, 600, [200, 10, 10, 255])).expect("thumbnail");
        assert_eq!(sniff(&thumb), Some("image/jpeg"));
        let back = image::load_from_memory(&thumb).expect("decode").to_rgb8();
        assert_eq!((back.width(), back.height()), (320, 160));
        let p = back.get_pixel(10, 10).0;
        assert!(p[0] > 180 && p[1] < 40, "colour kept: {p:?}");
    }

    #[test]
    fn small_images_are_not_enlarged_and_transparency_becomes_white() {
        let thumb = thumbnail(&png(40, 30, [0, 0, 0, 0])).expect("thumbnail");
        let back = image::load_from_memory(&thumb).expect("decode").to_rgb8();
        assert_eq!((back.width(), back.height()), (40, 30));
        assert!(back.get_pixel(5, 5).0.iter().all(|c| *c > 240));
    }

    #[test]
    fn bombs_and_broken_files_are_refused_without_panicking() {
        // A PNG header claiming 100 000 × 100 000 pixels.
        let mut bomb = png(1, 1, [0, 0, 0, 255]);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(
            thumbnail(&bomb),
            Err(ThumbnailError::Unreadable(_))
        ));
        let mut cut = png(50, 50, [1, 2, 3, 255]);
        cut.truncate(40);
        assert!(matches!(
            thumbnail(&cut),
            Err(ThumbnailError::Unreadable(_))
        ));
        assert!(matches!(
            thumbnail(b"\0\0\0\x18ftypmp42"),
            Err(ThumbnailError::NotAnImage)
        ));
    }
}
