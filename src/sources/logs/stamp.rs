//! The timestamp Docker and the kubelet put before each line when asked.

use std::time::SystemTime;

use chrono::DateTime;

/// Splits `2024-05-01T10:00:00.123456789Z text` into its time and text.
pub fn split_timestamp(raw: &str) -> (Option<SystemTime>, &str) {
    if let Some((ts, rest)) = raw.split_once(' ')
        && let Ok(t) = DateTime::parse_from_rfc3339(ts)
    {
        return (Some(t.into()), rest);
    }
    match DateTime::parse_from_rfc3339(raw.trim_end()) {
        Ok(t) => (Some(t.into()), ""),
        Err(_) => (None, raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off() {
        let (at, text) = split_timestamp("2024-05-01T10:00:00.123456789Z hello world");
        assert_eq!(text, "hello world");
        let secs = at.unwrap().duration_since(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(secs.as_secs(), 1_714_557_600);
        assert_eq!(secs.subsec_nanos(), 123_456_789);
        let (at, text) = split_timestamp("no timestamp here");
        assert_eq!((at, text), (None, "no timestamp here"));
    }
}
