//! The contract's datetime spellings, and a parser as lenient as Python's `fromisoformat`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

/// Naive ISO-8601 as Python's `isoformat()` writes it: `2024-01-02T14:00:00[.ffffff]`.
pub fn naive_iso(time: &NaiveDateTime) -> String {
    let base = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    match time.nanosecond() / 1000 {
        0 => base,
        micros => format!("{base}.{micros:06}"),
    }
}

/// A UTC time as pydantic v2 serializes it: `2026-11-24T13:15:34.908609Z`.
pub fn pydantic_utc(time: &DateTime<Utc>) -> String {
    format!("{}Z", naive_iso(&time.naive_utc()))
}

/// A UTC time as Python's `datetime.isoformat()` writes it: `2026-11-24T13:16:38.567481+00:00`.
pub fn python_utc(time: &DateTime<Utc>) -> String {
    format!("{}+00:00", naive_iso(&time.naive_utc()))
}

/// Serde adapter: an optional UTC time in pydantic's spelling (`null` when absent).
pub fn serialize_optional_pydantic<S: serde::Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_str(&pydantic_utc(time)),
        None => serializer.serialize_none(),
    }
}

/// Serde adapter: a UTC time in pydantic's spelling.
pub fn serialize_pydantic<S: serde::Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&pydantic_utc(time))
}

/// Parses what Python's `datetime.fromisoformat` (and pydantic's datetime) accept in practice:
/// `2024-01-02`, `2024-01-02T14:00`, `2024-01-02 14:00:00.5`, with an optional `Z` or `±HH[:MM]`.
/// Naive values are taken as UTC.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let (local, offset) = split_offset(text)?;
    let naive = parse_naive(local)?;
    Some(DateTime::from_naive_utc_and_offset(naive - offset, Utc))
}

fn split_offset(text: &str) -> Option<(&str, Duration)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, Duration::zero()));
    }
    // An offset sign can only appear after the date part (`YYYY-MM-DD` is 10 characters).
    let sign_at = text
        .char_indices()
        .skip(10)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map(|(index, _)| index);
    let Some(sign_at) = sign_at else {
        return Some((text, Duration::zero()));
    };
    let (local, offset) = text.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((local, Duration::minutes(sign * (hours * 60 + minutes))))
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ];
    if text.len() == 10 {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0);
    }
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn spells_times_like_python() {
        let time = Utc.with_ymd_and_hms(2026, 11, 24, 13, 15, 34).unwrap()
            + Duration::microseconds(908_609);
        assert_eq!(pydantic_utc(&time), "2026-11-24T13:15:34.908609Z");
        assert_eq!(python_utc(&time), "2026-11-24T13:15:34.908609+00:00");
        let whole = Utc.with_ymd_and_hms(2024, 1, 2, 14, 0, 0).unwrap();
        assert_eq!(naive_iso(&whole.naive_utc()), "2024-01-02T14:00:00");
    }

    #[test]
    fn parses_iso_variants() {
        let expected = Utc.with_ymd_and_hms(2024, 1, 2, 14, 0, 0).unwrap();
        for text in [
            "2024-01-02T14:00:00",
            "2024-01-02 14:00",
            "2024-01-02T14:00:00Z",
            "2024-01-02T16:00:00+02:00",
            "2024-01-02T09:00:00-0500",
        ] {
            assert_eq!(parse_datetime(text), Some(expected), "{text}");
        }
        assert_eq!(
            parse_datetime("2024-01-02"),
            Some(Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap())
        );
        for bad in [
            "notadate",
            "",
            "2024-13-01",
            "2024-01-02T25:00",
            "2024-01-02T10:00+9",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
