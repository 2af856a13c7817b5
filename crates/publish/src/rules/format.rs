//! Figures as each language writes them: "63,206" and "63 206", "2.5 MB" and "2,5 Mo",
//! "JPEG, PNG or GIF" and "JPEG, PNG ou GIF".

pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "JPEG, PNG or GIF".
pub fn join(items: &[String], last_word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {last_word} {last}", init.join(", ")),
    }
}

/// A MIME type as people know it: `image/jpeg` → JPEG, `video/quicktime` → MOV.
pub fn format_name(mime: &str) -> String {
    match mime {
        "image/jpeg" => "JPEG".to_owned(),
        "image/png" => "PNG".to_owned(),
        "image/gif" => "GIF".to_owned(),
        "image/webp" => "WebP".to_owned(),
        "image/heic" => "HEIC".to_owned(),
        "image/heif" => "HEIF".to_owned(),
        "image/avif" => "AVIF".to_owned(),
        "image/bmp" => "BMP".to_owned(),
        "image/tiff" => "TIFF".to_owned(),
        "video/mp4" => "MP4".to_owned(),
        "video/quicktime" => "MOV".to_owned(),
        "video/webm" => "WebM".to_owned(),
        "video/ogg" => "Ogg".to_owned(),
        other => other
            .split('/')
            .nth(1)
            .unwrap_or(other)
            .to_ascii_uppercase(),
    }
}

/// 63206 → "63,206".
pub fn en_num(n: usize) -> String {
    group(n, ",")
}

/// 63206 → "63 206", with a no-break space so the figure never breaks across lines.
pub fn fr_num(n: usize) -> String {
    group(n, "\u{a0}")
}

fn group(n: usize, sep: &str) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(d);
    }
    out
}

/// Both sizes in decimal units (MB/Mo); exact byte counts when rounding would make them look
/// equal ("5 MB; at most 5 MB" helps nobody).
pub fn sizes(bytes: u64, max: u64, fr: bool) -> (String, String) {
    let (a, b) = (size(bytes, fr), size(max, fr));
    if a != b {
        return (a, b);
    }
    let unit = if fr { "octets" } else { "bytes" };
    let num = |n: u64| {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if fr { fr_num(n) } else { en_num(n) }
    };
    (
        format!("{} {unit}", num(bytes)),
        format!("{} {unit}", num(max)),
    )
}

fn size(bytes: u64, fr: bool) -> String {
    let (value, unit_en, unit_fr) = if bytes >= 1_000_000_000 {
        (bytes as f64 / 1e9, "GB", "Go")
    } else if bytes >= 1_000_000 {
        (bytes as f64 / 1e6, "MB", "Mo")
    } else if bytes >= 1000 {
        (bytes as f64 / 1e3, "KB", "ko")
    } else {
        return if fr {
            format!("{bytes} octets")
        } else {
            format!("{bytes} bytes")
        };
    };
    let mut text = format!("{value:.1}");
    if text.ends_with(".0") {
        text.truncate(text.len() - 2);
    }
    if fr {
        format!("{} {unit_fr}", text.replace('.', ","))
    } else {
        format!("{text} {unit_en}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_sizes_are_written_for_each_language() {
        assert_eq!(en_num(63_206), "63,206");
        assert_eq!(fr_num(63_206), "63\u{a0}206");
        assert_eq!(en_num(999), "999");
        assert_eq!(en_num(1_000_000), "1,000,000");
        assert_eq!(size(1_000_000, false), "1 MB");
        assert_eq!(size(16 * 1024 * 1024, false), "16.8 MB");
        assert_eq!(size(16 * 1024 * 1024, true), "16,8 Mo");
        assert_eq!(size(512, true), "512 octets");
        assert_eq!(
            sizes(5_000_001, 5_000_000, false),
            ("5,000,001 bytes".to_owned(), "5,000,000 bytes".to_owned())
        );
    }
}
