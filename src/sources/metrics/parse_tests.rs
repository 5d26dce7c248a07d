//! Tricky cases of the exposition parser; the conformance fixtures live in
//! `tests/metrics_parse.rs`.

use std::borrow::Cow;

use super::exposition::{Format, MetricKind};
use super::parse::parse;

fn one_value(text: &str, format: Format) -> f64 {
    let e = parse(text, format);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(e.sample_count(), 1);
    e.families[0].samples[0].value
}

#[test]
fn label_values_borrow_unless_escaped() {
    let e = parse(
        "a{plain=\"x y\",esc=\"q\\\"\\\\\\n\",odd=\"\\d\"} 1\n",
        Format::Text,
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let labels = &e.families[0].samples[0].labels;
    assert!(matches!(labels[0].value, Cow::Borrowed("x y")));
    assert!(matches!(labels[1].value, Cow::Owned(_)));
    assert_eq!(labels[1].value, "q\"\\\n");
    // Unknown escapes are kept as written, like Prometheus' scraper does.
    assert_eq!(labels[2].value, "\\d");
}

#[test]
fn delimiters_inside_label_values_do_not_end_them() {
    let e = parse(
        r#"m{a="}",b=",",c="=",d="{",e=" # ",f="\"}"} 2"#,
        Format::Text,
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let s = &e.families[0].samples[0];
    let values: Vec<&str> = s.labels.iter().map(|l| l.value.as_ref()).collect();
    assert_eq!(values, ["}", ",", "=", "{", " # ", "\"}"]);
    assert_eq!(s.value, 2.0);
}

#[test]
fn whitespace_is_tolerated_around_every_token_in_text() {
    let e = parse(
        "  \t m \t{ a = \"1\" ,\tb=\"2\", }\t 3 \t 17  \n",
        Format::Text,
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let s = &e.families[0].samples[0];
    assert_eq!(s.name, "m");
    assert_eq!(s.label("a"), Some("1"));
    assert_eq!(s.label("b"), Some("2"));
    assert_eq!((s.value, s.timestamp_ms), (3.0, Some(17)));
}

#[test]
fn value_may_follow_the_label_set_without_a_space() {
    assert_eq!(one_value("m{a=\"1\"}4\n", Format::Text), 4.0);
}

#[test]
fn special_values_parse() {
    assert!(one_value("m NaN", Format::Text).is_nan());
    assert_eq!(one_value("m +Inf", Format::Text), f64::INFINITY);
    assert_eq!(one_value("m Inf", Format::Text), f64::INFINITY);
    assert_eq!(one_value("m -Inf", Format::OpenMetrics), f64::NEG_INFINITY);
    assert_eq!(one_value("m 1.458255915e9", Format::Text), 1.458255915e9);
    assert_eq!(one_value("m -2E-3", Format::Text), -0.002);
    assert_eq!(
        one_value("m 18446744073709551615", Format::Text),
        1.8446744073709552e19
    );
}

#[test]
fn timestamps_follow_the_format() {
    let text = parse("m 1 -3982045\n", Format::Text);
    assert_eq!(text.families[0].samples[0].timestamp_ms, Some(-3_982_045));
    let om = parse("m 1 1520879607.789\n# EOF\n", Format::OpenMetrics);
    assert_eq!(
        om.families[0].samples[0].timestamp_ms,
        Some(1_520_879_607_789)
    );
    // Float seconds are not a text-format timestamp.
    let bad = parse("m 1 1520879607.789\n", Format::Text);
    assert_eq!(bad.errors.len(), 1);
    assert!(
        bad.errors[0].message.contains("\"1520879607.789\""),
        "{}",
        bad.errors[0]
    );
}

#[test]
fn exemplar_after_value_and_timestamp() {
    let e = parse(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 3 10.5 # {trace_id=\"ab\",x=\"\"} 0.67 1520879607.1\n# EOF\n",
        Format::OpenMetrics,
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let s = &e.families[0].samples[0];
    assert_eq!(s.timestamp_ms, Some(10_500));
    let x = s.exemplar.as_ref().expect("exemplar");
    assert_eq!(x.labels.len(), 2);
    assert_eq!(x.labels[0].value, "ab");
    assert_eq!(x.value, 0.67);
    assert_eq!(x.timestamp, Some(1_520_879_607.1));
}

#[test]
fn eof_ends_an_openmetrics_exposition() {
    let e = parse("a 1\n# EOF\n\nb 2\n", Format::OpenMetrics);
    assert!(e.eof);
    assert_eq!(e.sample_count(), 1);
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].line, 4);
    assert!(e.errors[0].message.contains("after # EOF"));
    // In text format it is an ordinary comment.
    let t = parse("a 1\n# EOF\nb 2\n", Format::Text);
    assert!(!t.eof);
    assert!(t.errors.is_empty());
    assert_eq!(t.sample_count(), 2);
}

#[test]
fn help_escapes_depend_on_the_format() {
    let line = "# HELP m a\\\\b\\nc \\\"q\\\"\n";
    let text = parse(line, Format::Text);
    assert_eq!(text.families[0].help.as_deref(), Some("a\\b\nc \\\"q\\\""));
    let om = parse(line, Format::OpenMetrics);
    assert_eq!(om.families[0].help.as_deref(), Some("a\\b\nc \"q\""));
    let plain = parse("# HELP m  plain words \n", Format::Text);
    assert!(matches!(
        plain.families[0].help,
        Some(Cow::Borrowed("plain words "))
    ));
}

#[test]
fn crlf_line_endings_are_accepted() {
    let e = parse("# TYPE m gauge\r\nm{a=\"b\"} 1\r\n", Format::Text);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(e.families[0].kind, MetricKind::Gauge);
    assert_eq!(e.families[0].samples[0].label("a"), Some("b"));
}

#[test]
fn bad_metadata_reports_and_creates_nothing() {
    let e = parse(
        "# TYPE m bogus\n# TYPE 9m gauge\n# TYPE n gauge extra\n# HELP\n# random comment\n#TYPE x gauge\n",
        Format::Text,
    );
    assert!(e.families.is_empty(), "{:?}", e.families);
    let lines: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
    assert!(e.errors[0].message.contains("\"bogus\""));
}

#[test]
fn conflicting_metadata_is_an_error() {
    let e = parse(
        "# TYPE m gauge\n# TYPE m counter\nm 1\n# HELP m x\n# HELP m y\nu 1\n# TYPE u gauge\n",
        Format::Text,
    );
    let lines: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    assert_eq!(lines, [2, 5, 7], "{:?}", e.errors);
    assert_eq!(e.family("m").map(|f| f.kind), Some(MetricKind::Gauge));
    assert_eq!(e.family("m").and_then(|f| f.help.as_deref()), Some("x"));
    assert_eq!(e.family("u").map(|f| f.kind), Some(MetricKind::Untyped));
}

#[test]
fn malformed_samples_are_reported_with_their_line() {
    let cases = [
        ("m{a=\"1\" b=\"2\"} 1", "expected ',' or '}'"),
        (
            "m{a=\"1\"",
            "after the value of label \"a\" at the end of the line",
        ),
        ("m{a=\"1} 1", "unterminated"),
        ("m{a} 1", "expected '='"),
        ("m{a=1} 1", "expected '\"'"),
        ("m{,a=\"1\"} 1", "expected a label name"),
        ("m{a=\"1\",a=\"2\"} 1", "duplicate label"),
        ("m", "missing value"),
        ("m 1x", "invalid value \"1x\""),
        ("m-x 1", "invalid character in metric name"),
        ("m 1 2 3", "unexpected text"),
        ("m 1 # x", "exemplar"),
        ("9m 1", "expected a metric name"),
        ("m 1 12.5", "integer milliseconds"),
    ];
    for (line, expected) in cases {
        let text = format!("ok 1\n{line}\nok 2\n");
        let e = parse(&text, Format::Text);
        assert_eq!(e.errors.len(), 1, "{line}: {:?}", e.errors);
        assert_eq!(e.errors[0].line, 2, "{line}");
        assert!(
            e.errors[0].message.contains(expected),
            "{line}: {}",
            e.errors[0]
        );
        assert_eq!(e.sample_count(), 2, "{line}");
    }
}

#[test]
fn error_snippets_are_truncated() {
    let long = format!("m {}", "x".repeat(500));
    let e = parse(&long, Format::Text);
    assert!(e.errors[0].message.len() < 120, "{}", e.errors[0]);
    assert!(e.errors[0].message.contains('…'));
}

#[test]
fn non_ascii_never_splits_a_char() {
    for line in [
        "é 1",
        "mé 1",
        "m{é=\"x\"} 1",
        "m{a=\"é\"}é",
        "m{a=\"é",
        "m 1é",
        "m{a=\"\\é\"} 1",
        "# TYPE é gauge",
        "# TYPE m é",
        "# HELP m \\é",
        "m 1 # {é",
        "m 1 # {a=\"é\"} é",
    ] {
        let e = parse(line, Format::OpenMetrics);
        assert!(
            e.sample_count() + e.errors.len() + e.families.len() >= 1,
            "{line}"
        );
    }
    let ok = parse("m{a=\"\\é\"} 1", Format::Text);
    assert_eq!(ok.families[0].samples[0].label("a"), Some("\\é"));
}

#[test]
fn every_prefix_of_a_rich_exposition_parses_without_panicking() {
    let full = "# HELP h Help \\\\ \\n.\n# TYPE h histogram\n# UNIT h seconds\n\
        h_bucket{le=\"0.1\",path=\"/a,b\"} 3 1.5 # {id=\"é\"} 0.05 2.5\n\
        h_sum 1.5e0\nh_count 3\n# EOF\n";
    for (cut, _) in full.char_indices() {
        for format in [Format::Text, Format::OpenMetrics] {
            let e = parse(&full[..cut], format);
            let lines = full[..cut].split('\n').count();
            assert!(e.errors.iter().all(|x| x.line >= 1 && x.line <= lines));
        }
    }
}

#[test]
fn samples_find_their_family() {
    let e = parse(
        "# TYPE c counter\nc 1\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n\
         # TYPE i info\ni_info{v=\"1\"} 1\nu 1\nu 2\nc_total 3\nh_sum 2\nh_count 1\nother 0\nu 3\n",
        Format::Text,
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    let names: Vec<(&str, MetricKind, usize)> = e
        .families
        .iter()
        .map(|f| (f.name, f.kind, f.samples.len()))
        .collect();
    assert_eq!(
        names,
        [
            ("c", MetricKind::Counter, 2),
            ("h", MetricKind::Histogram, 3),
            ("i", MetricKind::Info, 1),
            ("u", MetricKind::Untyped, 3),
            ("other", MetricKind::Untyped, 1),
        ]
    );
}

#[test]
fn suffixes_only_join_families_whose_kind_owns_them() {
    let e = parse(
        "# TYPE g gauge\ng_total 1\n# TYPE s summary\ns_bucket 1\ns_count 2\n",
        Format::Text,
    );
    let names: Vec<&str> = e.families.iter().map(|f| f.name).collect();
    assert_eq!(names, ["g", "g_total", "s", "s_bucket"]);
    assert_eq!(
        e.family("g_total").map(|f| f.kind),
        Some(MetricKind::Untyped)
    );
    // `s_count` comes after an unrelated family yet still finds `s`.
    let s = e
        .family("s")
        .map(|f| f.samples.iter().map(|x| x.name).collect::<Vec<_>>());
    assert_eq!(s, Some(vec!["s_count"]));
    assert_eq!(e.family("s_bucket").map(|f| f.samples.len()), Some(1));
}
