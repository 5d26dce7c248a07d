//! Splitting the file into numbered lines and telling torn lines (an
//! interrupted append) from garbage.

pub(super) struct RawLine<'a> {
    /// 1-based.
    pub number: u64,
    pub bytes: &'a [u8],
    /// False for a last line without a newline.
    pub terminated: bool,
}

pub(super) fn split_lines(data: &[u8]) -> Vec<RawLine<'_>> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                out.push(RawLine {
                    number,
                    bytes: &rest[..i],
                    terminated: true,
                });
                rest = &rest[i + 1..];
            }
            None => {
                out.push(RawLine {
                    number,
                    bytes: rest,
                    terminated: false,
                });
                rest = &[];
            }
        }
    }
    out
}

/// How many lines `data` holds (a last line without a newline counts).
pub(super) fn count_lines(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// A line cut short: the JSON ends before the object does. (An empty line
/// is not torn: append never leaves one.)
pub(super) fn is_torn(bytes: &[u8], e: &serde_json::Error) -> bool {
    e.is_eof() && !bytes.iter().all(u8::is_ascii_whitespace)
}

/// Why a line is not an entry, cleaned: serde's message may quote the line.
pub(super) fn parse_reason(bytes: &[u8], e: &serde_json::Error) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        "the line is empty".into()
    } else {
        crate::model::text::clean(&format!("not an audit entry ({e})")).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_and_the_last_may_be_unterminated() {
        let l = split_lines(b"a\n\nb");
        let got: Vec<(u64, &[u8], bool)> = l
            .iter()
            .map(|r| (r.number, r.bytes, r.terminated))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, &b"a"[..], true),
                (2, &b""[..], true),
                (3, &b"b"[..], false)
            ]
        );
        assert_eq!(count_lines(b"a\n\nb"), 3);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b""), 0);
    }
}
