//! A tracked link drawn as a QR code, for print and slides: as SVG (scales without blur) or as
//! grayscale PNG. The `qrcode` crate lays out the modules; both images are drawn here from its
//! matrix, so that no image library is needed.

use qrcode::{Color, EcLevel, QrCode};

use super::LinkError;

/// Light modules around the code, on each side, that readers need to find it (the standard's
/// minimum).
pub const QUIET_ZONE: usize = 4;

/// Most pixels per module of a PNG: a version 40 code is then 5,920 pixels wide, enough for a
/// poster.
pub const MAX_SCALE: u32 = 32;

/// Pixels per module of the SVG's default size; any size renders sharp.
const SVG_PIXELS_PER_MODULE: usize = 8;

/// No QR code holds more than this many characters (digits only, lowest correction): longer
/// text is refused before the encoder spends any time on it.
const MAX_QR_CHARACTERS: usize = 7_089;

/// Medium correction (15% of the code may be lost) survives a crease or a smudge on a flyer,
/// yet keeps a short link's code small.
const CORRECTION: EcLevel = EcLevel::M;

/// The code as a standalone SVG: black modules on white, the quiet zone included, the viewBox
/// counted in modules, nothing loaded from elsewhere.
pub fn qr_svg(text: &str) -> Result<String, LinkError> {
    let modules = Modules::of(text)?;
    let side = modules.side();
    let pixels = side * SVG_PIXELS_PER_MODULE;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 {side} {side}\" \
         width=\"{pixels}\" height=\"{pixels}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{}\"/></svg>",
        modules.svg_path()
    ))
}

/// The code as a grayscale PNG of `scale` pixels per module (1 to [`MAX_SCALE`]), the quiet
/// zone included: `(modules + 8) × scale` pixels wide and high.
pub fn qr_png(text: &str, scale: u32) -> Result<Vec<u8>, LinkError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(LinkError::QrScale(scale));
    }
    let modules = Modules::of(text)?;
    // At most 185 modules × 32: far within u32 and usize.
    let scale = scale as usize;
    let pixels = modules.side() * scale;
    let side = u32::try_from(pixels).map_err(|e| LinkError::QrEncoding(e.to_string()))?;
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encoding_error)?;
    writer
        .write_image_data(&modules.grayscale(scale))
        .map_err(encoding_error)?;
    writer.finish().map_err(encoding_error)?;
    Ok(png)
}

fn encoding_error(error: png::EncodingError) -> LinkError {
    LinkError::QrEncoding(error.to_string())
}

const BLACK: u8 = 0;
const WHITE: u8 = 255;

/// The code's modules, row by row, without the quiet zone.
struct Modules {
    width: usize,
    dark: Vec<bool>,
}

impl Modules {
    fn of(text: &str) -> Result<Modules, LinkError> {
        if text.is_empty() {
            return Err(LinkError::QrEmpty);
        }
        if text.len() > MAX_QR_CHARACTERS {
            return Err(LinkError::QrTooLong(text.len()));
        }
        let code = QrCode::with_error_correction_level(text, CORRECTION).map_err(|e| match e {
            qrcode::types::QrError::DataTooLong => LinkError::QrTooLong(text.len()),
            other => LinkError::QrEncoding(other.to_string()),
        })?;
        Ok(Modules {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules on a side, the quiet zone included.
    fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at (`x`, `y`), counted from the image's corner, quiet zone included,
    /// is dark.
    fn is_dark(&self, x: usize, y: usize) -> bool {
        let inside = |v: usize| v.checked_sub(QUIET_ZONE).filter(|v| *v < self.width);
        match (inside(x), inside(y)) {
            (Some(col), Some(row)) => self.dark.get(row * self.width + col) == Some(&true),
            _ => false,
        }
    }

    /// One rectangle per run of dark modules in a row: a fraction of the size of one square per
    /// module.
    fn svg_path(&self) -> String {
        let mut path = String::new();
        for y in 0..self.side() {
            let mut x = 0;
            while x < self.side() {
                let run = (x..self.side())
                    .take_while(|&run_x| self.is_dark(run_x, y))
                    .count();
                if run > 0 {
                    path.push_str(&format!("M{x} {y}h{run}v1h-{run}z"));
                }
                x += run.max(1);
            }
        }
        path
    }

    /// The image's pixels, one byte each, row after row.
    fn grayscale(&self, scale: usize) -> Vec<u8> {
        let pixels = self.side() * scale;
        let mut image = Vec::with_capacity(pixels * pixels);
        for y in 0..self.side() {
            let row: Vec<u8> = (0..pixels)
                .map(|px| {
                    if self.is_dark(px / scale, y) {
                        BLACK
                    } else {
                        WHITE
                    }
                })
                .collect();
            for _ in 0..scale {
                image.extend_from_slice(&row);
            }
        }
        image
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT_LINK: &str = "https://relais.example/l/Xk7mPq2z";

    /// The dark modules an SVG draws, read back from its path, and its side in modules.
    fn drawn(svg: &str) -> (usize, Vec<Vec<bool>>) {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a viewBox");
        let mut grid = vec![vec![false; side]; side];
        let path = svg.split(" d=\"").nth(1).expect("a path");
        let path = &path[..path.find('"').expect("closed path")];
        for rect in path.split('M').filter(|r| !r.is_empty()) {
            let (x, rest) = rect.split_once(' ').expect("x y");
            let (y, rest) = rest.split_once('h').expect("h");
            let run = rest.split('v').next().expect("v");
            let (x, y, run): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
            for cell in &mut grid[y][x..x + run] {
                *cell = true;
            }
        }
        (side, grid)
    }

    /// Whether the 7×7 block at (`left`, `top`) is a finder pattern: a dark ring, a light ring,
    /// a dark 3×3 centre.
    fn is_finder(grid: &[Vec<bool>], left: usize, top: usize) -> bool {
        (0..7usize).all(|dy| {
            (0..7usize).all(|dx| {
                let ring = dx.abs_diff(3).max(dy.abs_diff(3));
                grid[top + dy][left + dx] == (ring != 2)
            })
        })
    }

    fn dark_in_block(grid: &[Vec<bool>], left: usize, top: usize) -> usize {
        grid[top..top + 7]
            .iter()
            .map(|row| row[left..left + 7].iter().filter(|d| **d).count())
            .sum()
    }

    #[test]
    fn the_svg_draws_the_three_finder_patterns_inside_a_quiet_zone() {
        let svg = qr_svg(SHORT_LINK).unwrap();
        let (side, grid) = drawn(&svg);
        let far = side - QUIET_ZONE - 7;
        for (left, top) in [
            (QUIET_ZONE, QUIET_ZONE),
            (far, QUIET_ZONE),
            (QUIET_ZONE, far),
        ] {
            assert!(is_finder(&grid, left, top), "finder at {left},{top}");
            // 24 of the outer ring, 9 of the centre.
            assert_eq!(dark_in_block(&grid, left, top), 33);
        }
        // The fourth corner holds no finder pattern.
        assert!(!is_finder(&grid, far, far));
        for (y, row) in grid.iter().enumerate() {
            for (x, dark) in row.iter().enumerate() {
                let in_quiet_zone = x.min(y) < QUIET_ZONE || x.max(y) >= side - QUIET_ZONE;
                assert!(!(in_quiet_zone && *dark), "dark module at {x},{y}");
            }
        }
    }

    #[test]
    fn the_svg_draws_exactly_the_encoder_modules() {
        let modules = Modules::of(SHORT_LINK).unwrap();
        let (side, grid) = drawn(&qr_svg(SHORT_LINK).unwrap());
        assert_eq!(side, modules.side());
        for (y, row) in grid.iter().enumerate() {
            for (x, dark) in row.iter().enumerate() {
                assert_eq!(*dark, modules.is_dark(x, y), "{x},{y}");
            }
        }
    }

    #[test]
    fn the_svg_stands_alone() {
        let svg = qr_svg(SHORT_LINK).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("fill=\"#fff\"") && svg.contains("fill=\"#000\""));
        // The namespace is the only address in it; no image, font or style is fetched.
        assert_eq!(svg.matches("http").count(), 1);
        for external in ["href", "<image", "url(", "<style", "<script", "@import"] {
            assert!(!svg.contains(external), "{external}");
        }
    }

    #[test]
    fn uses_medium_correction() {
        // A version 1 code (21 modules) holds 14 bytes at level M, 17 at level L.
        assert_eq!(Modules::of("https://x.y/ab").unwrap().width, 21);
        assert_eq!(Modules::of("https://x.y/abc").unwrap().width, 25);
    }

    #[test]
    fn the_code_grows_with_the_text() {
        let sides: Vec<usize> = [
            "https://r.example/l/a",
            "https://relais.example/l/soldes-ete-2025?utm_source=flyer",
            &format!("https://relais.example/l/{}", "x".repeat(300)),
            &"é".repeat(1_000),
        ]
        .iter()
        .map(|text| drawn(&qr_svg(text).unwrap()).0)
        .collect();
        assert!(sides.windows(2).all(|w| w[0] < w[1]), "{sides:?}");
        for side in sides {
            // Versions are 21, 25, 29, … modules wide, then the quiet zone.
            assert_eq!((side - 2 * QUIET_ZONE - 21) % 4, 0, "{side}");
        }
    }

    #[test]
    fn text_that_no_code_can_hold_is_refused() {
        // 2,331 bytes is the most a version 40 code holds at level M.
        assert!(qr_svg(&"a".repeat(2_331)).is_ok());
        assert_eq!(qr_svg(&"a".repeat(2_332)), Err(LinkError::QrTooLong(2_332)));
        assert_eq!(
            qr_png(&"€".repeat(1_000), 4),
            Err(LinkError::QrTooLong(3_000))
        );
        let huge = "https://example.com/".repeat(100_000);
        assert_eq!(qr_svg(&huge), Err(LinkError::QrTooLong(huge.len())));
        assert_eq!(qr_svg(""), Err(LinkError::QrEmpty));
        let message = qr_svg(&huge).unwrap_err().to_string();
        assert!(message.contains("short link"), "{message}");
    }

    fn be_u32(bytes: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn the_png_header_says_its_size_and_grayscale() {
        let modules = Modules::of(SHORT_LINK).unwrap().width;
        for scale in [1, 5, MAX_SCALE] {
            let png = qr_png(SHORT_LINK, scale).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(&png[12..16], b"IHDR");
            let expected = (modules as u32 + 8) * scale;
            assert_eq!(be_u32(&png, 16), expected, "width at scale {scale}");
            assert_eq!(be_u32(&png, 20), expected, "height at scale {scale}");
            assert_eq!((png[24], png[25]), (8, 0), "8-bit grayscale");
        }
    }

    #[test]
    fn the_png_pixels_are_the_modules() {
        let scale = 3;
        let png_bytes = qr_png(SHORT_LINK, scale).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let width = info.width as usize;
        let modules = Modules::of(SHORT_LINK).unwrap();
        let scale = scale as usize;
        for y in 0..width {
            for x in 0..width {
                let expected = if modules.is_dark(x / scale, y / scale) {
                    BLACK
                } else {
                    WHITE
                };
                assert_eq!(pixels[y * width + x], expected, "pixel {x},{y}");
            }
        }
        // The finder pattern's corner is where the quiet zone ends.
        let corner = QUIET_ZONE * scale;
        assert_eq!(pixels[corner * width + corner], BLACK);
        assert_eq!(pixels[(corner - 1) * width + corner - 1], WHITE);
    }

    #[test]
    fn the_png_scale_is_bounded() {
        assert_eq!(qr_png(SHORT_LINK, 0), Err(LinkError::QrScale(0)));
        assert_eq!(qr_png(SHORT_LINK, 33), Err(LinkError::QrScale(33)));
        assert_eq!(
            qr_png(SHORT_LINK, u32::MAX),
            Err(LinkError::QrScale(u32::MAX))
        );
        assert_eq!(qr_png("", 4), Err(LinkError::QrEmpty));
    }

    #[test]
    fn codes_any_text_without_failing() {
        for text in ["\u{0}", "🎉🚀", "a\nb\tc", "<svg>&\"'</svg>", "0123456789"] {
            let svg = qr_svg(text).unwrap();
            assert!(
                !svg.contains("<svg>"),
                "the text is not written into the SVG"
            );
            assert!(qr_png(text, 1).is_ok());
        }
    }
}
