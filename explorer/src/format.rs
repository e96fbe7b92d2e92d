//! How chain values are shown: hex, amounts with decimals, ages.

use alloy_primitives::U256;

/// `0x`-prefixed lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

/// An address with its EIP-55 checksum, as wallets show it.
pub fn address(bytes: &[u8]) -> String {
    if bytes.len() == 20 {
        alloy_primitives::Address::from_slice(bytes).to_checksum(None)
    } else {
        hex(bytes)
    }
}

/// A 32-byte big-endian amount.
pub fn amount(bytes: &[u8]) -> U256 {
    U256::try_from_be_slice(bytes).unwrap_or_default()
}

/// `value` with `decimals` decimals, trailing zeros trimmed, thousands grouped.
pub fn units(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let d = decimals as usize;
    let (int, frac) = if digits.len() > d {
        (digits[..digits.len() - d].to_string(), digits[digits.len() - d..].to_string())
    } else {
        ("0".to_string(), format!("{digits:0>d$}"))
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { grouped } else { format!("{grouped}.{frac}") }
}

/// Native coin amount (18 decimals) with its symbol.
pub fn sec(value: U256) -> String {
    format!("{} SEC", units(value, 18))
}

/// "12 s ago", "3 min ago", ... relative to `now`.
pub fn age(timestamp: u64, now: u64) -> String {
    let s = now.saturating_sub(timestamp);
    match s {
        0..60 => format!("{s} s ago"),
        60..3600 => format!("{} min ago", s / 60),
        3600..86400 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86400),
    }
}

/// A period as it is said: "30 s", "2 min", "1 h", "7 days"; exact, so a period that is not a
/// whole unit names each unit it holds, largest first ("1 h 30 min", "1 day 12 h").
pub fn duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0 s".into();
    }
    let mut rest = seconds;
    let mut parts = Vec::new();
    for (unit, one, many) in
        [(86_400, "day", "days"), (3_600, "h", "h"), (60, "min", "min"), (1, "s", "s")]
    {
        let n = rest / unit;
        rest %= unit;
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    parts.join(" ")
}

/// A unix time as (year, month, day, hour, minute, second) in UTC (proleptic Gregorian,
/// days-from-civil inverted).
fn civil(timestamp: u64) -> (i64, i64, i64, u64, u64, u64) {
    let days = (timestamp / 86_400) as i64;
    let secs = timestamp % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// A unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(timestamp: u64) -> String {
    let (year, month, day, h, m, s) = civil(timestamp);
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02} UTC")
}

/// A unix time in ISO 8601, UTC: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(timestamp: u64) -> String {
    let (year, month, day, h, m, s) = civil(timestamp);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(951_868_799), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn durations_in_their_units() {
        assert_eq!(duration(30), "30 s");
        assert_eq!(duration(120), "2 min");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(7 * 86_400), "7 days");
        assert_eq!(duration(5_400), "1 h 30 min");
        assert_eq!(duration(129_600), "1 day 12 h");
        assert_eq!(duration(86_401), "1 day 1 s");
        assert_eq!(duration(0), "0 s");
    }

    #[test]
    fn units_group_and_trim() {
        assert_eq!(units(U256::from(1_234_567_000_000_000_000_000u128), 18), "1,234.567");
        assert_eq!(units(U256::from(5u64), 18), "0.000000000000000005");
        assert_eq!(units(U256::ZERO, 6), "0");
        assert_eq!(units(U256::from(1_000_000u64), 0), "1,000,000");
    }
}
