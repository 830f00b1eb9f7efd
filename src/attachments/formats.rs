//! What a file is allowed to be: SPEC §3's default extensions, the signatures ("magic bytes")
//! of the formats that have one, the content type a download is served with, and file-name
//! sanitizing. Pure functions, tested here.

/// The default list (the one Agent Connect documents). Each company may replace it.
pub const DEFAULT_EXTENSIONS: &[&str] = &[
    "aac",
    "adp",
    "aif",
    "aifc",
    "aiff",
    "amr",
    "au",
    "caf",
    "dra",
    "dts",
    "dtshd",
    "ecelp4800",
    "ecelp7470",
    "ecelp9600",
    "eol",
    "flac",
    "kar",
    "lvp",
    "m2a",
    "m3a",
    "m3u",
    "m4a",
    "mid",
    "midi",
    "mka",
    "mp2",
    "mp2a",
    "mp3",
    "mp4a",
    "mpga",
    "mxmf",
    "oga",
    "ogg",
    "opus",
    "pya",
    "ra",
    "ram",
    "rip",
    "rmi",
    "rmp",
    "s3m",
    "sil",
    "snd",
    "spx",
    "uva",
    "uvva",
    "wav",
    "wax",
    "weba",
    "wma",
    "xm",
];

/// How many leading bytes a signature check needs at most.
pub const SIGNATURE_BYTES: usize = 64;

/// Longest stored file name, in characters.
pub const FILE_NAME_MAX: usize = 200;

const ASF_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];

fn at(head: &[u8], offset: usize, magic: &[u8]) -> bool {
    head.get(offset..offset + magic.len()) == Some(magic)
}

/// MPEG audio: an ID3v2 tag, or an MPEG frame sync (11 set bits) with a valid layer.
fn mpeg_audio(head: &[u8]) -> bool {
    at(head, 0, b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 != 0)
}

fn riff(head: &[u8], form: &[u8; 4]) -> bool {
    at(head, 0, b"RIFF") && at(head, 8, form)
}

/// `Some(matches)` for extensions whose format has a known signature, `None` otherwise.
pub fn signature_matches(extension: &str, head: &[u8]) -> Option<bool> {
    Some(match extension {
        "mp3" | "mpga" | "mp2" | "mp2a" | "m2a" | "m3a" => mpeg_audio(head),
        "wav" => riff(head, b"WAVE"),
        "rmi" => riff(head, b"RMID"),
        "ogg" | "oga" | "opus" | "spx" => at(head, 0, b"OggS"),
        "flac" => at(head, 0, b"fLaC"),
        "m4a" | "mp4a" => at(head, 4, b"ftyp"),
        "aif" | "aiff" | "aifc" => {
            at(head, 0, b"FORM") && (at(head, 8, b"AIFF") || at(head, 8, b"AIFC"))
        }
        "amr" => at(head, 0, b"#!AMR"),
        "mid" | "midi" | "kar" => at(head, 0, b"MThd"),
        "wma" | "wax" => at(head, 0, &ASF_GUID),
        "au" | "snd" => at(head, 0, b".snd"),
        "caf" => at(head, 0, b"caff"),
        "mka" | "weba" => at(head, 0, &[0x1A, 0x45, 0xDF, 0xA3]),
        "ra" => at(head, 0, b".ra\xfd"),
        "xm" => at(head, 0, b"Extended Module: "),
        "s3m" => at(head, 44, b"SCRM"),
        _ => return None,
    })
}

/// The type a download is served with, decided by the server from the extension (never the
/// uploader's claim).
pub fn content_type(extension: &str) -> &'static str {
    match extension {
        "mp3" | "mpga" | "mp2" | "mp2a" | "m2a" | "m3a" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "oga" | "spx" => "audio/ogg",
        "opus" => "audio/opus",
        "flac" => "audio/flac",
        "m4a" | "mp4a" => "audio/mp4",
        "aif" | "aiff" | "aifc" => "audio/aiff",
        "amr" => "audio/amr",
        "mid" | "midi" | "kar" | "rmi" => "audio/midi",
        "wma" => "audio/x-ms-wma",
        "wax" => "audio/x-ms-wax",
        "au" | "snd" => "audio/basic",
        "aac" | "adp" => "audio/aac",
        "caf" => "audio/x-caf",
        "mka" => "audio/x-matroska",
        "weba" => "audio/webm",
        "m3u" => "audio/x-mpegurl",
        "xm" => "audio/xm",
        "s3m" => "audio/s3m",
        "ra" | "ram" => "audio/x-pn-realaudio",
        _ => "application/octet-stream",
    }
}

/// A file name safe to store and show: the last path segment, without control or bidi
/// characters or characters file systems reserve, without leading dots, at most
/// `FILE_NAME_MAX` characters (the extension kept). Never used as a storage key.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
        .map(|c| match c {
            '"' | '<' | '>' | ':' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim();
    let name = if trimmed.is_empty() {
        "attachment".to_owned()
    } else {
        trimmed.to_owned()
    };
    if name.chars().count() <= FILE_NAME_MAX {
        return name;
    }
    let extension = extension_of(&name)
        .filter(|e| e.len() <= 16)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let stem: String = name
        .chars()
        .take(FILE_NAME_MAX - extension.chars().count())
        .collect();
    format!("{}{extension}", stem.trim_end())
}

/// The lower-case extension of a (sanitized) name, without the dot.
pub fn extension_of(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then(|| extension.to_ascii_lowercase())
}

/// An extension as a company may list it: `.MP3` → `mp3`; letters and digits only.
pub fn normalize_extension(raw: &str) -> Option<String> {
    let extension = raw.trim().trim_start_matches('.').to_ascii_lowercase();
    (!extension.is_empty()
        && extension.len() <= 16
        && extension.bytes().all(|b| b.is_ascii_alphanumeric()))
    .then_some(extension)
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the exact name as
/// RFC 5987 `filename*`.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(byte) {
            encoded.push(*byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_length() {
        let table = [
            ("../../etc/passwd.mp3", "passwd.mp3"),
            ("..\\..\\boot.ini.wav", "boot.ini.wav"),
            ("a\u{0}b\r\nc\u{7f}.mp3", "abc.mp3"),
            ("evil\u{202E}3pm.exe.mp3", "evil3pm.exe.mp3"),
            ("...hidden.mp3", "hidden.mp3"),
            ("", "attachment"),
            ("..", "attachment"),
            ("a\"b<c>.mp3", "a_b_c_.mp3"),
            ("Café Überblick.mp3", "Café Überblick.mp3"),
        ];
        for (raw, expected) in table {
            assert_eq!(sanitize_file_name(raw), expected, "{raw:?}");
        }
        let long = format!("{}.mp3", "x".repeat(500));
        let cut = sanitize_file_name(&long);
        assert_eq!(cut.chars().count(), FILE_NAME_MAX);
        assert!(cut.ends_with(".mp3"));
    }

    #[test]
    fn signatures_match_their_formats() {
        let mut s3m = vec![0u8; 48];
        s3m[44..48].copy_from_slice(b"SCRM");
        let table: [(&str, Vec<u8>, bool); 16] = [
            ("mp3", b"ID3\x04\x00rest".to_vec(), true),
            ("mp3", vec![0xFF, 0xFB, 0x90, 0x00], true),
            ("mp3", b"MZ\x90\x00 not audio".to_vec(), false),
            ("wav", b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec(), true),
            ("wav", b"RIFF\x24\x00\x00\x00AVI LIST".to_vec(), false),
            ("ogg", b"OggS\x00\x02".to_vec(), true),
            ("flac", b"fLaC\x00".to_vec(), true),
            ("m4a", b"\x00\x00\x00\x20ftypM4A ".to_vec(), true),
            ("aiff", b"FORM\x00\x00\x00\x00AIFF".to_vec(), true),
            ("amr", b"#!AMR\n".to_vec(), true),
            ("mid", b"MThd\x00\x00\x00\x06".to_vec(), true),
            ("wma", ASF_GUID.to_vec(), true),
            ("wma", b"<html>".to_vec(), false),
            ("s3m", s3m, true),
            ("opus", b"%PDF-1.7".to_vec(), false),
            ("m4a", b"ftyp".to_vec(), false),
        ];
        for (extension, head, expected) in table {
            assert_eq!(
                signature_matches(extension, &head),
                Some(expected),
                "{extension}"
            );
        }
        assert_eq!(signature_matches("aac", b"anything"), None);
    }

    #[test]
    fn disposition_is_quoted_and_encoded() {
        assert_eq!(
            content_disposition("Café \"x\".mp3"),
            "attachment; filename=\"Caf_ _x_.mp3\"; filename*=UTF-8''Caf%C3%A9%20%22x%22.mp3"
        );
    }

    #[test]
    fn extensions_normalize() {
        assert_eq!(normalize_extension(".MP3").as_deref(), Some("mp3"));
        assert_eq!(normalize_extension("m p3"), None);
        assert_eq!(normalize_extension(""), None);
        assert_eq!(extension_of("song.Mp3").as_deref(), Some("mp3"));
        assert_eq!(extension_of("mp3"), None);
    }
}
