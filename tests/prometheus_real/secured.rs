//! TLS with a private CA, basic auth and a path prefix, against a real
//! Prometheus started with `--web.config.file` and `--web.route-prefix`.

use opsboard::clients::prometheus::{ApiError, Auth, PromClient, ServerSpec};

use super::{WAIT, spec};
use crate::prom::{PromOptions, Prometheus, eventually, prometheus_config};

#[tokio::test]
async fn tls_with_a_private_ca_basic_auth_and_a_path_prefix() {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "opsboard test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    // bcrypt of "test", from the Prometheus basic-auth guide.
    let web = "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n\
               basic_auth_users:\n  admin: $2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay\n";
    let Some(prom) = Prometheus::start_with(
        &prometheus_config(&[], false, None),
        PromOptions {
            web_yaml: Some(web),
            extra_files: vec![
                ("server.pem", server.pem().into_bytes()),
                ("server-key.pem", server_key.serialize_pem().into_bytes()),
            ],
            route_prefix: Some("/prom"),
            ..PromOptions::default()
        },
    ) else {
        return;
    };
    let base = prom.url();
    assert!(
        base.starts_with("https://") && base.ends_with("/prom/"),
        "{base}"
    );
    // Without the trailing slash: the prefix must survive joining.
    let base = base.trim_end_matches('/').to_string();
    let with = |auth: Auth, trust: bool| ServerSpec {
        auth,
        ca_pem: trust.then(|| ca.pem().into_bytes()),
        ..spec("secure", &base)
    };
    let admin = || Auth::Basic {
        user: "admin".into(),
        password: "test".into(),
    };

    let good = PromClient::new(&with(admin(), true)).unwrap();
    let g = &good;
    let one = eventually("the secured server answers", WAIT, move || async move {
        g.query("1", None).await.map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(one.series[0].points[0].1, 1.0);

    let wrong = PromClient::new(&with(
        Auth::Basic {
            user: "admin".into(),
            password: "s3cret-wrong".into(),
        },
        true,
    ))
    .unwrap();
    let e = wrong.query("1", None).await.unwrap_err();
    assert_eq!(e, ApiError::Unauthorized(401));
    assert_eq!(e.to_string(), "HTTP 401: unauthorized");
    let bearer = PromClient::new(&with(Auth::Bearer("t0ken".into()), true)).unwrap();
    assert_eq!(
        bearer.rules().await.unwrap_err(),
        ApiError::Unauthorized(401)
    );

    // Credentials in the URL work, and a wrong one is not echoed.
    let in_url = base.replacen("https://", "https://admin:test@", 1);
    let mut s = spec("secure", &in_url);
    s.ca_pem = Some(ca.pem().into_bytes());
    assert!(PromClient::new(&s).unwrap().query("1", None).await.is_ok());
    let mut s = spec(
        "secure",
        &base.replacen("https://", "https://admin:hunter2@", 1),
    );
    s.ca_pem = Some(ca.pem().into_bytes());
    let e = PromClient::new(&s)
        .unwrap()
        .query("1", None)
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("hunter2") && !format!("{e:?}").contains("hunter2"));

    let untrusted = PromClient::new(&with(admin(), false)).unwrap();
    let e = untrusted.query("1", None).await.unwrap_err();
    assert!(matches!(e, ApiError::Tls(_)), "{e:?}");
    let text = e.to_string();
    eprintln!("untrusted CA: {text}");
    assert!(
        text.starts_with("TLS: ") && text.to_lowercase().contains("certificate"),
        "{text}"
    );
    assert!(
        !text.contains("127.0.0.1"),
        "the URL stays out of the message: {text}"
    );

    let no_prefix = base.trim_end_matches("/prom").to_string();
    let lost = PromClient::new(&ServerSpec {
        auth: admin(),
        ca_pem: Some(ca.pem().into_bytes()),
        ..spec("secure", &no_prefix)
    })
    .unwrap();
    let e = lost.query("1", None).await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Http {
            status: 404,
            body: "404 page not found".into()
        }
    );
}
