//! Fuzzes the `/metrics` exposition parser: any bytes, read as lossy UTF-8,
//! under both formats. It must never panic, and what it reports must be
//! consistent with the input.
//!
//! Needs cargo-fuzz and a nightly toolchain:
//!
//! ```sh
//! cargo install cargo-fuzz
//! cd fuzz
//! cargo +nightly fuzz run exposition -- -max_total_time=60
//! # seed the corpus with the test fixtures for deeper coverage:
//! mkdir -p corpus/exposition && cp ../tests/fixtures/metrics/* corpus/exposition/
//! ```

#![no_main]

use libfuzzer_sys::fuzz_target;
use opsboard::sources::metrics::parse::{Format, parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.strip_suffix('\n').unwrap_or(&text).split('\n').count();
    for format in [Format::Text, Format::OpenMetrics] {
        let exposition = parse(&text, format);
        // One sample or one error per line at most, errors in line order.
        assert!(exposition.sample_count() + exposition.errors.len() <= lines);
        assert!(exposition.errors.windows(2).all(|w| w[0].line < w[1].line));
        assert!(
            exposition
                .errors
                .iter()
                .all(|e| e.line >= 1 && e.line <= lines)
        );
    }
});
