//! Repairs UTF-8 that was once read as Mac Roman or Windows-1252 and saved
//! again (`‚úÖ` or `âœ…` for `✅`, `Ã©` for `é`): a run of characters from
//! such a code page whose bytes form valid UTF-8 becomes what those bytes
//! say. A character that does not complete a UTF-8 sequence is left as it
//! is, so ordinary accented text is never touched.

use std::borrow::Cow;

/// Windows-1252, bytes 0x80–0x9F (the rest of the upper half is Latin-1).
const CP1252_80: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Mac Roman, bytes 0x80–0xFF.
const MAC_ROMAN_80: [char; 128] = [
    'Ä', 'Å', 'Ç', 'É', 'Ñ', 'Ö', 'Ü', 'á', 'à', 'â', 'ä', 'ã', 'å', 'ç', 'é', 'è', //
    'ê', 'ë', 'í', 'ì', 'î', 'ï', 'ñ', 'ó', 'ò', 'ô', 'ö', 'õ', 'ú', 'ù', 'û', 'ü', //
    '†', '°', '¢', '£', '§', '•', '¶', 'ß', '®', '©', '™', '´', '¨', '≠', 'Æ', 'Ø', //
    '∞', '±', '≤', '≥', '¥', 'µ', '∂', '∑', '∏', 'π', '∫', 'ª', 'º', 'Ω', 'æ', 'ø', //
    '¿', '¡', '¬', '√', 'ƒ', '≈', '∆', '«', '»', '…', '\u{a0}', 'À', 'Ã', 'Õ', 'Œ', 'œ', //
    '–', '—', '“', '”', '‘', '’', '÷', '◊', 'ÿ', 'Ÿ', '⁄', '€', '‹', '›', 'ﬁ', 'ﬂ', //
    '‡', '·', '‚', '„', '‰', 'Â', 'Ê', 'Á', 'Ë', 'È', 'Í', 'Î', 'Ï', 'Ì', 'Ó', 'Ô', //
    '\u{f8ff}', 'Ò', 'Ú', 'Û', 'Ù', 'ı', 'ˆ', '˜', '¯', '˘', '˙', '˚', '¸', '˝', '˛', 'ˇ',
];

fn cp1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    CP1252_80
        .iter()
        .position(|&x| x == c)
        .map(|i| 0x80 + i as u8)
}

fn mac_roman_byte(c: char) -> Option<u8> {
    MAC_ROMAN_80
        .iter()
        .position(|&x| x == c)
        .map(|i| 0x80 + i as u8)
}

/// The line with every repairable run repaired.
pub fn repair(line: &str) -> Cow<'_, str> {
    if line.is_ascii() {
        return Cow::Borrowed(line);
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Windows-1252 first: on a tie it is the likelier origin.
        let win = decode_run(&chars[i..], cp1252_byte);
        let mac = decode_run(&chars[i..], mac_roman_byte);
        let best = Some(if mac.1 > win.1 { mac } else { win });
        match best {
            Some((text, fixed)) if fixed > 0 => {
                out.push_str(&text);
                i += fixed;
                changed = true;
            }
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    }
}

/// Decodes the UTF-8 sequences at the start of `run` read through `page`:
/// (decoded text, characters of `run` consumed). Stops at the first
/// character that does not continue a valid sequence.
fn decode_run(run: &[char], page: fn(char) -> Option<u8>) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    loop {
        let lead = match run.get(used).and_then(|&c| page(c)) {
            Some(b) => b,
            None => return (out, used),
        };
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return (out, used),
        };
        let mut bytes = vec![lead];
        for k in 1..len {
            match run.get(used + k).and_then(|&c| page(c)) {
                Some(b) if (0x80..=0xBF).contains(&b) => bytes.push(b),
                _ => return (out, used),
            }
        }
        match std::str::from_utf8(&bytes) {
            Ok(s) if s.chars().all(likely) => {
                out.push_str(s);
                used += len;
            }
            _ => return (out, used),
        }
    }
}

/// What mojibake in a ledger turns out to be: accented Latin letters,
/// punctuation and symbols (dashes, quotes, arrows, ✅) and emoji. Code-page
/// characters that happen to spell Cyrillic, Greek or CJK (`–é` is `Ў`
/// through Mac Roman, `é––` is `閖` through Windows-1252) are more likely
/// real text, and are left alone.
fn likely(c: char) -> bool {
    matches!(c as u32, 0xA0..=0x17F | 0x2010..=0x205F | 0x2190..=0x2BFF | 0xFE0F | 0x1F000..=0x1FAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_mac_roman_and_windows_1252_mojibake() {
        assert_eq!(repair("‚úÖ Complete"), "✅ Complete");
        assert_eq!(repair("âœ… Complete"), "✅ Complete");
        assert_eq!(repair("caf\u{c3}\u{a9}"), "café");
        assert_eq!(repair("Step 1 ‚Äì Setup"), "Step 1 – Setup");
    }

    #[test]
    fn leaves_real_text_alone() {
        for s in [
            "café – déjà vu",
            "完成 ✅",
            "Größe",
            "naïve façade",
            "→ ok",
            "½ done",
        ] {
            assert_eq!(repair(s), s, "{s}");
        }
    }
}
