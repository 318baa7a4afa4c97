//! Time for the ledger: RFC 3339 timestamps in UTC, seconds precision
//! (`2026-11-22T10:04:05Z`), written and read back by hand; "3 days ago";
//! and, through jiff, what needs the calendar and the local time zone:
//! git's approxidate forms for `--since`/`--until`, local dates and times.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn now_rfc3339() -> String {
    format_rfc3339(now_unix())
}

pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][.frac](Z|±HH:MM)` (also with a
/// space for `T`) into unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let mo: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let day_secs = days_from_civil(y, mo, d) * 86_400;
    if b.len() == 10 {
        return Some(day_secs);
    }
    if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
        return None;
    }
    let rest = &s[11..];
    let h: i64 = rest.get(0..2)?.parse().ok()?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mi: i64 = rest.get(3..5)?.parse().ok()?;
    let mut tail = &rest[5..];
    let mut sec = 0i64;
    if let Some(t) = tail.strip_prefix(':') {
        sec = t.get(0..2)?.parse().ok()?;
        tail = &t[2..];
    }
    if let Some(t) = tail.strip_prefix('.') {
        tail = t.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match tail {
        "" | "Z" | "z" => 0,
        t if t.len() == 6 && (t.starts_with('+') || t.starts_with('-')) => {
            let oh: i64 = t.get(1..3)?.parse().ok()?;
            let om: i64 = t.get(4..6)?.parse().ok()?;
            let o = oh * 3600 + om * 60;
            if t.starts_with('-') { -o } else { o }
        }
        _ => return None,
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(day_secs + h * 3600 + mi * 60 + sec - offset)
}

/// Parses what `--since`/`--until` accept, in git's approxidate forms:
/// an RFC 3339 timestamp; a date (`2026-01-25`: local midnight);
/// `now`, `today`, `yesterday` (local midnight); `N <unit>s ago`, also
/// as `N.units.ago`, `a week ago`, `an hour ago`; `last week|month|…`.
/// Units: seconds, minutes, hours, days, weeks, months, years; months and
/// years count calendar months in the local time zone. None: not a date.
pub fn parse_when(s: &str, now: i64) -> Option<i64> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    if s.len() > 10
        && let Some(t) = parse_rfc3339(s)
    {
        return Some(t);
    }
    let tz = jiff::tz::TimeZone::system();
    let now_local = jiff::Timestamp::from_second(now)
        .ok()?
        .to_zoned_datetime(tz.clone());
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        return Some(date.to_zoned_datetime(tz).ok()?.timestamp().as_second());
    }
    let lower = s.to_lowercase().replace('.', " ");
    let words: Vec<&str> = lower.split_whitespace().collect();
    let midnight = |days_back: i64| -> Option<i64> {
        let day = now_local
            .start_of_day()
            .ok()?
            .checked_sub(jiff::Span::new().try_days(days_back).ok()?)
            .ok()?;
        Some(day.start_of_day().ok()?.timestamp().as_second())
    };
    let (n, unit) = match words.as_slice() {
        ["now"] => return Some(now),
        ["today"] => return midnight(0),
        ["yesterday"] => return midnight(1),
        ["last", unit] => (1, *unit),
        ["a" | "an" | "one", unit, "ago"] => (1, *unit),
        [n, unit, "ago"] | [n, unit] => (n.parse::<i64>().ok()?, *unit),
        _ => return None,
    };
    if !(0..=MAX_COUNT).contains(&n) {
        return None;
    }
    let span = jiff::Span::new();
    let span = match unit.strip_suffix('s').unwrap_or(unit) {
        "second" | "sec" => span.try_seconds(n),
        "minute" | "min" => span.try_minutes(n),
        "hour" => span.try_hours(n),
        "day" => span.try_days(n),
        "week" => span.try_weeks(n),
        "month" => span.try_months(n),
        "year" => span.try_years(n),
        _ => return None,
    }
    .ok()?;
    Some(now_local.checked_sub(span).ok()?.timestamp().as_second())
}

/// An RFC 3339 `at` in the local time zone: (`2026-01-25`, `10:04`).
pub fn local_date_time(at: &str) -> (String, String) {
    let local = parse_rfc3339(at).and_then(|t| jiff::Timestamp::from_second(t).ok());
    match local {
        Some(ts) => {
            let z = ts.to_zoned_datetime(jiff::tz::TimeZone::system());
            (
                z.strftime("%Y-%m-%d").to_string(),
                z.strftime("%H:%M").to_string(),
            )
        }
        None => (date_part(at).to_string(), String::new()),
    }
}

/// The largest count `N units ago` takes: more is no date a calendar holds
/// (and no arithmetic on it may overflow).
const MAX_COUNT: i64 = 100_000;

/// Whether `s` has the form `N units [ago]` with a count too large to be a
/// date: `parse_when` refuses it for its size, not its form.
pub fn count_out_of_range(s: &str) -> bool {
    let lower = s.trim().to_lowercase().replace('.', " ");
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        [n, _, "ago"] | [n, _] => {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && n.parse::<i64>().map_or(true, |n| n > MAX_COUNT)
        }
        _ => false,
    }
}

/// "just now", "5 minutes ago", "3 days ago", "in the future".
pub fn relative(then: i64, now: i64) -> String {
    let d = now - then;
    if d < -60 {
        return "in the future".into();
    }
    let (n, unit) = match d {
        ..=59 => return "just now".into(),
        60..=3599 => (d / 60, "minute"),
        3600..=86_399 => (d / 3600, "hour"),
        86_400..=1_209_599 => (d / 86_400, "day"),
        1_209_600..=5_183_999 => (d / 604_800, "week"),
        5_184_000..=31_535_999 => (d / 2_592_000, "month"),
        _ => (d / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// "3 days ago" for a stored `at`; the text itself when it is not a timestamp.
pub fn relative_at(at: &str, now: i64) -> String {
    parse_rfc3339(at)
        .map(|t| relative(t, now))
        .unwrap_or_else(|| at.to_string())
}

/// The `YYYY-MM-DD` part of an RFC 3339 timestamp.
pub fn date_part(at: &str) -> &str {
    at.get(0..10).unwrap_or(at)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_parses_offsets() {
        let t = 1_795_000_000;
        assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2026-01-25T10:00:00+02:00"),
            parse_rfc3339("2026-01-25T08:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("2026-01-25"),
            parse_rfc3339("2026-01-25T00:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.123Z"),
            Some(1_709_208_000)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2026-13-01"), None);
    }

    #[test]
    fn relative_and_when() {
        assert_eq!(relative(100, 100), "just now");
        assert_eq!(relative(0, 3 * 86_400), "3 days ago");
        assert_eq!(relative(0, 3600), "1 hour ago");
        assert_eq!(parse_when("soon", 0), None);
        assert_eq!(parse_when("-2 days ago", 0), None);
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(3000))]

        #[test]
        fn any_date_text_parses_or_is_refused(s in "([0-9]{0,20}|[-+:TZ .a-z]|weeks?|days?|ago){0,8}", now in proptest::prelude::any::<i64>()) {
            let _ = parse_rfc3339(&s);
            let _ = parse_when(&s, now);
            let _ = relative_at(&s, now);
        }
    }

    #[test]
    fn a_huge_count_is_out_of_range_not_an_overflow() {
        let now = 1_800_000_000;
        for s in [
            "30000000000000000 weeks ago",
            "9223372036854775807 minutes ago",
            "99999999999999999999999 days",
        ] {
            assert_eq!(parse_when(s, now), None, "{s}");
            assert!(count_out_of_range(s), "{s}");
        }
    }

    /// Runs `f` with the clock read in UTC, whatever the machine's zone.
    fn in_utc(f: impl FnOnce()) {
        // SAFETY: unit tests of this module are the only readers of TZ here.
        unsafe { std::env::set_var("TZ", "UTC") };
        f();
    }

    #[test]
    fn approxidate_forms() {
        in_utc(|| {
            let now = parse_rfc3339("2026-03-15T10:30:00Z").unwrap();
            let at = |s: &str| parse_rfc3339(s).unwrap();
            assert_eq!(
                parse_when("last week", now),
                Some(at("2026-03-08T10:30:00Z"))
            );
            assert_eq!(
                parse_when("2 weeks ago", now),
                Some(at("2026-03-01T10:30:00Z"))
            );
            assert_eq!(
                parse_when("2.weeks.ago", now),
                Some(at("2026-03-01T10:30:00Z"))
            );
            assert_eq!(
                parse_when("a month ago", now),
                Some(at("2026-02-15T10:30:00Z"))
            );
            assert_eq!(
                parse_when("last year", now),
                Some(at("2025-03-15T10:30:00Z"))
            );
            assert_eq!(
                parse_when("an hour ago", now),
                Some(at("2026-03-15T09:30:00Z"))
            );
            assert_eq!(
                parse_when("yesterday", now),
                Some(at("2026-03-14T00:00:00Z"))
            );
            assert_eq!(parse_when("today", now), Some(at("2026-03-15T00:00:00Z")));
            assert_eq!(
                parse_when("2026-01-25", now),
                Some(at("2026-01-25T00:00:00Z"))
            );
            assert_eq!(parse_when("last fortnight", now), None);
            assert_eq!(parse_when("99999999999 years ago", now), None);
            assert_eq!(
                local_date_time("2026-03-15T10:30:59Z"),
                ("2026-03-15".into(), "10:30".into())
            );
        });
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config::seeded(2000))]
        /// What users type after --since never panics, whatever it is.
        #[test]
        fn parse_when_never_panics(s in "\\PC{0,40}", n in -100_000i64..100_000, now in 0i64..4_102_444_800) {
            let _ = parse_when(&s, now);
            let _ = parse_when(&format!("{n} days ago"), now);
            let _ = parse_when(&format!("{n}.months.ago"), now);
            let _ = local_date_time(&s);
        }
    }
}
