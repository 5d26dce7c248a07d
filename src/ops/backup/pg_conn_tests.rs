use super::*;

fn parse_str(url: &str) -> Result<ConnParams, String> {
    parse(&Secret::literal_for_tests(url)).map_err(|e| e.to_string())
}

fn get(p: &ConnParams, key: &str) -> Option<String> {
    p.get(key).map(|v| String::from_utf8_lossy(v).into_owned())
}

#[test]
fn every_part_becomes_a_parameter() {
    let p = parse_str(
        "postgres://app:p%40ss%20w%3Ard%2F%25@127.0.0.1:5433/sh%6Fp?sslmode=disable&application_name=ob",
    )
    .unwrap();
    assert_eq!(get(&p, "user").as_deref(), Some("app"));
    assert_eq!(get(&p, "password").as_deref(), Some("p@ss w:rd/%"));
    assert_eq!(get(&p, "host").as_deref(), Some("127.0.0.1"));
    assert_eq!(get(&p, "port").as_deref(), Some("5433"));
    assert_eq!(get(&p, "dbname").as_deref(), Some("shop"));
    assert_eq!(get(&p, "sslmode").as_deref(), Some("disable"));
    assert_eq!(get(&p, "application_name").as_deref(), Some("ob"));
}

#[test]
fn query_values_decode_like_libpq() {
    // `+` is not a space in libpq; the query overrides the userinfo.
    let p = parse_str("postgresql://app:first@db/shop?password=a+b%26c&sslpassword=k%3Dy").unwrap();
    assert_eq!(get(&p, "password").as_deref(), Some("a+b&c"));
    assert_eq!(get(&p, "sslpassword").as_deref(), Some("k=y"));
    let p = parse_str("postgres://db/shop?ssl=true").unwrap();
    assert_eq!(get(&p, "sslmode").as_deref(), Some("require"));
    // Raw bytes survive decoding.
    let p = parse_str("postgres://u:%ff@db/x").unwrap();
    assert_eq!(p.get("password"), Some(&[0xff][..]));
}

#[test]
fn hosts_lists_ipv6_and_sockets() {
    let p = parse_str("postgres://u@h1:5432,[::1]:5433,h3/db").unwrap();
    assert_eq!(get(&p, "host").as_deref(), Some("h1,::1,h3"));
    assert_eq!(get(&p, "port").as_deref(), Some("5432,5433,"));
    let p = parse_str("postgres://%2Fvar%2Frun%2Fpostgresql/db").unwrap();
    assert_eq!(get(&p, "host").as_deref(), Some("/var/run/postgresql"));
    assert_eq!(get(&p, "port"), None);
    let p = parse_str("postgres:///db?host=/tmp").unwrap();
    assert_eq!(get(&p, "host").as_deref(), Some("/tmp"));
    assert_eq!(get(&p, "user"), None);
}

#[test]
fn mistakes_are_named_and_never_quote_a_secret() {
    for (url, says) in [
        ("mysql://app:hunter2@db/shop", "\"mysql:\""),
        ("not a url hunter2", "not a valid URL"),
        (
            "postgres://app:hunter2%zz@db/shop",
            "invalid percent-encoding in its password",
        ),
        ("postgres://app:hunter2%00@db/shop", "NUL byte"),
        ("postgres://db/shop?password", "without `=`"),
        ("postgres://db/shop?service=hunter2", "\"service\""),
        ("postgres://db/shop?passwrod=hunter2", "\"passwrod\""),
        ("postgres://app:hunter2@db:54x/shop", "not a number"),
        ("postgres://app:hunter2@[::1/shop", "closing `]`"),
    ] {
        let e = parse_str(url).unwrap_err();
        assert!(e.contains(says), "{url}: {e}");
        assert!(!e.contains("hunter2"), "{url}: {e}");
    }
}

#[test]
fn the_service_file_holds_every_parameter() {
    let p = parse_str("postgres://app:pw%20x@db:5433/shop?sslpassword=sk&sslmode=disable").unwrap();
    let f = p.service_file("opsboard", "test").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&f.text),
        "[opsboard]\nuser=app\npassword=pw x\nhost=db\nport=5433\ndbname=shop\nsslpassword=sk\nsslmode=disable\n"
    );
    assert!(f.password_env.is_none());
}

#[test]
fn values_a_service_file_cannot_hold() {
    // libpq strips trailing whitespace from a line: such a password goes
    // to the environment instead.
    let p = parse_str("postgres://app:pw%20@db/shop").unwrap();
    let f = p.service_file("opsboard", "test").unwrap();
    assert_eq!(f.password_env.as_deref(), Some(&b"pw "[..]));
    assert!(!String::from_utf8_lossy(&f.text).contains("password"));
    // Anything else with a line break is refused, naming the keyword only.
    let p = parse_str("postgres://db/shop?sslpassword=a%0Ahunter2").unwrap();
    let e = p
        .service_file("opsboard", "test")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("`sslpassword`") && !e.contains("hunter2"), "{e}");
    let p = parse_str("postgres://app:a%0Ab@db/shop").unwrap();
    assert!(p.service_file("opsboard", "test").is_err());
}

#[test]
fn secrets_in_the_query_are_registered_for_masking() {
    parse_str("postgres://db/shop?sslpassword=registered-ssl-pw-41&password=registered-pw-42")
        .unwrap();
    let shown = text::redact("pg_dump: bad passphrase registered-ssl-pw-41 / registered-pw-42");
    assert!(!shown.contains("registered-"), "{shown}");
}
