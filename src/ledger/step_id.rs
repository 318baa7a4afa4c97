//! Step ids (SPEC 2.1) and "did you mean" suggestions.

/// Checks `[A-Za-z0-9][A-Za-z0-9._#-]*`, at most 64 characters.
pub fn validate(id: &str) -> Result<(), String> {
    let mut chars = id.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '#' | '-'));
    if id.is_empty() || !ok_first || !ok_rest {
        return Err(format!(
            "invalid step id '{id}': use a letter or digit, then letters, digits, '.', '_', '#' or '-' (e.g. S04, T002a, M2.1, LSP-001)"
        ));
    }
    if id.len() > 64 {
        return Err(format!("invalid step id '{id}': at most 64 characters"));
    }
    Ok(())
}

/// Known ids closest to `wanted`, best first (at most three).
pub fn closest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let w = wanted.to_lowercase();
    let mut scored: Vec<(usize, String)> = known
        .into_iter()
        .filter_map(|k| {
            let kl = k.to_lowercase();
            let mut d = edit_distance(&w, &kl);
            // `S4` for `S04`: same letters once leading zeros of numbers are dropped.
            if strip_zeros(&w) == strip_zeros(&kl) {
                d = 0;
            }
            let limit = (w.chars().count().max(kl.chars().count()) / 2).max(2);
            (d <= limit).then(|| (d, k.to_string()))
        })
        .collect();
    scored.sort();
    // A case or zero-padding match is the answer; no need for runners-up.
    if scored.first().is_some_and(|(d, _)| *d == 0) {
        scored.retain(|(d, _)| *d == 0);
    }
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// "did you mean S04?" or an empty string.
pub fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(" — did you mean {one}?"),
        many => format!(" — did you mean one of {}?", many.join(", ")),
    }
}

fn strip_zeros(s: &str) -> String {
    let mut out = String::new();
    let mut prev_digit = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c == '0' && !prev_digit && next_digit {
            continue;
        }
        prev_digit = c.is_ascii_digit();
        out.push(c);
    }
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_spec_examples_and_rejects_the_rest() {
        for ok in ["S04", "T002a", "M2.1", "LSP-001", "a#1", "9"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-S1", ".x", "S 4", "S/4", "é1", &"x".repeat(65)] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn suggests_zero_padded_and_near_ids() {
        let known = ["S04", "S05", "T001", "LSP-001"];
        assert_eq!(closest("S4", known), ["S04"]);
        assert_eq!(closest("s05", known)[0], "S05");
        assert_eq!(closest("LSP-01", known)[0], "LSP-001");
        assert!(closest("completely-else", known).is_empty());
    }
}
