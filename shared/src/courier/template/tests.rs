use base64::Engine;
use serde_json::json;

use super::*;
use crate::config::{Config, ConfigSource};

fn full_data() -> TemplateData {
    TemplateData {
        to: "ada@example.com".into(),
        recovery_url: Some("https://auth.example.com/recovery?token=r3c".into()),
        recovery_code: Some("314159".into()),
        verification_url: Some("https://auth.example.com/verify?code=271828&flow=f".into()),
        verification_code: Some("271828".into()),
        login_code: Some("161803".into()),
        registration_code: Some("141421".into()),
        identity: Some(json!({"id": "i-1", "traits": {"email": "ada@example.com"}})),
        traits: Some(json!({"email": "ada@example.com"})),
        request_url: Some("https://auth.example.com/self-service/x".into()),
        transient_payload: Some(json!({"lang": "en"})),
        subject: None,
        body: None,
    }
}

/// The value each built-in template must show.
fn expected_value(template_type: TemplateType) -> Option<&'static str> {
    match template_type {
        TemplateType::RecoveryValid => Some("https://auth.example.com/recovery?token=r3c"),
        TemplateType::RecoveryCodeValid => Some("314159"),
        TemplateType::VerificationValid => Some("https://auth.example.com/verify?code=271828"),
        TemplateType::VerificationCodeValid => Some("271828"),
        TemplateType::LoginCodeValid => Some("161803"),
        TemplateType::RegistrationCodeValid => Some("141421"),
        _ => None,
    }
}

#[tokio::test]
async fn every_template_type_renders_with_the_built_in_templates() {
    let templates = Templates::builtin();
    for template_type in TemplateType::BUILT_IN {
        let email = templates
            .render_email(template_type, &full_data())
            .unwrap_or_else(|e| panic!("{template_type}: {e}"));
        assert!(!email.subject.is_empty(), "{template_type}");
        assert_eq!(email.subject, email.subject.trim(), "{template_type}");
        assert!(email.html.contains("<html>"), "{template_type}");
        let sms = templates.render_sms(template_type, &full_data()).unwrap();
        assert!(!sms.is_empty() && !sms.ends_with('\n'), "{template_type}");
        if let Some(value) = expected_value(template_type) {
            assert!(
                email.text.contains(value),
                "{template_type}: {}",
                email.text
            );
            assert!(sms.contains(value) || template_type == TemplateType::VerificationCodeValid);
            // In HTML, `&` in links is escaped as an entity.
            assert!(
                email.html.contains(&escape_html(value)),
                "{template_type}: {}",
                email.html
            );
        } else {
            assert!(!email.text.contains("314159") && !email.text.contains("271828"));
        }
    }
}

#[tokio::test]
async fn verification_codes_show_the_link_with_escaped_ampersands_in_html() {
    let email = Templates::builtin()
        .render_email(TemplateType::VerificationCodeValid, &full_data())
        .unwrap();
    assert!(email.text.contains("verify?code=271828&flow=f"));
    assert!(email.html.contains("verify?code=271828&amp;flow=f"));
    assert!(!email.html.contains("&flow"));
}

#[tokio::test]
async fn data_is_escaped_in_html_bodies_but_not_in_text() {
    let data = TemplateData {
        login_code: Some("<b>1</b>".into()),
        ..TemplateData::to("x@example.com")
    };
    let email = Templates::builtin()
        .render_email(TemplateType::LoginCodeValid, &data)
        .unwrap();
    assert!(email.text.contains("<b>1</b>"));
    assert!(email.html.contains("&lt;b&gt;1&lt;/b&gt;"));
    assert!(!email.html.contains("<b>1</b>"));
}

fn config(yaml: &str) -> Config {
    Config::load(&ConfigSource {
        yaml: Some(yaml.to_owned()),
        env: vec![],
    })
    .unwrap()
    .config
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("courier-templates-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn base64_overrides_in_kratos_syntax_render_unchanged() {
    let subject =
        r#"{{ if eq .TransientPayload.lang "de" }}Bestätigen{{ else }}Verify{{ end }} {{ .To }}"#;
    let body = "Code: {{ .VerificationCode }}\nLink: {{ .VerificationURL }}\nHi {{ .Identity.traits.email | upper }}";
    let sms = "{{- /* short */ -}} {{ .VerificationCode }} is your code";
    let encode = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let config = config(&format!(
        "courier:\n  templates:\n    verification_code:\n      valid:\n        email:\n          subject: base64://{}\n          body:\n            plaintext: base64://{}\n        sms:\n          body:\n            plaintext: base64://{}\n",
        encode(subject),
        encode(body),
        encode(sms)
    ));
    let templates = Templates::load(&config.courier.templates, None, None)
        .await
        .unwrap();
    let email = templates
        .render_email(TemplateType::VerificationCodeValid, &full_data())
        .unwrap();
    assert_eq!(email.subject, "Verify ada@example.com");
    assert_eq!(
        email.text,
        "Code: 271828\nLink: https://auth.example.com/verify?code=271828&flow=f\nHi ADA@EXAMPLE.COM"
    );
    // Parts without an override stay built in.
    assert!(email.html.contains("271828"));
    assert_eq!(
        templates
            .render_sms(TemplateType::VerificationCodeValid, &full_data())
            .unwrap(),
        "271828 is your code"
    );
}

#[tokio::test]
async fn file_overrides_resolve_beside_the_configuration() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("recovery.html.gotmpl"),
        r#"<a href="{{ .RecoveryURL }}">{{ .To }}</a>"#,
    )
    .unwrap();
    let config = config(
        "courier:\n  templates:\n    recovery:\n      valid:\n        email:\n          body:\n            html: file://recovery.html.gotmpl\n",
    );
    let templates = Templates::load(&config.courier.templates, None, Some(&dir))
        .await
        .unwrap();
    let data = TemplateData {
        recovery_url: Some("https://a.example/r?x=1&y=2".into()),
        ..TemplateData::to("o'neil@example.com")
    };
    let email = templates
        .render_email(TemplateType::RecoveryValid, &data)
        .unwrap();
    assert_eq!(
        email.html,
        r#"<a href="https://a.example/r?x=1&amp;y=2">o&#39;neil@example.com</a>"#
    );
}

#[tokio::test]
async fn an_override_directory_replaces_files_and_shares_defines() {
    let dir = temp_dir();
    let login = dir.join("login_code/valid");
    std::fs::create_dir_all(&login).unwrap();
    std::fs::write(
        login.join("email.body.plaintext.gotmpl"),
        r#"{{ template "greeting" . }} {{ .LoginCode }}"#,
    )
    .unwrap();
    std::fs::write(
        login.join("email.body.plaintext.en_US.gotmpl"),
        r#"{{ define "greeting" }}Hello {{ .To }},{{ end }}"#,
    )
    .unwrap();
    let templates = Templates::load(&Default::default(), Some(dir.to_str().unwrap()), None)
        .await
        .unwrap();
    let email = templates
        .render_email(TemplateType::LoginCodeValid, &full_data())
        .unwrap();
    assert_eq!(email.text, "Hello ada@example.com, 161803");
    // Files the directory does not have fall back to the built-in ones.
    assert_eq!(email.subject, "Your sign-in code");
}

#[tokio::test]
async fn a_field_the_type_does_not_have_fails_to_render() {
    let encode = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let config = config(&format!(
        "courier:\n  templates:\n    verification:\n      invalid:\n        email:\n          subject: base64://{}\n",
        encode("{{ .VerificationCode }}")
    ));
    let templates = Templates::load(&config.courier.templates, None, None)
        .await
        .unwrap();
    let error = templates
        .render_email(TemplateType::VerificationInvalid, &full_data())
        .unwrap_err();
    assert!(
        matches!(error, TemplateError::Render { ref name, .. } if name == "verification/invalid/email.subject.gotmpl"),
        "{error}"
    );
}

#[tokio::test]
async fn templates_that_do_not_parse_or_load_fail_at_load_time() {
    let encode = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    let config_bad_syntax = config(&format!(
        "courier:\n  templates:\n    login_code:\n      valid:\n        email:\n          subject: base64://{}\n",
        encode("{{ if .To }}unterminated")
    ));
    let error = Templates::load(&config_bad_syntax.courier.templates, None, None)
        .await
        .unwrap_err();
    assert!(matches!(error, TemplateError::Parse { .. }), "{error}");
    let config_missing = config(
        "courier:\n  templates:\n    login_code:\n      valid:\n        email:\n          subject: file:///does/not/exist.gotmpl\n",
    );
    let error = Templates::load(&config_missing.courier.templates, None, None)
        .await
        .unwrap_err();
    assert!(matches!(error, TemplateError::Load { .. }), "{error}");
}

#[test]
fn template_data_serialises_in_kratos_shape_and_debug_hides_codes() {
    let data = TemplateData {
        verification_code: Some("999111".into()),
        ..TemplateData::to("a@example.com")
    };
    assert_eq!(
        serde_json::to_value(&data).unwrap(),
        json!({"to": "a@example.com", "verification_code": "999111"})
    );
    assert!(!format!("{data:?}").contains("999111"));
}
