//! Argument checks done before any request is sent. Each failure is an `invalid-argument`
//! error whose message names the parameter (as the MCP tools spell it) and what is accepted.

use crate::error::ApiError;
use serde_json::Value;

/// Longest operation id accepted, in characters.
const MAX_ID_CHARS: usize = 200;
/// Longest symbol accepted, in characters.
const MAX_SYMBOL_CHARS: usize = 32;
/// Most symbols one training accepts.
const MAX_SYMBOLS: usize = 100;
/// Longest strategy name accepted, in characters.
const MAX_STRATEGY_CHARS: usize = 100;
/// Longest cancellation reason accepted, in characters.
const MAX_REASON_CHARS: usize = 1000;
/// The accepted `limit` of `list_operations` and `get_market_data`.
pub const LIMIT_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;
/// The `limit` of `list_operations` when none is given.
pub const DEFAULT_LIST_LIMIT: u32 = 10;
/// The `limit` of `get_market_data` when none is given: the plan's 50 bars.
pub const DEFAULT_BARS_LIMIT: u32 = 50;
/// The only `training_config` key the backend honours.
pub const DETAILED_ANALYTICS: &str = "detailed_analytics";

/// A quoted, bounded rendering of a user value for messages.
fn quoted(value: &str) -> String {
    let short: String = value.chars().take(60).collect();
    let more = if value.chars().count() > 60 {
        "…"
    } else {
        ""
    };
    format!("{short:?}{more}")
}

/// An operation (or training task) id: trimmed, non-empty, no control characters.
pub fn operation_id(parameter: &'static str, value: &str) -> Result<String, ApiError> {
    let id = value.trim();
    if id.is_empty() {
        return Err(ApiError::invalid(
            parameter,
            "must not be empty; give an id returned by list_operations or a start tool, e.g. \
             op_training_20251004_143530_b5c6d7e8",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            parameter,
            format!("must not contain control characters; got {}", quoted(id)),
        ));
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(ApiError::invalid(
            parameter,
            format!(
                "must be at most {MAX_ID_CHARS} characters; got {}",
                quoted(id)
            ),
        ));
    }
    Ok(id.to_owned())
}

/// A trading symbol: trimmed and upper-cased, non-blank, printable ASCII without spaces.
pub fn symbol(parameter: &'static str, value: &str) -> Result<String, ApiError> {
    let symbol = value.trim().to_ascii_uppercase();
    if symbol.is_empty() {
        return Err(ApiError::invalid(
            parameter,
            "must not be blank; give a ticker such as AAPL or EURUSD",
        ));
    }
    if !symbol.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            parameter,
            format!(
                "must be one ticker of ASCII letters, digits or punctuation without spaces, \
                 such as AAPL or BRK.B; got {}",
                quoted(value)
            ),
        ));
    }
    if symbol.chars().count() > MAX_SYMBOL_CHARS {
        return Err(ApiError::invalid(
            parameter,
            format!(
                "must be at most {MAX_SYMBOL_CHARS} characters; got {}",
                quoted(value)
            ),
        ));
    }
    Ok(symbol)
}

/// A non-empty list of symbols, each checked by [`symbol`].
pub fn symbols(parameter: &'static str, values: &[String]) -> Result<Vec<String>, ApiError> {
    if values.is_empty() {
        return Err(ApiError::invalid(
            parameter,
            "must list at least one symbol, e.g. [\"AAPL\"]",
        ));
    }
    if values.len() > MAX_SYMBOLS {
        return Err(ApiError::invalid(
            parameter,
            format!(
                "must list at most {MAX_SYMBOLS} symbols; got {}",
                values.len()
            ),
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            symbol(parameter, value).map_err(|error| match error {
                ApiError::InvalidArgument { problem, .. } => {
                    ApiError::invalid(parameter, format!("item {index}: {problem}"))
                }
                other => other,
            })
        })
        .collect()
}

/// A `limit` argument (of `list_operations` or `get_market_data`): `default` when omitted,
/// else 1 to 1000.
pub fn limit(value: Option<u32>, default: u32) -> Result<u32, ApiError> {
    let limit = value.unwrap_or(default);
    if LIMIT_RANGE.contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid(
            "limit",
            format!(
                "must be from {} to {}; got {limit}",
                LIMIT_RANGE.start(),
                LIMIT_RANGE.end()
            ),
        ))
    }
}

/// A cancellation reason: trimmed; blank counts as none; at most 1000 characters.
pub fn reason(value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(reason) = value.map(str::trim).filter(|reason| !reason.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::invalid(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(Some(reason.to_owned()))
}

/// Optional start and end dates: each `YYYY-MM-DD` or an ISO 8601 date-time, start before end.
/// Returns the trimmed texts as given (the backend parses them itself).
pub fn date_range(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let start = start
        .map(|text| instant("start_date", text).map(|at| (text.trim().to_owned(), at)))
        .transpose()?;
    let end = end
        .map(|text| instant("end_date", text).map(|at| (text.trim().to_owned(), at)))
        .transpose()?;
    if let (Some((start_text, start_at)), Some((end_text, end_at))) = (&start, &end) {
        if start_at >= end_at {
            return Err(ApiError::invalid(
                "end_date",
                format!("must be after start_date ({start_text}); got {end_text}"),
            ));
        }
    }
    Ok((start.map(|(text, _)| text), end.map(|(text, _)| text)))
}

/// A point in time comparable across formats: seconds since 0001-01-01 (UTC; a date-time
/// without offset counts as UTC) and microseconds.
type Instant = (i64, u32);

/// Parses `YYYY-MM-DD`, or `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM]`.
fn instant(parameter: &'static str, text: &str) -> Result<Instant, ApiError> {
    parse_instant(text.trim()).ok_or_else(|| {
        ApiError::invalid(
            parameter,
            format!(
                "must be a date YYYY-MM-DD or an ISO 8601 date-time such as \
                 2024-01-31T14:30:00Z; got {}",
                quoted(text)
            ),
        )
    })
}

/// Reads exactly `width` ASCII digits at the start of `text`.
fn digits(text: &str, width: usize) -> Option<(u32, &str)> {
    let head = text.get(..width)?;
    if !head.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, text.get(width..)?))
}

/// `text` without its leading `prefix` character.
fn expect(text: &str, prefix: char) -> Option<&str> {
    text.strip_prefix(prefix)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 0001-01-01 to the given valid date.
fn days_since_epoch(year: u32, month: u32, day: u32) -> i64 {
    let years = i64::from(year) - 1;
    let mut days = years * 365 + years / 4 - years / 100 + years / 400;
    for earlier in 1..month {
        days += i64::from(days_in_month(year, earlier));
    }
    days + i64::from(day) - 1
}

fn parse_instant(text: &str) -> Option<Instant> {
    let (year, rest) = digits(text, 4)?;
    let (month, rest) = digits(expect(rest, '-')?, 2)?;
    let (day, rest) = digits(expect(rest, '-')?, 2)?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date_seconds = days_since_epoch(year, month, day) * 86_400;
    if rest.is_empty() {
        return Some((date_seconds, 0));
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let (hour, rest) = digits(rest, 2)?;
    let (minute, mut rest) = digits(expect(rest, ':')?, 2)?;
    let mut second = 0;
    let mut micros = 0;
    if let Some(after) = rest.strip_prefix(':') {
        let (whole, after) = digits(after, 2)?;
        second = whole;
        rest = after;
        if let Some(after) = rest.strip_prefix('.') {
            let width = after.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=6).contains(&width) {
                return None;
            }
            let (fraction, after) = digits(after, width)?;
            micros = fraction * 10u32.pow(6 - u32::try_from(width).ok()?);
            rest = after;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_seconds = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let (sign, offset) = match rest.split_at_checked(1)? {
                ("+", offset) => (1, offset),
                ("-", offset) => (-1, offset),
                _ => return None,
            };
            let (offset_hours, offset) = digits(offset, 2)?;
            let (offset_minutes, offset) = digits(expect(offset, ':')?, 2)?;
            if !offset.is_empty() || offset_hours > 23 || offset_minutes > 59 {
                return None;
            }
            sign * i64::from(offset_hours * 3600 + offset_minutes * 60)
        }
    };
    let seconds = date_seconds + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some((seconds, micros))
}

/// The strategy name of `strategy_config_path`: its file name without `.yaml`/`.yml`, e.g.
/// `mlp_basic` from `mlp_basic`, `mlp_basic.yaml` or `strategies/mlp_basic.yaml`. The name
/// must match `^[A-Za-z0-9][A-Za-z0-9_-]*$`, as the backend requires.
pub fn strategy_name(value: &str) -> Result<String, ApiError> {
    const PARAMETER: &str = "strategy_config_path";
    let path = value.trim();
    if path.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(ApiError::invalid(
            PARAMETER,
            format!(
                "must not contain `..`: the backend loads a strategy by name from its own \
                 strategies directory, e.g. mlp_basic or strategies/mlp_basic.yaml; got {}",
                quoted(value)
            ),
        ));
    }
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = file.to_ascii_lowercase();
    let stem = [".yaml", ".yml"]
        .iter()
        .find(|extension| lower.ends_with(*extension))
        .and_then(|extension| file.get(..file.len() - extension.len()))
        .unwrap_or(file);
    let valid = stem
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && stem.chars().count() <= MAX_STRATEGY_CHARS;
    if valid {
        Ok(stem.to_owned())
    } else {
        Err(ApiError::invalid(
            PARAMETER,
            format!(
                "must name a strategy file: a name of letters, digits, `_` and `-` starting \
                 with a letter or digit (at most {MAX_STRATEGY_CHARS}), optionally with a \
                 directory and `.yaml`, e.g. mlp_basic or strategies/mlp_basic.yaml; got {}",
                quoted(value)
            ),
        ))
    }
}

/// The `detailed_analytics` flag from `training_config` (JSON object text). Any other key is
/// refused, since the backend cannot honour it: training options live in the strategy YAML.
pub fn training_config(value: Option<&str>) -> Result<Option<bool>, ApiError> {
    const PARAMETER: &str = "training_config";
    let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    // `from_slice`, not `from_str`: the component then carries one JSON parser, not two.
    let object = match serde_json::from_slice::<Value>(text.as_bytes()) {
        Ok(Value::Null) => return Ok(None),
        Ok(Value::Object(object)) => object,
        _ => {
            return Err(ApiError::invalid(
                PARAMETER,
                format!(
                    "must be a JSON object such as {{\"{DETAILED_ANALYTICS}\": true}}; got {}",
                    quoted(text)
                ),
            ))
        }
    };
    let unknown: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|key| *key != DETAILED_ANALYTICS)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(
            PARAMETER,
            format!(
                "the backend cannot honour {}: it accepts only `{DETAILED_ANALYTICS}` \
                 (true/false). Epochs, learning rate, batch size and other training options \
                 are set in the strategy YAML named by strategy_config_path",
                unknown
                    .iter()
                    .map(|key| format!("`{}`", key.chars().take(60).collect::<String>()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    match object.get(DETAILED_ANALYTICS) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(other) => Err(ApiError::invalid(
            PARAMETER,
            format!(
                "`{DETAILED_ANALYTICS}` must be true or false; got {}",
                crate::json::text(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode;

    fn problem(error: ApiError) -> (String, String) {
        assert_eq!(error.code(), ErrorCode::InvalidArgument);
        match error {
            ApiError::InvalidArgument { parameter, problem } => (parameter.to_owned(), problem),
            other => panic!("not an argument error: {other:?}"),
        }
    }

    #[test]
    fn ids_are_trimmed_and_checked() {
        assert_eq!(operation_id("operation_id", "  op_x ").unwrap(), "op_x");
        assert_eq!(
            operation_id("operation_id", "../health").unwrap(),
            "../health"
        );
        let (parameter, text) = problem(operation_id("operation_id", " \t ").unwrap_err());
        assert_eq!(parameter, "operation_id");
        assert!(text.contains("must not be empty"));
        let (_, text) = problem(operation_id("operation_id", "op\r\nHost: evil").unwrap_err());
        assert!(text.contains("control characters"));
        assert!(operation_id("operation_id", &"x".repeat(201)).is_err());
    }

    #[test]
    fn symbols_are_normalised_and_checked() {
        assert_eq!(symbol("symbol", " aapl ").unwrap(), "AAPL");
        assert_eq!(symbol("symbol", "brk.b").unwrap(), "BRK.B");
        assert!(problem(symbol("symbol", "   ").unwrap_err())
            .1
            .contains("must not be blank"));
        assert!(problem(symbol("symbol", "AA PL").unwrap_err())
            .1
            .contains("without spaces"));
        assert!(problem(symbol("symbol", "äpple").unwrap_err())
            .1
            .contains("ASCII"));
        assert!(symbol("symbol", &"A".repeat(33)).is_err());
        assert_eq!(
            symbols("symbols", &["aapl".into(), "MSFT".into()]).unwrap(),
            vec!["AAPL", "MSFT"]
        );
        assert!(problem(symbols("symbols", &[]).unwrap_err())
            .1
            .contains("at least one"));
        let (parameter, text) =
            problem(symbols("symbols", &["AAPL".into(), " ".into()]).unwrap_err());
        assert_eq!(parameter, "symbols");
        assert!(text.starts_with("item 1: must not be blank"), "{text}");
        assert!(symbols("symbols", &vec!["A".to_owned(); 101]).is_err());
    }

    #[test]
    fn limit_has_a_default_and_a_range() {
        assert_eq!(limit(None, DEFAULT_LIST_LIMIT).unwrap(), 10);
        assert_eq!(limit(Some(1), DEFAULT_LIST_LIMIT).unwrap(), 1);
        assert_eq!(limit(Some(1000), DEFAULT_LIST_LIMIT).unwrap(), 1000);
        assert_eq!(
            problem(limit(Some(0), DEFAULT_LIST_LIMIT).unwrap_err()).1,
            "must be from 1 to 1000; got 0"
        );
        assert!(limit(Some(1001), DEFAULT_LIST_LIMIT).is_err());
    }

    #[test]
    fn reasons_are_trimmed_and_blank_is_none() {
        assert_eq!(reason(None).unwrap(), None);
        assert_eq!(reason(Some("  ")).unwrap(), None);
        assert_eq!(reason(Some(" done ")).unwrap(), Some("done".to_owned()));
        assert!(reason(Some(&"x".repeat(1001))).is_err());
    }

    #[test]
    fn dates_accept_iso_forms() {
        for good in [
            "2024-01-01",
            "2024-02-29",
            "2024-01-01T10:00",
            "2024-01-01T10:00:00",
            "2024-01-01 10:00:00",
            "2024-01-01T10:00:00Z",
            "2024-01-01T10:00:00.123456+01:00",
            "2024-01-01T10:00:00-05:30",
        ] {
            assert!(parse_instant(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "2024",
            "2024-1-01",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "24-01-01",
            "2024/01/01",
            "2024-01-01T",
            "2024-01-01T25:00",
            "2024-01-01T10:60",
            "2024-01-01T10:00:60",
            "2024-01-01T10:00:00.",
            "2024-01-01T10:00:00.1234567",
            "2024-01-01T10:00:00+1",
            "2024-01-01T10:00:00+01:00x",
            "2024-01-01x",
            "notadate",
            "２０２４-01-01",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn date_ranges_must_run_forwards() {
        assert_eq!(date_range(None, None).unwrap(), (None, None));
        assert_eq!(
            date_range(Some(" 2024-01-01 "), Some("2024-02-01T00:00:00Z")).unwrap(),
            (
                Some("2024-01-01".to_owned()),
                Some("2024-02-01T00:00:00Z".to_owned())
            )
        );
        let (parameter, text) =
            problem(date_range(Some("2024-03-01"), Some("2024-02-01")).unwrap_err());
        assert_eq!(parameter, "end_date");
        assert!(text.contains("must be after start_date (2024-03-01)"));
        assert!(date_range(Some("2024-03-01"), Some("2024-03-01")).is_err());
        // 10:00+02:00 is 08:00Z, before 09:00Z.
        assert!(date_range(
            Some("2024-01-01T10:00:00+02:00"),
            Some("2024-01-01T09:00:00Z")
        )
        .is_ok());
        let (parameter, text) = problem(date_range(Some("2024-13-01"), None).unwrap_err());
        assert_eq!(parameter, "start_date");
        assert!(text.contains("YYYY-MM-DD"));
        assert_eq!(
            problem(date_range(None, Some("x")).unwrap_err()).0,
            "end_date"
        );
    }

    #[test]
    fn strategy_names_come_from_the_file_stem() {
        for (path, name) in [
            ("mlp_basic", "mlp_basic"),
            ("mlp_basic.yaml", "mlp_basic"),
            ("strategies/mlp_basic.yaml", "mlp_basic"),
            (
                "/abs/strategies/neuro-mean_reversion.YML",
                "neuro-mean_reversion",
            ),
            ("C:\\strategies\\trend.yaml", "trend"),
            (" rsi2 ", "rsi2"),
        ] {
            assert_eq!(strategy_name(path).unwrap(), name, "{path}");
        }
        let (_, text) = problem(strategy_name("../etc/passwd").unwrap_err());
        assert!(text.contains("must not contain `..`"), "{text}");
        for bad in [
            "",
            "strategies/",
            ".yaml",
            "_x",
            "-x",
            "mlp basic",
            "mlp.json",
            "a.b.yaml",
        ] {
            let (parameter, text) = problem(strategy_name(bad).unwrap_err());
            assert_eq!(parameter, "strategy_config_path");
            assert!(text.contains("letters, digits"), "{bad}: {text}");
        }
    }

    #[test]
    fn training_config_honours_only_detailed_analytics() {
        assert_eq!(training_config(None).unwrap(), None);
        assert_eq!(training_config(Some("{}")).unwrap(), None);
        assert_eq!(training_config(Some("null")).unwrap(), None);
        assert_eq!(
            training_config(Some(r#"{"detailed_analytics":true}"#)).unwrap(),
            Some(true)
        );
        let (parameter, text) =
            problem(training_config(Some(r#"{"epochs":100,"learning_rate":0.001}"#)).unwrap_err());
        assert_eq!(parameter, "training_config");
        assert!(text.contains("`epochs`, `learning_rate`"), "{text}");
        assert!(text.contains("strategy YAML"));
        assert!(training_config(Some(r#"{"detailed_analytics":"yes"}"#)).is_err());
        assert!(problem(training_config(Some("[1]")).unwrap_err())
            .1
            .contains("JSON object"));
        assert!(training_config(Some("{bad")).is_err());
    }
}
