//! The config loader against real files: the documented example loads, and
//! every kind of mistake is reported with file, line, column and key.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::path::Path;

use opsboard::config::{self, ConfigError, ConfigLocation};
use opsboard::model::ProbeUrl;

fn error_for(text: &str) -> opsboard::config::Diagnostic {
    match config::parse(Path::new("/etc/opsboard/config.toml"), text) {
        Err(ConfigError::Invalid(d)) => *d,
        Err(e) => panic!("expected a diagnostic, got {e}"),
        Ok(_) => panic!("expected an error for:\n{text}"),
    }
}

#[test]
fn the_example_config_loads_and_documents_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pw");
    std::fs::write(&secret, "hunter2\n").unwrap();
    // The example references secrets; point them at things this test owns.
    let text = std::fs::read_to_string("config.example.toml")
        .unwrap()
        .replace("${API_HEALTH_KEY}", "${PATH}")
        .replace("${API_HEALTH_TOKEN}", "${PATH}")
        .replace(
            "file:/etc/opsboard/web-probe-password",
            &format!("file:{}", secret.display()),
        )
        .replace("${CACHE_ADMIN_TOKEN}", "${PATH}")
        .replace("${EXPORT_TOKEN}", "${PATH}")
        .replace("${REDIS_PASSWORD}", "${PATH}")
        .replace("${ORDERS_DATABASE_URL}", "${PATH}")
        .replace("${PROM_TOKEN}", "${PATH}");
    let c = config::parse(Path::new("config.example.toml"), &text).unwrap();
    assert_eq!(c.services.len(), 7);
    let rb = c.services[0].rollback_on.as_ref().unwrap();
    assert_eq!(rb.error_rate, Some(0.05));
    assert_eq!(
        c.defaults.rollback_on.window,
        Some(std::time::Duration::from_secs(1800))
    );
    assert!(c.services[6].blue_green.is_some());
    assert_eq!(c.services[0].backups[0].name, "api-audit-export");
    assert_eq!(
        c.services[0].runbooks[0].verify_health_within,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(c.runbooks[0].name, "disk-usage");
    assert_eq!(c.kubernetes.contexts, ["prod-eu", "prod-us"]);
    assert_eq!(
        c.services[0].kubernetes.as_ref().unwrap().0.to_string(),
        "prod-eu/shop/deployment/api"
    );
    assert!(!c.runbooks[0].confirm);
    assert_eq!(
        c.services[3].backups[1].kind,
        opsboard::model::BackupKind::Files
    );
    let api = &c.services[0];
    assert_eq!(api.name, "api");
    assert_eq!(api.health[0].expect_status, vec![200]);
    assert_eq!(
        api.health[0].interval,
        Some(std::time::Duration::from_secs(15))
    );
    assert!(api.health[0].bearer.is_some());
    assert_eq!(c.services[1].health.len(), 2);
    assert_eq!(
        c.services[1].health[1]
            .basic
            .as_ref()
            .unwrap()
            .password
            .expose(),
        "hunter2"
    );
    assert!(matches!(
        c.services[2].health[0].url,
        ProbeUrl::Tcp { port: 6379, .. }
    ));
    assert!(c.environments["production"].protected);
    // Every key the schema knows appears in the example (so it documents
    // them all): compare against the keys of the Rust structs by name.
    for key in [
        "read_only",
        "theme",
        "[defaults]",
        "interval",
        "timeout",
        "failure_threshold",
        "max_concurrent_probes",
        "body_limit_bytes",
        "[environments.",
        "protected",
        "[keys]",
        "[[services]]",
        "name",
        "environment",
        "[[services.health]]",
        "url",
        "expect_status",
        "tls_verify",
        "headers",
        "bearer",
        "basic",
        "[backup]",
        "[audit]",
        "[[runbooks]]",
        "[[services.backups]]",
        "kind",
        "rpo",
        "keep_last",
        "max_age",
        "address",
        "username",
        "password",
        "command",
        "extension",
        "compress",
        "dir",
        "path",
        "[[services.runbooks]]",
        "description",
        "key",
        "cwd",
        "env",
        "confirm",
        "dangerous",
        "verify_health_within",
        "[[prometheus]]",
        "[[alertmanager]]",
        "ca_file",
        "[rules]",
        "error_rate",
        "latency_p95",
        "down_for",
        "restart_count",
        "restart_window",
        "rollout_stalled_after",
        "fleet_offline",
        "keep_resolved",
        "bell",
        "disabled",
        "[[rules.custom]]",
        "above",
        "below",
        "severity",
        "[services.metrics]",
        "requests",
        "error_label",
        "error_values",
        "latency",
        "cpu_limit_cores",
        "memory_limit_bytes",
        "[[services.metrics.custom]]",
        "function",
        "denominator",
        "quantile",
        "unit",
        "[services.prometheus]",
        "server",
        "selector",
        "request_rate",
        "error_ratio",
        "p95",
        "disk",
        "[[services.prometheus.custom]]",
        "query",
        "[defaults.rollback_on]",
        "latency_factor",
        "automatic_rollback",
        "rollback_on = {",
        "blue_green",
    ] {
        assert!(
            text.contains(key),
            "config.example.toml does not document `{key}`"
        );
    }
}

#[test]
fn unknown_key_names_line_column_and_suggests() {
    let d = error_for("[defaults]\ninterval = \"10s\"\nfailure_treshold = 3\n");
    assert_eq!((d.line, d.column), (3, 1));
    assert_eq!(d.key.as_deref(), Some("defaults.failure_treshold"));
    assert_eq!(d.suggestion.as_deref(), Some("failure_threshold"));
    let shown = d.to_string();
    assert!(shown.contains("/etc/opsboard/config.toml:3:1"), "{shown}");
    assert!(
        shown.contains("did you mean `failure_threshold`?"),
        "{shown}"
    );
    assert!(shown.contains("failure_treshold = 3"), "{shown}");
}

#[test]
fn nested_unknown_key_in_a_probe() {
    let text = "[[services]]\nname = \"api\"\n[[services.health]]\nurl = \"http://127.0.0.1:1/health\"\ntimout = \"1s\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 5);
    assert_eq!(d.key.as_deref(), Some("services[0].health[0].timout"));
    assert_eq!(d.suggestion.as_deref(), Some("timeout"));
}

#[test]
fn wrong_type_is_located() {
    let d = error_for("[defaults]\nfailure_threshold = \"three\"\n");
    assert_eq!(d.line, 2);
    assert_eq!(d.key.as_deref(), Some("defaults.failure_threshold"));
    assert!(d.message.contains("invalid type"), "{}", d.message);
}

#[test]
fn bad_duration_quotes_the_value() {
    let d = error_for("[defaults]\ninterval = \"10 parsecs\"\n");
    assert_eq!((d.line, d.column), (2, 12));
    assert!(
        d.message.contains("`10 parsecs` is not a duration"),
        "{}",
        d.message
    );
    let d = error_for("[defaults]\ntimeout = \"0s\"\n");
    assert!(d.message.contains("zero"), "{}", d.message);
}

#[test]
fn bad_urls_are_explained() {
    let probe =
        |url: &str| format!("[[services]]\nname = \"x\"\n[[services.health]]\nurl = \"{url}\"\n");
    let d = error_for(&probe("gopher://h/health"));
    assert_eq!(d.line, 4);
    assert_eq!(d.key.as_deref(), Some("services[0].health[0].url"));
    assert!(d.message.contains("scheme `gopher`"), "{}", d.message);
    assert!(
        error_for(&probe("tcp://db"))
            .message
            .contains("needs a port")
    );
    assert!(
        error_for(&probe("not a url"))
            .message
            .contains("not a valid URL")
    );
    let d = error_for(&probe("https://user:secretpw@h/health"));
    assert!(
        !d.message.contains("secretpw"),
        "password leaked: {}",
        d.message
    );
}

#[test]
fn inline_secrets_are_refused() {
    let text = "[[services]]\nname = \"x\"\n[[services.health]]\nurl = \"http://h/\"\nbearer = \"abc123\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 5);
    assert!(d.message.contains("never written inline"), "{}", d.message);
    assert!(!d.to_string().contains("help:"));
}

#[test]
fn unset_secret_env_is_named() {
    let text = "[[services]]\nname = \"x\"\n[[services.health]]\nurl = \"http://h/\"\nbearer = \"${OPSBOARD_TEST_UNSET_TOKEN}\"\n";
    let d = error_for(text);
    assert!(
        d.message.contains("OPSBOARD_TEST_UNSET_TOKEN"),
        "{}",
        d.message
    );
}

#[test]
fn duplicate_service_points_at_the_second_definition() {
    let text = "[[services]]\nname = \"api\"\n\n[[services]]\nname = \"web\"\n\n[[services]]\nname = \"api\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 8);
    assert!(d.message.contains("`api` is defined more than once"));
}

#[test]
fn unknown_environment_lists_known_ones() {
    let text = "[environments.production]\nprotected = true\n[[services]]\nname = \"api\"\nenvironment = \"prod\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 5);
    assert!(d.message.contains("unknown environment `prod`"));
    assert!(d.message.contains("production"));
}

#[test]
fn syntax_error_is_located() {
    let d = error_for("[defaults\ninterval = 1\n");
    assert_eq!(d.line, 1);
}

#[test]
fn unknown_action_in_keys_suggests() {
    let d = error_for("[keys]\nqiut = \"x\"\n");
    assert_eq!(d.line, 2);
    assert_eq!(d.suggestion.as_deref(), Some("quit"));
    let d = error_for("[keys]\nquit = \"hyper-q\"\n");
    assert!(d.message.contains("not a key"), "{}", d.message);
}

#[test]
fn missing_default_file_means_discovery_only_but_missing_explicit_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("nope.toml");
    let loaded = config::load(&ConfigLocation::Default(absent.clone())).unwrap();
    assert!(loaded.config.services.is_empty());
    assert!(loaded.notice.unwrap().contains("discovery only"));
    match config::load(&ConfigLocation::Flag(absent.clone())) {
        Err(ConfigError::Io { path, .. }) => assert_eq!(path, absent),
        other => panic!("expected an IO error, got {other:?}"),
    }
}

#[test]
fn flag_wins_over_env_and_default() {
    let l = config::locate(Some(Path::new("/tmp/x.toml")));
    assert_eq!(l, ConfigLocation::Flag("/tmp/x.toml".into()));
}

#[test]
fn one_authorization_per_probe() {
    let text = "[[services]]\nname = \"x\"\n[[services.health]]\nurl = \"http://h/\"\nbearer = \"${PATH}\"\nbasic = { username = \"u\", password = \"${PATH}\" }\n";
    let d = error_for(text);
    assert_eq!(d.line, 5);
    assert!(
        d.message.contains("one Authorization header"),
        "{}",
        d.message
    );
    let text = "[[services]]\nname = \"x\"\n[[services.health]]\nurl = \"http://h/\"\nheaders = { \"bad header\" = \"v\" }\n";
    assert!(
        error_for(text)
            .message
            .contains("not a valid HTTP header name")
    );
}

#[test]
fn backup_jobs_are_validated_per_kind() {
    let job = |body: &str| {
        format!(
            "[[services]]\nname = \"redis\"\n[[services.backups]]\nname = \"nightly\"\n{body}\n"
        )
    };
    let d = error_for(&job("kind = \"redis\""));
    assert_eq!(d.line, 4);
    assert!(d.message.contains("needs `address"), "{}", d.message);
    let d = error_for(&job("kind = \"redis\"\naddress = \"db\""));
    assert!(d.message.contains("`db` is not host:port"), "{}", d.message);
    let d = error_for(&job("kind = \"files\"\npath = \"/srv\"\ncommand = [\"x\"]"));
    assert!(
        d.message
            .contains("`command` does not apply to a `files` backup job"),
        "{}",
        d.message
    );
    let d = error_for(&job("kind = \"tape\""));
    assert!(
        d.message.contains("unknown variant `tape`"),
        "{}",
        d.message
    );
    let d = error_for(&job("kind = \"files\"\npath = \"/srv\"\nkeep_last = 0"));
    assert!(d.message.contains("at least 1"), "{}", d.message);
    let text = "[[services]]\nname = \"a\"\n[[services.backups]]\nname = \"n\"\nkind = \"files\"\npath = \"/a\"\n[[services]]\nname = \"b\"\n[[services.backups]]\nname = \"n\"\nkind = \"files\"\npath = \"/b\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 10);
    assert!(d.message.contains("more than once"));
    let d = error_for(
        &job("kind = \"files\"\npath = \"/srv\"")
            .replace("name = \"nightly\"", "name = \"../etc\""),
    );
    assert!(d.message.contains("may only use"), "{}", d.message);
}

#[test]
fn runbooks_are_validated() {
    let rb = |command: &str| format!("[[runbooks]]\nname = \"x\"\ncommand = {command}\n");
    let d = error_for(&rb("[\"kubectl\", \"-n\", \"{nmespace}\"]"));
    assert_eq!(d.line, 3);
    assert!(
        d.message.contains("unknown placeholder `{nmespace}`"),
        "{}",
        d.message
    );
    assert!(error_for(&rb("[]")).message.contains("needs `command"));
    assert!(
        error_for(&rb("[\"{service}\"]"))
            .message
            .contains("cannot be a placeholder")
    );
    let c = config::parse(Path::new("t.toml"), &rb("[\"echo\", \"deploy/{service}\"]")).unwrap();
    assert_eq!(c.runbooks[0].command[1], "deploy/{service}");
    // {host} is filled from the Fleet pane's selection (or `--host`).
    let c = config::parse(
        Path::new("t.toml"),
        &rb("[\"ssh\", \"{host}\", \"uptime\"]"),
    )
    .unwrap();
    assert_eq!(c.runbooks[0].command[1], "{host}");
}

#[test]
fn kubernetes_bindings_are_validated() {
    let text = "[[services]]\nname = \"api\"\nkubernetes = \"shop/cronjob/api\"\n";
    let d = error_for(text);
    assert_eq!(d.line, 3);
    assert!(d.message.contains("cronjob"), "{}", d.message);
    let c = config::parse(
        Path::new("t.toml"),
        "[[services]]\nname = \"api\"\nkubernetes = \"shop/deploy/api\"\n",
    )
    .unwrap();
    assert_eq!(c.services[0].kubernetes.as_ref().unwrap().0.context, "*");
}

#[test]
fn docker_bindings_are_validated() {
    let d = error_for("[[services]]\nname = \"web\"\ncompose = \"web\"\n");
    assert_eq!(d.line, 3);
    assert!(
        d.message.contains("is not project/service"),
        "{}",
        d.message
    );
    let d =
        error_for("[[services]]\nname = \"web\"\ncompose = \"shop/web\"\ncontainer = \"web-1\"\n");
    assert_eq!(d.line, 4);
    assert!(
        d.message.contains("both `compose` and `container`"),
        "{}",
        d.message
    );
    let d = error_for("[docker]\nhosts = [{ name = \"a\", endpont = \"tcp://x:2376\" }]\n");
    assert_eq!(d.suggestion.as_deref(), Some("endpoint"));
}

#[test]
fn metrics_config_mistakes_name_the_line_and_key() {
    let cases = [
        (
            "[[services]]\nname = \"web\"\n[services.prometheus]\nserver = \"mian\"\n",
            4,
            "services[0].prometheus.server",
            "no [[prometheus]] named `mian`",
        ),
        (
            "[rules]\ndisabled = [\"CpuHigj\"]\n",
            2,
            "rules.disabled[0]",
            "did you mean `CpuHigh`",
        ),
        (
            "[[services]]\nname = \"web\"\n[services.metrics]\nurl = \"tcp://x:1\"\n",
            4,
            "services[0].metrics.url",
            "must be an http",
        ),
        (
            "[[services]]\nname = \"web\"\n[services.metrics]\nurl = \"http://x/metrics\"\nlatency = \"bad{x=}\"\n",
            5,
            "services[0].metrics.latency",
            "invalid metric selector",
        ),
    ];
    assert_mistakes(&cases);
}

#[test]
fn fleet_config_mistakes_name_the_line_and_key() {
    let cases = [
        (
            "[[fleet]]\nname = \"edge\"\nurl = \"http://x/health\"\nhosts = [\"a\"]\n",
            3,
            "fleet[0].url",
            "does not contain {host}",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nurl = \"http://{host}/health\"\nhosts = [\"rpi-{9..1}\"]\n",
            4,
            "fleet[0].hosts",
            "the range 9..1 is empty",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nurl = \"http://{host}/health\"\n[[fleet.groups]]\nlocation = \"ams\"\nhosts = [\"a\"]\noffline_threshold = 20\n",
            7,
            "fleet[0].groups[0].offline_threshold",
            "share above 0 and at most 1",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nprometheus = \"mian\"\nquery = \"up\"\n",
            3,
            "fleet[0].prometheus",
            "no [[prometheus]] named `mian`",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nhosts = [\"a\"]\n",
            2,
            "fleet[0].name",
            "needs `url`",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nurl = \"http://{host}/health\"\nhosts = [\"x{1..200000}\"]\n",
            4,
            "fleet[0].hosts",
            "at most 100000",
        ),
        (
            "[[fleet]]\nname = \"edge\"\nurl = \"http://{host}/\"\nhosts = [\"a\"]\nconcurency = 8\n",
            5,
            "concurency",
            "concurrency",
        ),
    ];
    assert_mistakes(&cases);
}

/// Each config text fails naming `c.toml:LINE:`, the key and the message.
fn assert_mistakes(cases: &[(&str, usize, &str, &str)]) {
    for (text, line, key, msg) in cases {
        let err = config::parse(Path::new("c.toml"), text).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains(&format!("c.toml:{line}:")), "{shown}");
        assert!(shown.contains(key), "{shown}");
        assert!(shown.contains(msg), "{shown}");
    }
}

#[test]
fn follow_redirects_to_reads_the_list_and_refuses_a_bad_entry_by_its_key() {
    let path = std::path::Path::new("c.toml");
    let c = config::parse(
        path,
        "[defaults]\nfollow_redirects_to = [\"SSO.internal:443\"]\n",
    )
    .unwrap();
    assert_eq!(
        c.defaults.follow_redirects_to[0].to_string(),
        "sso.internal:443"
    );
    let e = config::parse(
        path,
        "[defaults]\nfollow_redirects_to = [\"sso.internal\"]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("defaults.follow_redirects_to"), "{e}");
    assert!(e.contains("`sso.internal` is not host:port"), "{e}");
    let none = config::parse(path, "").unwrap();
    assert!(none.defaults.follow_redirects_to.is_empty());
}

#[test]
fn bad_rollback_settings_name_their_key() {
    for (toml, key, says) in [
        (
            "[defaults.rollback_on]\nerror_rate = 10\n",
            "defaults.rollback_on.error_rate",
            "not a share of requests",
        ),
        (
            "[[services]]\nname = \"api\"\nrollback_on = { latency_factor = 0.5 }\n",
            "services[0].rollback_on.latency_factor",
            "not a factor above 1",
        ),
        (
            "[[services]]\nname = \"api\"\nrollback_on = { mode = \"auto\" }\n",
            "mode",
            "\"off\", \"suggest\" or \"act\"",
        ),
        (
            "[[services]]\nname = \"door\"\nblue_green = \"shop/door\"\n",
            "blue_green",
            "context/namespace/service",
        ),
    ] {
        let err = config::parse(Path::new("t.toml"), toml)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key) && err.contains(says), "{toml}: {err}");
    }
}
