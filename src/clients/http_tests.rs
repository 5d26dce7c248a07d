use super::*;

#[test]
fn status_errors_quote_the_server() {
    let prom = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
    assert_eq!(
        status_error(StatusCode::BAD_REQUEST, prom).to_string(),
        "bad_data: parse error"
    );
    let am = br#""Failed to create silence: start time must be before end time""#;
    assert_eq!(
        status_error(StatusCode::BAD_REQUEST, am).to_string(),
        "HTTP 400: Failed to create silence: start time must be before end time"
    );
    let swagger = br#"{"code":612,"message":"matchers in body should have at least 1 items"}"#;
    assert_eq!(
        status_error(StatusCode::UNPROCESSABLE_ENTITY, swagger).to_string(),
        "HTTP 422: matchers in body should have at least 1 items"
    );
    assert_eq!(
        status_error(StatusCode::SERVICE_UNAVAILABLE, b"").to_string(),
        "HTTP 503: Service Unavailable"
    );
    assert_eq!(
        status_error(StatusCode::BAD_GATEWAY, b"<html>\n  <b>bad</b>\n</html>").to_string(),
        "HTTP 502: <html> <b>bad</b> </html>"
    );
    assert_eq!(
        status_error(StatusCode::FORBIDDEN, b"no").to_string(),
        "HTTP 403: forbidden"
    );
}

#[test]
fn decode_errors_name_the_place() {
    let e = decode::<Vec<u32>>(b"<html>oops</html>").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected response: not JSON: \"<html>oops</html>\""
    );
    let e = decode::<Vec<u32>>(b"[1, \"x\"]").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unexpected response: [1]: invalid type"),
        "{e}"
    );
}

#[test]
fn snippets_are_short_single_lines() {
    let long = "x".repeat(500);
    let s = snippet(long.as_bytes());
    assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
    assert!(s.ends_with('…'));
}

#[test]
fn go_zero_time_is_never() {
    assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
    assert!(parse_time("2024-05-01T10:00:00.123456789Z").is_some());
    assert_eq!(parse_time("yesterday"), None);
}

#[test]
fn debug_hides_credentials() {
    let spec = ServerSpec {
        name: "p".into(),
        url: url::Url::parse("http://u:secret@h:9090/").unwrap(),
        auth: Auth::Bearer("tok3n".into()),
        ca_pem: None,
        timeout: Duration::from_secs(5),
    };
    let text = format!("{spec:?}");
    assert!(
        !text.contains("secret") && !text.contains("tok3n"),
        "{text}"
    );
}

#[test]
fn every_error_reads_as_a_few_words_on_the_notice_line() {
    use crate::model::fault::words;
    let cases = [
        (
            ApiError::Connect("connection refused".into()),
            "connection refused",
        ),
        (
            ApiError::Connect("connection reset".into()),
            "connection reset",
        ),
        (
            ApiError::Connect("cannot resolve prom.internal".into()),
            "cannot resolve prom.internal",
        ),
        (
            ApiError::Timeout {
                after: Duration::from_secs(5),
            },
            "timed out",
        ),
        (
            ApiError::Tls("invalid peer certificate: UnknownIssuer".into()),
            "TLS error (certificate or handshake)",
        ),
        (
            status_error(StatusCode::SERVICE_UNAVAILABLE, b""),
            "HTTP 503",
        ),
        (
            status_error(StatusCode::BAD_GATEWAY, b"dial tcp: connection refused"),
            "HTTP 502",
        ),
        (
            ApiError::Unauthorized(401),
            "HTTP 401 unauthorized (credentials expired?)",
        ),
        (ApiError::Unauthorized(403), "HTTP 403 forbidden"),
        (
            decode::<Vec<u32>>(b"<html>oops</html>").unwrap_err(),
            "garbage response (not the expected JSON)",
        ),
        (
            decode::<Vec<u32>>(b"[1, \"x\"]").unwrap_err(),
            "garbage response (not the expected JSON)",
        ),
    ];
    for (e, want) in cases {
        assert_eq!(words(&e.to_string()), want, "{e:?}");
    }
}
