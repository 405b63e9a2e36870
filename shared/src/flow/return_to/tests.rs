use super::*;

fn policy() -> ReturnToPolicy {
    let allowed: Vec<String> = [
        "https://app.example.com",
        "https://admin.example.com:8443/console",
        "https://*.tenants.example.org",
        "exp://192.168.1.10:19000",
        "myapp://callback",
        "http://localhost:4455/app",
        "https://bücher.example",
        "",
        "not a url",
        "https://*",
        "https://*.com",
        "https://*.co.uk",
    ]
    .map(String::from)
    .to_vec();
    ReturnToPolicy::new(
        &allowed,
        Url::parse("https://app.example.com/welcome").unwrap(),
        &Url::parse("https://auth.example.com/").unwrap(),
    )
}

fn allowed(raw: &str) -> String {
    match policy().resolve(Some(raw)) {
        Ok(url) => url.into(),
        Err(e) => panic!("{raw:?} should be allowed, got {e}"),
    }
}

fn refused(raw: &str) -> ReturnToError {
    match policy().resolve(Some(raw)) {
        Ok(url) => panic!("{raw:?} should be refused, resolved to {url}"),
        Err(e) => e,
    }
}

#[test]
fn no_return_to_means_the_default() {
    assert_eq!(
        policy().resolve(None).unwrap().as_str(),
        "https://app.example.com/welcome"
    );
    assert_eq!(
        policy().resolve(Some("")).unwrap().as_str(),
        "https://app.example.com/welcome"
    );
    let other = Url::parse("https://app.example.com/after-login").unwrap();
    assert_eq!(policy().resolve_with_default(None, &other).unwrap(), other);
}

#[test]
fn allow_listed_urls_pass_and_come_back_normalised() {
    assert_eq!(
        allowed("https://app.example.com/dashboard?tab=1#top"),
        "https://app.example.com/dashboard?tab=1#top"
    );
    assert_eq!(
        allowed("https://app.example.com"),
        "https://app.example.com/"
    );
    assert_eq!(
        allowed("HTTPS://APP.EXAMPLE.COM/Mixed"),
        "https://app.example.com/Mixed"
    );
    assert_eq!(
        allowed("https://app.example.com:443/x"),
        "https://app.example.com/x"
    );
    assert_eq!(
        allowed("https://admin.example.com:8443/console/users"),
        "https://admin.example.com:8443/console/users"
    );
    assert_eq!(
        allowed("http://localhost:4455/app/settings"),
        "http://localhost:4455/app/settings"
    );
    // Kratos compares path prefixes as strings.
    allowed("http://localhost:4455/application");
}

#[test]
fn this_deployments_self_service_urls_are_allowed() {
    allowed("https://auth.example.com/self-service/login/browser?refresh=true");
    refused("https://auth.example.com/sessions/whoami");
    refused("https://auth.example.com/");
}

#[test]
fn wildcards_admit_subdomains_only() {
    allowed("https://acme.tenants.example.org/home");
    allowed("https://a.b.tenants.example.org/");
    refused("https://tenants.example.org/");
    refused("https://eviltenants.example.org/");
    refused("https://acme.tenants.example.org.evil.com/");
    refused("http://acme.tenants.example.org/");
    refused("https://acme.tenants.example.org:8443/");
}

#[test]
fn wildcards_over_public_suffixes_and_bare_stars_are_ignored() {
    refused("https://evil.com/");
    refused("https://evil.co.uk/");
    let warnings = config_warnings(
        &[
            "https://*",
            "https://*.com",
            "https://*.co.uk",
            "not a url",
            "https://ok.example.com",
            "",
        ]
        .map(String::from),
    );
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings[0].contains("allowed_return_urls.0"));
}

#[test]
fn paths_must_sit_under_the_allowed_prefix() {
    refused("https://admin.example.com:8443/");
    refused("https://admin.example.com:8443/other");
    // Dot segments are resolved before the check, as the browser resolves them.
    refused("https://admin.example.com:8443/console/../secrets");
    allowed("https://admin.example.com:8443/console/./users");
}

#[test]
fn relative_paths_use_the_default_return_urls_scheme_and_host() {
    assert_eq!(allowed("/dashboard"), "https://app.example.com/dashboard");
    assert_eq!(
        allowed("/dashboard?x=1#y"),
        "https://app.example.com/dashboard?x=1#y"
    );
    // Not starting with `/`: Kratos refuses these too.
    assert!(matches!(
        refused("dashboard"),
        ReturnToError::Forbidden { .. }
    ));
    assert!(matches!(refused("../x"), ReturnToError::Forbidden { .. }));
    assert!(matches!(refused("?x=1"), ReturnToError::Forbidden { .. }));
}

#[test]
fn native_app_schemes_are_allowed_only_when_listed() {
    allowed("exp://192.168.1.10:19000/--/callback");
    allowed("myapp://callback/done");
    refused("exp://192.168.1.11:19000/--/callback");
    refused("otherapp://callback");
    refused("myapp://evil/done");
}

#[test]
fn the_open_redirect_corpus_is_refused() {
    let corpus = [
        // Scheme-relative and slash tricks.
        "//evil.com",
        "///evil.com",
        "////evil.com/",
        "/\\evil.com",
        "\\\\evil.com",
        "\\/evil.com",
        "/\\/evil.com",
        "https:evil.com",
        "https:/evil.com",
        "https:\\\\evil.com",
        "http:/\\evil.com",
        "http:evil.com",
        "https:///evil.com",
        // Userinfo and look-alike hosts.
        "https://app.example.com@evil.com",
        "https://app.example.com:443@evil.com/",
        "https://evil.com\\@app.example.com",
        "https://evil.com#@app.example.com",
        "https://evil.com?@app.example.com",
        "https://app.example.com.evil.com",
        "https://evil.com/app.example.com",
        "https://evilapp.example.com",
        "https://app.example.com.",
        "https://user:pass@app.example.com/",
        "https://user@app.example.com/",
        // Ports and schemes.
        "https://app.example.com:8443/",
        "http://app.example.com/",
        "ftp://app.example.com/",
        "wss://app.example.com/",
        // Script and data URLs.
        "javascript:alert(1)",
        "JavaScript:alert(document.domain)",
        "javascript://app.example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "blob:https://app.example.com/uuid",
        // Percent-encoding tricks.
        "https://app.example.com%2F@evil.com",
        "https://evil.com%2F%2Fapp.example.com",
        "https://app.example.com%40evil.com",
        "//%65vil.com",
        // IDN and punycode look-alikes (Cyrillic "а").
        "https://аpp.example.com/",
        "https://xn--pp-8kc.example.com/",
        "https://bücher.example.evil.com/",
        // Other hosts entirely.
        "https://evil.com",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://0x7f.0.0.1/",
        "//app.example.com@evil.com",
    ];
    for raw in corpus {
        refused(raw);
    }
}

#[test]
fn whitespace_and_control_characters_are_malformed() {
    for raw in [
        " https://app.example.com/",
        "https://app.example.com/ ",
        "\thttps://app.example.com/",
        "https://app.exa\tmple.com/",
        "https://app.example.com/\r\nSet-Cookie: x=y",
        "/\t/evil.com",
        "java\nscript:alert(1)",
        "https://app.example.com/\u{0}",
        "\u{7f}//evil.com",
    ] {
        assert!(
            matches!(refused(raw), ReturnToError::Malformed { .. }),
            "{raw:?}"
        );
    }
}

#[test]
fn unparseable_urls_are_malformed_not_forbidden() {
    for raw in [
        "https://",
        "https://app.example.com:99999/",
        "https://[::1/",
    ] {
        assert!(
            matches!(refused(raw), ReturnToError::Malformed { .. }),
            "{raw:?}"
        );
    }
}

#[test]
fn internationalised_hosts_match_in_punycode() {
    assert_eq!(
        allowed("https://bücher.example/x"),
        "https://xn--bcher-kva.example/x"
    );
    allowed("https://xn--bcher-kva.example/x");
    allowed("https://BÜCHER.example/x");
}

#[test]
fn percent_encoded_hosts_are_decoded_before_the_check() {
    // A browser decodes these to the allowed host too, so they are safe to allow.
    assert_eq!(
        allowed("https://app%2Eexample.com/x"),
        "https://app.example.com/x"
    );
}

#[test]
fn is_allowed_checks_absolute_urls_directly() {
    let policy = policy();
    assert!(policy.is_allowed(&Url::parse("https://app.example.com/a").unwrap()));
    assert!(!policy.is_allowed(&Url::parse("https://evil.com/").unwrap()));
    assert_eq!(
        policy.default_url().as_str(),
        "https://app.example.com/welcome"
    );
}

#[test]
fn the_config_default_falls_back_to_the_public_base_url() {
    let config = Config::default();
    let base = Url::parse("https://auth.example.com/").unwrap();
    let policy = ReturnToPolicy::from_config(&config, &base);
    assert_eq!(policy.resolve(None).unwrap(), base);
}

#[test]
fn loading_a_config_warns_about_ignored_allow_list_entries() {
    let loaded = Config::load(&crate::config::ConfigSource {
        yaml: Some(
            "selfservice:\n  allowed_return_urls:\n    - https://*.com\n    - https://ok.example.com\n"
                .into(),
        ),
        env: Vec::new(),
    })
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("selfservice.allowed_return_urls.0")),
        "{:?}",
        loaded.warnings
    );
    assert!(
        !loaded
            .warnings
            .iter()
            .any(|w| w.contains("allowed_return_urls.1"))
    );
}
