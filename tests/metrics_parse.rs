//! Conformance of the exposition parser (`sources::metrics::parse`) against
//! the specs' own examples, a real node_exporter capture, and property
//! tests: a round trip through a small writer, and no panic on any input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use opsboard::sources::metrics::exposition::{Exposition, Family, Format, MetricKind, Sample};
use opsboard::sources::metrics::parse::parse;
use proptest::prelude::*;

use writer::{GenFamily, exposition, write};

const TEXT_SPEC: &str = include_str!("fixtures/metrics/text_spec_example.prom");
const OPENMETRICS: &str = include_str!("fixtures/metrics/openmetrics_examples.om");
const EDGE_CASES: &str = include_str!("fixtures/metrics/edge_cases.prom");
const MALFORMED_TEXT: &str = include_str!("fixtures/metrics/malformed.prom");
const MALFORMED_OM: &str = include_str!("fixtures/metrics/malformed.om");
const NODE_EXPORTER: &str = include_str!("fixtures/metrics/node_exporter.prom");

fn family<'e, 'a>(e: &'e Exposition<'a>, name: &str) -> &'e Family<'a> {
    e.family(name)
        .unwrap_or_else(|| panic!("no family {name:?} in {:?}", names(e)))
}

fn names<'a>(e: &Exposition<'a>) -> Vec<&'a str> {
    e.families.iter().map(|f| f.name).collect()
}

fn only<'e, 'a>(e: &'e Exposition<'a>, series: &'e str) -> &'e Sample<'a> {
    let all: Vec<_> = e.series(series).collect();
    assert_eq!(all.len(), 1, "series {series:?}");
    all[0]
}

fn labelled<'e, 'a>(f: &'e Family<'a>, name: &str, value: &str) -> &'e Sample<'a> {
    let found: Vec<_> = f
        .samples
        .iter()
        .filter(|s| s.label(name) == Some(value))
        .collect();
    assert_eq!(found.len(), 1, "{}{{{name}={value:?}}}", f.name);
    found[0]
}

#[test]
fn text_format_spec_example() {
    let e = parse(TEXT_SPEC, Format::Text);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert!(!e.eof);
    assert_eq!(
        names(&e),
        [
            "http_requests_total",
            "msdos_file_access_time_seconds",
            "metric_without_timestamp_and_labels",
            "something_weird",
            "http_request_duration_seconds",
            "rpc_duration_seconds",
        ]
    );
    assert_eq!(e.sample_count(), 2 + 1 + 1 + 1 + 8 + 7);

    let requests = family(&e, "http_requests_total");
    assert_eq!(requests.kind, MetricKind::Counter);
    assert_eq!(
        requests.help.as_deref(),
        Some("The total number of HTTP requests.")
    );
    let ok = labelled(requests, "code", "200");
    assert_eq!(
        (ok.value, ok.timestamp_ms),
        (1027.0, Some(1_395_066_363_000))
    );
    assert_eq!(ok.label("method"), Some("post"));
    let bad = labelled(requests, "code", "400");
    assert_eq!(
        (bad.value, bad.timestamp_ms),
        (3.0, Some(1_395_066_363_000))
    );

    let msdos = only(&e, "msdos_file_access_time_seconds");
    assert_eq!(msdos.label("path"), Some(r"C:\DIR\FILE.TXT"));
    assert_eq!(
        msdos.label("error"),
        Some("Cannot find file:\n\"FILE.TXT\"")
    );
    assert_eq!(msdos.value, 1.458255915e9);
    assert_eq!(msdos.timestamp_ms, None);
    assert_eq!(
        family(&e, "msdos_file_access_time_seconds").kind,
        MetricKind::Untyped
    );

    let minimal = only(&e, "metric_without_timestamp_and_labels");
    assert!(minimal.labels.is_empty());
    assert_eq!((minimal.value, minimal.timestamp_ms), (12.47, None));

    let weird = only(&e, "something_weird");
    assert_eq!(weird.label("problem"), Some("division by zero"));
    assert_eq!(weird.value, f64::INFINITY);
    assert_eq!(weird.timestamp_ms, Some(-3_982_045));

    let histogram = family(&e, "http_request_duration_seconds");
    assert_eq!(histogram.kind, MetricKind::Histogram);
    assert_eq!(
        histogram.help.as_deref(),
        Some("A histogram of the request duration.")
    );
    let buckets: Vec<(&str, f64)> = histogram
        .samples
        .iter()
        .filter(|s| s.name == "http_request_duration_seconds_bucket")
        .map(|s| (s.label("le").unwrap_or("?"), s.value))
        .collect();
    assert_eq!(
        buckets,
        [
            ("0.05", 24054.0),
            ("0.1", 33444.0),
            ("0.2", 100392.0),
            ("0.5", 129389.0),
            ("1", 133988.0),
            ("+Inf", 144320.0),
        ]
    );
    assert_eq!(only(&e, "http_request_duration_seconds_sum").value, 53423.0);
    assert_eq!(
        only(&e, "http_request_duration_seconds_count").value,
        144320.0
    );

    let summary = family(&e, "rpc_duration_seconds");
    assert_eq!(summary.kind, MetricKind::Summary);
    assert_eq!(summary.samples.len(), 7);
    assert_eq!(labelled(summary, "quantile", "0.99").value, 76656.0);
    assert_eq!(only(&e, "rpc_duration_seconds_sum").value, 1.7560473e7);
    assert_eq!(only(&e, "rpc_duration_seconds_count").value, 2693.0);
}

#[test]
fn openmetrics_examples() {
    let e = parse(OPENMETRICS, Format::OpenMetrics);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert!(e.eof);
    let kinds: Vec<(&str, MetricKind, usize)> = e
        .families
        .iter()
        .map(|f| (f.name, f.kind, f.samples.len()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("acme_http_router_request_seconds", MetricKind::Summary, 6),
            ("go_goroutines", MetricKind::Gauge, 1),
            ("process_cpu_seconds", MetricKind::Counter, 1),
            ("foo", MetricKind::Counter, 2),
            ("bar", MetricKind::Histogram, 8),
            ("build", MetricKind::Info, 1),
            ("state", MetricKind::StateSet, 6),
            ("queue", MetricKind::GaugeHistogram, 7),
            ("mystery", MetricKind::Untyped, 1),
        ]
    );

    let acme = family(&e, "acme_http_router_request_seconds");
    assert_eq!(acme.unit, Some("seconds"));
    assert_eq!(
        acme.help.as_deref(),
        Some("Latency though all of ACME's HTTP request router.")
    );
    let created: Vec<_> = e
        .series("acme_http_router_request_seconds_created")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[1].label("method"), Some("POST"));
    assert_eq!(created[1].value, 1_605_281_325.0);

    let cpu = family(&e, "process_cpu_seconds");
    assert_eq!(cpu.unit, Some("seconds"));
    assert_eq!(cpu.samples[0].name, "process_cpu_seconds_total");
    assert_eq!(cpu.samples[0].value, 4.20072246e6);

    let foo = family(&e, "foo");
    assert_eq!(
        foo.help.as_deref(),
        Some("Number of foos, \"quoted\", with a \\ backslash\nand a second line.")
    );
    let total = only(&e, "foo_total");
    assert_eq!(total.value, 17.0);
    assert_eq!(total.timestamp_ms, Some(1_520_879_607_789));
    let exemplar = total.exemplar.as_ref().expect("foo_total exemplar");
    assert_eq!(exemplar.labels[0].name, "trace_id");
    assert_eq!(exemplar.labels[0].value, "KOO5S4vxi0o");
    assert_eq!((exemplar.value, exemplar.timestamp), (0.67, None));
    let foo_created = only(&e, "foo_created");
    assert_eq!(foo_created.value, 1_520_430_000.123);
    assert_eq!(foo_created.timestamp_ms, Some(1_520_879_607_789));

    let bar = family(&e, "bar");
    let no_labels = labelled(bar, "le", "0.1")
        .exemplar
        .as_ref()
        .expect("exemplar {}");
    assert!(no_labels.labels.is_empty());
    assert_eq!(no_labels.value, 0.054);
    let timed = labelled(bar, "le", "10")
        .exemplar
        .as_ref()
        .expect("exemplar le=10");
    assert_eq!(timed.labels[0].value, "oHg5SJYRHA0");
    assert_eq!(
        (timed.value, timed.timestamp),
        (9.8, Some(1_520_879_607.789))
    );
    assert!(labelled(bar, "le", "+Inf").exemplar.is_none());
    assert_eq!(only(&e, "bar_sum").value, 324789.3);
    // The spec's example has two spaces before this value.
    assert_eq!(only(&e, "bar_created").value, 1_520_430_000.123);

    let info = only(&e, "build_info");
    assert_eq!(info.label("name"), Some("pretty name"));
    assert_eq!(info.label("version"), Some("8.2.7"));

    let state = family(&e, "state");
    let on: Vec<(&str, &str)> = state
        .samples
        .iter()
        .filter(|s| s.value == 1.0)
        .map(|s| {
            (
                s.label("entity").unwrap_or("?"),
                s.label("state").unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        on,
        [("controller", "a"), ("replica", "a"), ("replica", "ccc")]
    );

    assert_eq!(only(&e, "queue_gcount").value, 42.0);
    assert_eq!(only(&e, "queue_gsum").value, 3289.3);
    assert_eq!(e.series("queue_bucket").count(), 5);

    assert_eq!(only(&e, "mystery").timestamp_ms, Some(-1500));
}

#[test]
fn edge_cases() {
    let e = parse(EDGE_CASES, Format::Text);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert!(!e.eof, "# EOF is a comment in the text format");

    let rate = family(&e, "job:http_requests:rate5m");
    assert_eq!(rate.kind, MetricKind::Gauge);
    assert_eq!(rate.samples[0].label("job"), Some("api"));
    assert_eq!(rate.samples[0].value, 12.5);
    assert_eq!(only(&e, ":leading_colon").value, 1.0);
    assert_eq!(family(&e, ":leading_colon").kind, MetricKind::Untyped);

    let tricky = family(&e, "tricky");
    assert_eq!(tricky.samples.len(), 2);
    let first = &tricky.samples[0];
    let values: Vec<(&str, &str)> = first
        .labels
        .iter()
        .map(|l| (l.name, l.value.as_ref()))
        .collect();
    assert_eq!(
        values,
        [
            ("a", "x}y"),
            ("b", "x,y"),
            ("c", "x=y"),
            ("d", "x{y"),
            ("e", "  spaced  out  "),
        ]
    );
    let second = &tricky.samples[1];
    assert_eq!(second.label("path"), Some("C:\\"));
    assert_eq!(second.label("quote"), Some("say \"hi\""));
    assert_eq!(second.label("nl"), Some("a\nb"));
    assert_eq!(second.label("utf8"), Some("ünï ✓"));
    assert_eq!(second.value, 2.0);

    let empty = only(&e, "empty_braces");
    assert!(empty.labels.is_empty());
    assert_eq!(empty.value, 3.0);

    let spaced = only(&e, "spaced_out");
    assert_eq!(spaced.label("a"), Some("1"));
    assert_eq!(spaced.label("b"), Some("2"));
    assert_eq!(spaced.labels.len(), 2);
    assert_eq!(
        (spaced.value, spaced.timestamp_ms),
        (4.0, Some(1_395_066_363_000))
    );

    let special = family(&e, "special");
    assert!(labelled(special, "v", "nan").value.is_nan());
    assert_eq!(labelled(special, "v", "pinf").value, f64::INFINITY);
    assert_eq!(labelled(special, "v", "ninf").value, f64::NEG_INFINITY);
    assert_eq!(labelled(special, "v", "inf").value, f64::INFINITY);
    assert_eq!(labelled(special, "v", "exp").value, 1.5e-7);
    assert_eq!(labelled(special, "v", "EXP").value, -2e10);
    assert_eq!(labelled(special, "v", "int").value, 42.0);

    let ts = family(&e, "ts");
    assert_eq!(labelled(ts, "v", "neg").timestamp_ms, Some(-3_982_045));
    assert_eq!(
        labelled(ts, "v", "big").timestamp_ms,
        Some(1_700_000_000_123)
    );

    assert_eq!(only(&e, "after_eof_comment").value, 7.0);
}

#[test]
fn malformed_text_lines_are_reported_and_skipped() {
    let e = parse(MALFORMED_TEXT, Format::Text);
    let lines: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    assert_eq!(lines, [3, 5, 7, 8, 10, 11, 13], "{:#?}", e.errors);
    let message = |line: usize| {
        e.errors
            .iter()
            .find(|x| x.line == line)
            .map(|x| x.to_string())
            .unwrap_or_default()
    };
    assert!(
        message(3).contains("unterminated value of label \"label\""),
        "{}",
        message(3)
    );
    assert!(
        message(5).contains("expected a label name"),
        "{}",
        message(5)
    );
    assert!(
        message(7).contains("unknown metric type \"nonsense\""),
        "{}",
        message(7)
    );
    assert!(
        message(8).contains("invalid value \"abc\""),
        "{}",
        message(8)
    );
    assert!(
        message(10).contains("expected a metric name"),
        "{}",
        message(10)
    );
    assert!(message(11).contains("unexpected text"), "{}", message(11));
    assert!(message(13).contains("\"1.5\""), "{}", message(13));
    assert!(message(13).starts_with("line 13: "), "{}", message(13));

    assert_eq!(names(&e), ["good"]);
    let good = family(&e, "good");
    assert_eq!(good.kind, MetricKind::Counter);
    let values: Vec<f64> = good.samples.iter().map(|s| s.value).collect();
    assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 6.0]);
}

#[test]
fn malformed_openmetrics_lines_are_reported_and_skipped() {
    let e = parse(MALFORMED_OM, Format::OpenMetrics);
    let lines: Vec<usize> = e.errors.iter().map(|x| x.line).collect();
    assert_eq!(lines, [3, 5, 6, 9], "{:#?}", e.errors);
    assert!(e.errors[0].message.contains("\"not_a_time\""));
    assert!(e.errors[1].message.contains("\"notanumber\""));
    assert!(e.errors[3].message.contains("after # EOF"));
    assert!(e.eof);
    let a = family(&e, "a");
    let series: Vec<(&str, Option<i64>)> =
        a.samples.iter().map(|s| (s.name, s.timestamp_ms)).collect();
    assert_eq!(series, [("a_total", Some(1500)), ("a_created", None)]);
    assert_eq!(family(&e, "b").samples.len(), 1);
    assert!(e.family("after").is_none());
}

/// What a line-by-line reading of the capture says, independent of the
/// parser: `(series name, value)` of every sample line.
fn naive_samples(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let name_end = l.find(['{', ' ']).unwrap_or(l.len());
            let value = l.rsplit(' ').next().unwrap_or("");
            (&l[..name_end], value)
        })
        .collect()
}

#[test]
fn real_node_exporter_capture() {
    let e = parse(NODE_EXPORTER, Format::Text);
    assert!(e.errors.is_empty(), "{:#?}", e.errors);
    let naive = naive_samples(NODE_EXPORTER);
    assert!(naive.len() > 300, "capture too small: {}", naive.len());
    assert_eq!(e.sample_count(), naive.len());
    // Every TYPE line became a family of that kind.
    let typed = NODE_EXPORTER
        .lines()
        .filter(|l| l.starts_with("# TYPE "))
        .count();
    assert_eq!(e.families.len(), typed);

    let cpu = family(&e, "node_cpu_seconds_total");
    assert_eq!(cpu.kind, MetricKind::Counter);
    let cpu_lines = naive
        .iter()
        .filter(|(n, _)| *n == "node_cpu_seconds_total")
        .count();
    assert!(cpu_lines >= 8, "one per mode per CPU");
    assert_eq!(cpu.samples.len(), cpu_lines);
    assert!(
        cpu.samples
            .iter()
            .all(|s| s.label("cpu").is_some() && s.label("mode").is_some())
    );
    assert!(cpu.samples.iter().any(|s| s.label("mode") == Some("idle")));

    let gc = family(&e, "go_gc_duration_seconds");
    assert_eq!(gc.kind, MetricKind::Summary);
    let quantiles = gc
        .samples
        .iter()
        .filter(|s| s.label("quantile").is_some())
        .count();
    assert_eq!(quantiles, 5);
    assert_eq!(gc.samples.len(), 7, "quantiles, _sum and _count");
    assert!(
        gc.samples
            .iter()
            .any(|s| s.name == "go_gc_duration_seconds_count")
    );

    let load = family(&e, "node_load1");
    assert_eq!(load.kind, MetricKind::Gauge);
    assert_eq!(load.samples.len(), 1);
    let written = naive
        .iter()
        .find(|(n, _)| *n == "node_load1")
        .map(|(_, v)| v.parse::<f64>().ok());
    assert_eq!(written, Some(Some(load.samples[0].value)));
}

fn same_f64(a: f64, b: f64) -> bool {
    a == b && a.is_sign_negative() == b.is_sign_negative() || a.is_nan() && b.is_nan()
}

/// Compares what was generated with what came back, NaN equal to NaN.
fn assert_round_trip(generated: &[GenFamily], parsed: &Exposition<'_>, format: Format) {
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.eof, format == Format::OpenMetrics);
    assert_eq!(parsed.families.len(), generated.len());
    for (want, got) in generated.iter().zip(&parsed.families) {
        assert_eq!(got.name, want.name);
        assert_eq!(got.kind, want.kind);
        assert_eq!(got.help.as_deref(), want.help.as_deref());
        assert_eq!(
            got.unit,
            want.unit
                .as_deref()
                .filter(|_| format == Format::OpenMetrics)
        );
        assert_eq!(got.samples.len(), want.samples.len(), "{}", want.name);
        for (w, g) in want.samples.iter().zip(&got.samples) {
            assert_eq!(g.name, format!("{}{}", want.name, w.suffix));
            let labels: Vec<(&str, &str)> = g
                .labels
                .iter()
                .map(|l| (l.name, l.value.as_ref()))
                .collect();
            let expected: Vec<(&str, &str)> = w
                .labels
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(labels, expected);
            assert!(same_f64(g.value, w.value), "{} vs {}", g.value, w.value);
            assert_eq!(g.timestamp_ms, w.timestamp_ms);
            match (&w.exemplar, &g.exemplar) {
                (None, None) => {}
                (Some(we), Some(ge)) => {
                    let labels: Vec<(&str, &str)> = ge
                        .labels
                        .iter()
                        .map(|l| (l.name, l.value.as_ref()))
                        .collect();
                    let expected: Vec<(&str, &str)> = we
                        .labels
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    assert_eq!(labels, expected);
                    assert!(same_f64(ge.value, we.value));
                    assert_eq!(
                        ge.timestamp.map(f64::to_bits),
                        we.timestamp.map(f64::to_bits)
                    );
                }
                (w, g) => panic!("exemplar {w:?} vs {g:?}"),
            }
        }
    }
}

proptest! {
    #[test]
    fn text_round_trip(generated in exposition(Format::Text)) {
        let (families, style) = generated;
        let text = write(&families, Format::Text, &style);
        assert_round_trip(&families, &parse(&text, Format::Text), Format::Text);
    }

    #[test]
    fn openmetrics_round_trip(generated in exposition(Format::OpenMetrics)) {
        let (families, style) = generated;
        let text = write(&families, Format::OpenMetrics, &style);
        assert_round_trip(&families, &parse(&text, Format::OpenMetrics), Format::OpenMetrics);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check_invariants(&text);
    }

    #[test]
    fn exposition_like_noise_never_panics(
        pieces in proptest::collection::vec(
            prop_oneof![
                Just("{"), Just("}"), Just("\""), Just("\\"), Just("\n"), Just(" "), Just("\t"),
                Just("\r"), Just("#"), Just("# EOF"), Just("# TYPE "), Just("# HELP "),
                Just("# UNIT "), Just("counter"), Just("histogram"), Just("a"), Just("a:b"),
                Just("_total"), Just("_bucket"), Just("le"), Just("1"), Just("-"), Just("e"),
                Just("."), Just("="), Just(","), Just("é"), Just("✓"), Just("+Inf"),
                Just("NaN"), Just("1.5"), Just(" # {"),
            ],
            0..80,
        )
    ) {
        check_invariants(&pieces.concat());
    }
}

/// What must hold for any input, in both formats.
fn check_invariants(text: &str) {
    let lines = text.strip_suffix('\n').unwrap_or(text).split('\n').count();
    for format in [Format::Text, Format::OpenMetrics] {
        let e = parse(text, format);
        let mut last = 0;
        for error in &e.errors {
            assert!(
                error.line > last && error.line <= lines,
                "{error} of {lines}"
            );
            assert!(
                !error.message.is_empty() && error.message.len() < 400,
                "{error}"
            );
            last = error.line;
        }
        // At most one sample per line, and only lines that are not errors.
        assert!(e.sample_count() + e.errors.len() <= lines);
        for s in e.families.iter().flat_map(|f| &f.samples) {
            assert!(text.contains(s.name));
            assert!(
                s.name
                    .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == ':')
            );
        }
    }
}

/// Generated expositions and the small writer that renders them, so the
/// round trip compares what was meant with what the parser read back.
mod writer {
    use std::collections::HashSet;
    use std::fmt::Write as _;

    use opsboard::sources::metrics::exposition::{Format, MetricKind};
    use proptest::prelude::*;

    type Labels = Vec<(String, String)>;

    #[derive(Debug, Clone)]
    pub struct GenExemplar {
        pub labels: Labels,
        pub value: f64,
        pub timestamp: Option<f64>,
    }

    #[derive(Debug, Clone)]
    pub struct GenSample {
        pub suffix: &'static str,
        pub labels: Labels,
        pub value: f64,
        pub timestamp_ms: Option<i64>,
        pub exemplar: Option<GenExemplar>,
    }

    #[derive(Debug, Clone)]
    pub struct GenFamily {
        pub name: String,
        pub kind: MetricKind,
        pub help: Option<String>,
        pub unit: Option<String>,
        pub samples: Vec<GenSample>,
    }

    /// How the text format is spaced; OpenMetrics always gets the strict form.
    #[derive(Debug, Clone)]
    pub struct Style {
        sep: &'static str,
        pad: &'static str,
        trailing_comma: bool,
        empty_braces: bool,
    }

    const KINDS: [MetricKind; 8] = [
        MetricKind::Counter,
        MetricKind::Gauge,
        MetricKind::Histogram,
        MetricKind::GaugeHistogram,
        MetricKind::Summary,
        MetricKind::Info,
        MetricKind::StateSet,
        MetricKind::Untyped,
    ];

    /// Series names a family of `kind` may use, bare name included.
    fn suffixes(kind: MetricKind) -> Vec<&'static str> {
        match kind {
            MetricKind::Counter => vec!["", "_total", "_created"],
            MetricKind::Histogram => vec!["", "_bucket", "_sum", "_count", "_created"],
            MetricKind::GaugeHistogram => vec!["", "_gcount", "_gsum", "_bucket"],
            MetricKind::Summary => vec!["", "_sum", "_count", "_created"],
            MetricKind::Info => vec!["", "_info"],
            _ => vec![""],
        }
    }

    fn text_with(specials: &'static [char], len: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![3 => any::<char>(), 2 => proptest::sample::select(specials)],
            0..len,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn label_value() -> impl Strategy<Value = String> {
        text_with(
            &['\\', '"', '\n', ',', '}', '{', '=', ' ', '#', '\t', 'é'],
            12,
        )
    }

    fn labels() -> impl Strategy<Value = Labels> {
        proptest::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,8}", label_value()), 0..4).prop_map(
            |mut labels| {
                let mut seen = HashSet::new();
                labels.retain(|(name, _)| seen.insert(name.clone()));
                labels
            },
        )
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            -1e6..1e6f64,
            any::<i32>().prop_map(f64::from),
        ]
    }

    fn exemplar() -> impl Strategy<Value = GenExemplar> {
        let timestamp = any::<f64>().prop_filter("finite", |t| t.is_finite());
        (labels(), value(), proptest::option::of(timestamp)).prop_map(
            |(labels, value, timestamp)| GenExemplar {
                labels,
                value,
                timestamp,
            },
        )
    }

    fn sample(kind: MetricKind) -> impl Strategy<Value = GenSample> {
        (
            proptest::sample::select(suffixes(kind)),
            labels(),
            value(),
            proptest::option::of(any::<i64>()),
            proptest::option::weighted(0.2, exemplar()),
        )
            .prop_map(
                |(suffix, labels, value, timestamp_ms, exemplar)| GenSample {
                    suffix,
                    labels,
                    value,
                    timestamp_ms,
                    exemplar,
                },
            )
    }

    fn family() -> impl Strategy<Value = GenFamily> {
        // The parser skips the blanks before HELP text and strips a final
        // carriage return, as every exposition parser does.
        let help = text_with(&['\\', '"', '\n', ' ', 'é'], 20).prop_map(|h| {
            h.replace('\r', "")
                .trim_start_matches([' ', '\t'])
                .to_owned()
        });
        (
            "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
            proptest::sample::select(KINDS.to_vec()),
            proptest::option::of(help),
            proptest::option::of("[a-z_]{1,8}"),
        )
            .prop_flat_map(|(name, kind, help, unit)| {
                proptest::collection::vec(sample(kind), 0..6).prop_map(move |samples| GenFamily {
                    name: name.clone(),
                    kind,
                    help: help.clone(),
                    unit: unit.clone(),
                    samples,
                })
            })
    }

    pub fn exposition(format: Format) -> impl Strategy<Value = (Vec<GenFamily>, Style)> {
        let families = proptest::collection::vec(family(), 0..6).prop_map(|mut families| {
            let mut seen = HashSet::new();
            families.retain(|f| seen.insert(f.name.clone()));
            families
        });
        let style = match format {
            Format::OpenMetrics => Just(Style {
                sep: " ",
                pad: "",
                trailing_comma: false,
                empty_braces: false,
            })
            .boxed(),
            Format::Text => (
                proptest::sample::select(vec![" ", "\t", "  \t "]),
                proptest::sample::select(vec!["", " ", "\t"]),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(sep, pad, trailing_comma, empty_braces)| Style {
                    sep,
                    pad,
                    trailing_comma,
                    empty_braces,
                })
                .boxed(),
        };
        (families, style)
    }

    fn type_word(kind: MetricKind, format: Format) -> &'static str {
        match kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::GaugeHistogram => "gaugehistogram",
            MetricKind::Summary => "summary",
            MetricKind::Info => "info",
            MetricKind::StateSet => "stateset",
            MetricKind::Untyped if format == Format::OpenMetrics => "unknown",
            MetricKind::Untyped => "untyped",
        }
    }

    fn number(v: f64) -> String {
        if v.is_nan() {
            "NaN".into()
        } else if v == f64::INFINITY {
            "+Inf".into()
        } else if v == f64::NEG_INFINITY {
            "-Inf".into()
        } else {
            // Rust prints the shortest text that reads back as the same f64.
            v.to_string()
        }
    }

    fn timestamp(ms: i64, format: Format) -> String {
        match format {
            Format::Text => ms.to_string(),
            Format::OpenMetrics => {
                let sign = if ms < 0 { "-" } else { "" };
                let abs = ms.unsigned_abs();
                format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
            }
        }
    }

    fn escape(s: &str, quotes: bool) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '"' if quotes => out.push_str("\\\""),
                c => out.push(c),
            }
        }
        out
    }

    fn write_labels(out: &mut String, labels: &Labels, style: &Style, braces_if_empty: bool) {
        if labels.is_empty() && !braces_if_empty {
            return;
        }
        let pad = style.pad;
        out.push_str(pad);
        out.push('{');
        for (i, (name, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{pad}{name}{pad}={pad}\"{}\"{pad}",
                escape(value, true)
            );
        }
        if style.trailing_comma && !labels.is_empty() {
            out.push(',');
        }
        out.push_str(pad);
        out.push('}');
    }

    pub fn write(families: &[GenFamily], format: Format, style: &Style) -> String {
        let om = format == Format::OpenMetrics;
        let mut out = String::new();
        for f in families {
            let _ = writeln!(out, "# TYPE {} {}", f.name, type_word(f.kind, format));
            if let (true, Some(unit)) = (om, &f.unit) {
                let _ = writeln!(out, "# UNIT {} {unit}", f.name);
            }
            if let Some(help) = &f.help {
                let _ = writeln!(out, "# HELP {} {}", f.name, escape(help, om));
            }
            for s in &f.samples {
                out.push_str(&f.name);
                out.push_str(s.suffix);
                write_labels(&mut out, &s.labels, style, style.empty_braces);
                out.push_str(style.sep);
                out.push_str(&number(s.value));
                if let Some(ms) = s.timestamp_ms {
                    out.push_str(style.sep);
                    out.push_str(&timestamp(ms, format));
                }
                if let Some(x) = &s.exemplar {
                    out.push_str(" # ");
                    write_labels(&mut out, &x.labels, style, true);
                    out.push(' ');
                    out.push_str(&number(x.value));
                    if let Some(t) = x.timestamp {
                        let _ = write!(out, " {t}");
                    }
                }
                out.push('\n');
            }
        }
        if om {
            out.push_str("# EOF\n");
        }
        out
    }
}
