use serde_json::json;
use time::macros::datetime;

use super::*;

/// Kratos's ID → constant name pairs for every message built here, copied as facts from
/// `text-message-ids.json` (Kratos v1.3).
const KRATOS_NAMES: &[(MessageId, &str)] = &[
    (1010001, "InfoSelfServiceLogin"),
    (1010002, "InfoSelfServiceLoginWith"),
    (1010003, "InfoSelfServiceLoginReAuth"),
    (1010004, "InfoSelfServiceLoginMFA"),
    (1010005, "InfoSelfServiceLoginVerify"),
    (1010013, "InfoSelfServiceLoginContinue"),
    (1010014, "InfoSelfServiceLoginEmailWithCodeSent"),
    (1010015, "InfoSelfServiceLoginCode"),
    (1010016, "InfoSelfServiceLoginLink"),
    (1010017, "InfoSelfServiceLoginAndLink"),
    (1010018, "InfoSelfServiceLoginWithAndLink"),
    (1010019, "InfoSelfServiceLoginCodeMFA"),
    (1010022, "InfoSelfServiceLoginPassword"),
    (1010023, "InfoSelfServiceLoginAAL2CodeAddress"),
    (1040001, "InfoSelfServiceRegistration"),
    (1040002, "InfoSelfServiceRegistrationWith"),
    (1040003, "InfoSelfServiceRegistrationContinue"),
    (1040005, "InfoSelfServiceRegistrationEmailWithCodeSent"),
    (1040006, "InfoSelfServiceRegistrationRegisterCode"),
    (1040008, "InfoSelfServiceRegistrationBack"),
    (1040009, "InfoSelfServiceRegistrationChooseCredentials"),
    (1050001, "InfoSelfServiceSettingsUpdateSuccess"),
    (1060001, "InfoSelfServiceRecoverySuccessful"),
    (1060002, "InfoSelfServiceRecoveryEmailSent"),
    (1060003, "InfoSelfServiceRecoveryEmailWithCodeSent"),
    (1070001, "InfoNodeLabelInputPassword"),
    (1070002, "InfoNodeLabelGenerated"),
    (1070003, "InfoNodeLabelSave"),
    (1070004, "InfoNodeLabelID"),
    (1070005, "InfoNodeLabelSubmit"),
    (1070006, "InfoNodeLabelVerifyOTP"),
    (1070007, "InfoNodeLabelEmail"),
    (1070008, "InfoNodeLabelResendOTP"),
    (1070009, "InfoNodeLabelContinue"),
    (1070010, "InfoNodeLabelRecoveryCode"),
    (1070011, "InfoNodeLabelVerificationCode"),
    (1070012, "InfoNodeLabelRegistrationCode"),
    (1070013, "InfoNodeLabelLoginCode"),
    (1070014, "InfoNodeLabelLoginAndLinkCredential"),
    (1070015, "InfoNodeLabelCaptcha"),
    (1080001, "InfoSelfServiceVerificationEmailSent"),
    (1080002, "InfoSelfServiceVerificationSuccessful"),
    (1080003, "InfoSelfServiceVerificationEmailWithCodeSent"),
    (4000001, "ErrorValidationGeneric"),
    (4000002, "ErrorValidationRequired"),
    (4000003, "ErrorValidationMinLength"),
    (4000004, "ErrorValidationInvalidFormat"),
    (4000005, "ErrorValidationPasswordPolicyViolationGeneric"),
    (4000006, "ErrorValidationInvalidCredentials"),
    (4000007, "ErrorValidationDuplicateCredentials"),
    (4000008, "ErrorValidationTOTPVerifierWrong"),
    (4000009, "ErrorValidationIdentifierMissing"),
    (4000010, "ErrorValidationAddressNotVerified"),
    (4000011, "ErrorValidationNoTOTPDevice"),
    (4000012, "ErrorValidationLookupAlreadyUsed"),
    (4000013, "ErrorValidationNoWebAuthnDevice"),
    (4000014, "ErrorValidationNoLookup"),
    (4000015, "ErrorValidationSuchNoWebAuthnUser"),
    (4000016, "ErrorValidationLookupInvalid"),
    (4000017, "ErrorValidationMaxLength"),
    (4000018, "ErrorValidationMinimum"),
    (4000019, "ErrorValidationExclusiveMinimum"),
    (4000020, "ErrorValidationMaximum"),
    (4000021, "ErrorValidationExclusiveMaximum"),
    (4000022, "ErrorValidationMultipleOf"),
    (4000023, "ErrorValidationMaxItems"),
    (4000024, "ErrorValidationMinItems"),
    (4000025, "ErrorValidationUniqueItems"),
    (4000026, "ErrorValidationWrongType"),
    (4000027, "ErrorValidationDuplicateCredentialsOnOIDCLink"),
    (4000028, "ErrorValidationDuplicateCredentialsWithHints"),
    (4000029, "ErrorValidationConst"),
    (4000030, "ErrorValidationConstGeneric"),
    (4000031, "ErrorValidationPasswordIdentifierTooSimilar"),
    (4000032, "ErrorValidationPasswordMinLength"),
    (4000033, "ErrorValidationPasswordMaxLength"),
    (4000034, "ErrorValidationPasswordTooManyBreaches"),
    (4000035, "ErrorValidationNoCodeUser"),
    (4000036, "ErrorValidationTraitsMismatch"),
    (4000037, "ErrorValidationAccountNotFound"),
    (4000038, "ErrorValidationCaptchaError"),
    (4010001, "ErrorValidationLoginFlowExpired"),
    (4010002, "ErrorValidationLoginNoStrategyFound"),
    (4010003, "ErrorValidationRegistrationNoStrategyFound"),
    (4010004, "ErrorValidationSettingsNoStrategyFound"),
    (4010005, "ErrorValidationRecoveryNoStrategyFound"),
    (4010006, "ErrorValidationVerificationNoStrategyFound"),
    (4010007, "ErrorValidationLoginRetrySuccess"),
    (4010008, "ErrorValidationLoginCodeInvalidOrAlreadyUsed"),
    (4010009, "ErrorValidationLoginLinkedCredentialsDoNotMatch"),
    (4010010, "ErrorValidationLoginAddressUnknown"),
    (4040001, "ErrorValidationRegistrationFlowExpired"),
    (4040002, "ErrorValidateionRegistrationRetrySuccess"),
    (
        4040003,
        "ErrorValidationRegistrationCodeInvalidOrAlreadyUsed",
    ),
    (4050001, "ErrorValidationSettingsFlowExpired"),
    (4060001, "ErrorValidationRecoveryRetrySuccess"),
    (4060002, "ErrorValidationRecoveryStateFailure"),
    (4060003, "ErrorValidationRecoveryMissingRecoveryToken"),
    (4060004, "ErrorValidationRecoveryTokenInvalidOrAlreadyUsed"),
    (4060005, "ErrorValidationRecoveryFlowExpired"),
    (4060006, "ErrorValidationRecoveryCodeInvalidOrAlreadyUsed"),
    (
        4070001,
        "ErrorValidationVerificationTokenInvalidOrAlreadyUsed",
    ),
    (4070002, "ErrorValidationVerificationRetrySuccess"),
    (4070003, "ErrorValidationVerificationStateFailure"),
    (
        4070004,
        "ErrorValidationVerificationMissingVerificationToken",
    ),
    (4070005, "ErrorValidationVerificationFlowExpired"),
    (
        4070006,
        "ErrorValidationVerificationCodeInvalidOrAlreadyUsed",
    ),
    (5000001, "ErrorSystemGeneric"),
];

fn kratos_name(id: MessageId) -> &'static str {
    KRATOS_NAMES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
        .unwrap_or_else(|| panic!("{id} is not a Kratos message ID this catalog uses"))
}

fn t0() -> OffsetDateTime {
    datetime!(2026-03-01 12:00:00 UTC)
}

/// Every constructor, with the Kratos constant its ID must be and its message type.
fn catalog() -> Vec<(UiText, &'static str, UiTextType)> {
    use UiTextType::{Error, Info, Success};
    let v = json!(1);
    let later = t0() + time::Duration::minutes(15);
    vec![
        (login(), "InfoSelfServiceLogin", Info),
        (
            login_with("Google", "google"),
            "InfoSelfServiceLoginWith",
            Info,
        ),
        (login_reauth(), "InfoSelfServiceLoginReAuth", Info),
        (login_mfa(), "InfoSelfServiceLoginMFA", Info),
        (login_verify(), "InfoSelfServiceLoginVerify", Info),
        (login_continue(), "InfoSelfServiceLoginContinue", Info),
        (
            login_email_with_code_sent(),
            "InfoSelfServiceLoginEmailWithCodeSent",
            Info,
        ),
        (login_code(), "InfoSelfServiceLoginCode", Info),
        (
            login_link("a@x", "google", "u", &[], &[]),
            "InfoSelfServiceLoginLink",
            Info,
        ),
        (login_and_link(), "InfoSelfServiceLoginAndLink", Info),
        (
            login_with_and_link("Google"),
            "InfoSelfServiceLoginWithAndLink",
            Info,
        ),
        (login_code_mfa(), "InfoSelfServiceLoginCodeMFA", Info),
        (login_password(), "InfoSelfServiceLoginPassword", Info),
        (
            login_aal2_code_address("email", "a@x"),
            "InfoSelfServiceLoginAAL2CodeAddress",
            Info,
        ),
        (registration(), "InfoSelfServiceRegistration", Info),
        (
            registration_with("Google", "google"),
            "InfoSelfServiceRegistrationWith",
            Info,
        ),
        (
            registration_continue(),
            "InfoSelfServiceRegistrationContinue",
            Info,
        ),
        (
            registration_email_with_code_sent(),
            "InfoSelfServiceRegistrationEmailWithCodeSent",
            Info,
        ),
        (
            registration_register_code(),
            "InfoSelfServiceRegistrationRegisterCode",
            Info,
        ),
        (registration_back(), "InfoSelfServiceRegistrationBack", Info),
        (
            registration_choose_credentials(),
            "InfoSelfServiceRegistrationChooseCredentials",
            Info,
        ),
        (
            settings_update_success(),
            "InfoSelfServiceSettingsUpdateSuccess",
            Success,
        ),
        (
            recovery_successful(later, t0()),
            "InfoSelfServiceRecoverySuccessful",
            Success,
        ),
        (
            recovery_email_sent(),
            "InfoSelfServiceRecoveryEmailSent",
            Info,
        ),
        (
            recovery_email_with_code_sent(),
            "InfoSelfServiceRecoveryEmailWithCodeSent",
            Info,
        ),
        (label_password(), "InfoNodeLabelInputPassword", Info),
        (label_generated("Title"), "InfoNodeLabelGenerated", Info),
        (label_save(), "InfoNodeLabelSave", Info),
        (label_id(), "InfoNodeLabelID", Info),
        (label_submit(), "InfoNodeLabelSubmit", Info),
        (label_verify_otp(), "InfoNodeLabelVerifyOTP", Info),
        (label_email(), "InfoNodeLabelEmail", Info),
        (label_resend_otp(), "InfoNodeLabelResendOTP", Info),
        (label_continue(), "InfoNodeLabelContinue", Info),
        (label_recovery_code(), "InfoNodeLabelRecoveryCode", Info),
        (
            label_verification_code(),
            "InfoNodeLabelVerificationCode",
            Info,
        ),
        (
            label_registration_code(),
            "InfoNodeLabelRegistrationCode",
            Info,
        ),
        (label_login_code(), "InfoNodeLabelLoginCode", Info),
        (
            label_login_and_link_credential(),
            "InfoNodeLabelLoginAndLinkCredential",
            Info,
        ),
        (label_captcha(), "InfoNodeLabelCaptcha", Info),
        (
            verification_email_sent(),
            "InfoSelfServiceVerificationEmailSent",
            Info,
        ),
        (
            verification_successful(),
            "InfoSelfServiceVerificationSuccessful",
            Success,
        ),
        (
            verification_email_with_code_sent(),
            "InfoSelfServiceVerificationEmailWithCodeSent",
            Info,
        ),
        (validation_generic("r"), "ErrorValidationGeneric", Error),
        (validation_required("p"), "ErrorValidationRequired", Error),
        (
            validation_min_length(8, 2),
            "ErrorValidationMinLength",
            Error,
        ),
        (
            validation_invalid_format("^a$"),
            "ErrorValidationInvalidFormat",
            Error,
        ),
        (
            validation_password_policy_violation("r"),
            "ErrorValidationPasswordPolicyViolationGeneric",
            Error,
        ),
        (
            validation_invalid_credentials(),
            "ErrorValidationInvalidCredentials",
            Error,
        ),
        (
            validation_duplicate_credentials(),
            "ErrorValidationDuplicateCredentials",
            Error,
        ),
        (
            validation_totp_verifier_wrong(),
            "ErrorValidationTOTPVerifierWrong",
            Error,
        ),
        (
            validation_identifier_missing(),
            "ErrorValidationIdentifierMissing",
            Error,
        ),
        (
            validation_address_not_verified(),
            "ErrorValidationAddressNotVerified",
            Error,
        ),
        (
            validation_no_totp_device(),
            "ErrorValidationNoTOTPDevice",
            Error,
        ),
        (
            validation_lookup_already_used(),
            "ErrorValidationLookupAlreadyUsed",
            Error,
        ),
        (
            validation_no_webauthn_device(),
            "ErrorValidationNoWebAuthnDevice",
            Error,
        ),
        (validation_no_lookup(), "ErrorValidationNoLookup", Error),
        (
            validation_no_webauthn_user(),
            "ErrorValidationSuchNoWebAuthnUser",
            Error,
        ),
        (
            validation_lookup_invalid(),
            "ErrorValidationLookupInvalid",
            Error,
        ),
        (
            validation_max_length(8, 9),
            "ErrorValidationMaxLength",
            Error,
        ),
        (validation_minimum(&v, &v), "ErrorValidationMinimum", Error),
        (
            validation_exclusive_minimum(&v, &v),
            "ErrorValidationExclusiveMinimum",
            Error,
        ),
        (validation_maximum(&v, &v), "ErrorValidationMaximum", Error),
        (
            validation_exclusive_maximum(&v, &v),
            "ErrorValidationExclusiveMaximum",
            Error,
        ),
        (
            validation_multiple_of(&v, &v),
            "ErrorValidationMultipleOf",
            Error,
        ),
        (validation_max_items(1, 2), "ErrorValidationMaxItems", Error),
        (validation_min_items(2, 1), "ErrorValidationMinItems", Error),
        (
            validation_unique_items(0, 1),
            "ErrorValidationUniqueItems",
            Error,
        ),
        (
            validation_wrong_type(&["string".into()], "integer"),
            "ErrorValidationWrongType",
            Error,
        ),
        (
            validation_duplicate_credentials_on_oidc_link(),
            "ErrorValidationDuplicateCredentialsOnOIDCLink",
            Error,
        ),
        (
            validation_duplicate_credentials_with_hints(&[], &[], ""),
            "ErrorValidationDuplicateCredentialsWithHints",
            Error,
        ),
        (validation_const("\"a\""), "ErrorValidationConst", Error),
        (
            validation_const_generic(),
            "ErrorValidationConstGeneric",
            Error,
        ),
        (
            validation_password_identifier_too_similar(),
            "ErrorValidationPasswordIdentifierTooSimilar",
            Error,
        ),
        (
            validation_password_min_length(8, 3),
            "ErrorValidationPasswordMinLength",
            Error,
        ),
        (
            validation_password_max_length(72, 80),
            "ErrorValidationPasswordMaxLength",
            Error,
        ),
        (
            validation_password_too_many_breaches(3),
            "ErrorValidationPasswordTooManyBreaches",
            Error,
        ),
        (
            validation_no_code_user(),
            "ErrorValidationNoCodeUser",
            Error,
        ),
        (
            validation_traits_mismatch(),
            "ErrorValidationTraitsMismatch",
            Error,
        ),
        (
            validation_account_not_found(),
            "ErrorValidationAccountNotFound",
            Error,
        ),
        (
            validation_captcha_error(),
            "ErrorValidationCaptchaError",
            Error,
        ),
        (
            login_flow_expired(t0(), later),
            "ErrorValidationLoginFlowExpired",
            Error,
        ),
        (
            login_no_strategy_found(),
            "ErrorValidationLoginNoStrategyFound",
            Error,
        ),
        (
            registration_no_strategy_found(),
            "ErrorValidationRegistrationNoStrategyFound",
            Error,
        ),
        (
            settings_no_strategy_found(),
            "ErrorValidationSettingsNoStrategyFound",
            Error,
        ),
        (
            recovery_no_strategy_found(),
            "ErrorValidationRecoveryNoStrategyFound",
            Error,
        ),
        (
            verification_no_strategy_found(),
            "ErrorValidationVerificationNoStrategyFound",
            Error,
        ),
        (
            login_retry_success(),
            "ErrorValidationLoginRetrySuccess",
            Error,
        ),
        (
            login_code_invalid_or_already_used(),
            "ErrorValidationLoginCodeInvalidOrAlreadyUsed",
            Error,
        ),
        (
            login_linked_credentials_do_not_match(),
            "ErrorValidationLoginLinkedCredentialsDoNotMatch",
            Error,
        ),
        (
            login_address_unknown(),
            "ErrorValidationLoginAddressUnknown",
            Error,
        ),
        (
            registration_flow_expired(t0(), later),
            "ErrorValidationRegistrationFlowExpired",
            Error,
        ),
        (
            registration_retry_success(),
            "ErrorValidateionRegistrationRetrySuccess",
            Error,
        ),
        (
            registration_code_invalid_or_already_used(),
            "ErrorValidationRegistrationCodeInvalidOrAlreadyUsed",
            Error,
        ),
        (
            settings_flow_expired(t0(), later),
            "ErrorValidationSettingsFlowExpired",
            Error,
        ),
        (
            recovery_retry_success(),
            "ErrorValidationRecoveryRetrySuccess",
            Error,
        ),
        (
            recovery_state_failure(),
            "ErrorValidationRecoveryStateFailure",
            Error,
        ),
        (
            recovery_missing_recovery_token(),
            "ErrorValidationRecoveryMissingRecoveryToken",
            Error,
        ),
        (
            recovery_token_invalid_or_already_used(),
            "ErrorValidationRecoveryTokenInvalidOrAlreadyUsed",
            Error,
        ),
        (
            recovery_flow_expired(t0(), later),
            "ErrorValidationRecoveryFlowExpired",
            Error,
        ),
        (
            recovery_code_invalid_or_already_used(),
            "ErrorValidationRecoveryCodeInvalidOrAlreadyUsed",
            Error,
        ),
        (
            verification_token_invalid_or_already_used(),
            "ErrorValidationVerificationTokenInvalidOrAlreadyUsed",
            Error,
        ),
        (
            verification_retry_success(),
            "ErrorValidationVerificationRetrySuccess",
            Error,
        ),
        (
            verification_state_failure(),
            "ErrorValidationVerificationStateFailure",
            Error,
        ),
        (
            verification_missing_verification_token(),
            "ErrorValidationVerificationMissingVerificationToken",
            Error,
        ),
        (
            verification_flow_expired(t0(), later),
            "ErrorValidationVerificationFlowExpired",
            Error,
        ),
        (
            verification_code_invalid_or_already_used(),
            "ErrorValidationVerificationCodeInvalidOrAlreadyUsed",
            Error,
        ),
        (system_generic("r"), "ErrorSystemGeneric", Error),
    ]
}

#[test]
fn every_message_has_the_kratos_id_of_its_name_and_type() {
    for (message, name, kind) in catalog() {
        assert_eq!(kratos_name(message.id), name, "{message:?}");
        assert_eq!(message.kind, kind, "{name}");
        assert!(!message.text.is_empty(), "{name} has no text");
    }
}

#[test]
fn the_catalog_covers_every_id_in_the_fact_table() {
    let built: Vec<MessageId> = catalog().iter().map(|(m, _, _)| m.id).collect();
    for (id, name) in KRATOS_NAMES {
        assert!(built.contains(id), "{id} {name} has no constructor");
    }
}

#[test]
fn messages_serialise_as_ui_text() {
    assert_eq!(
        serde_json::to_value(label_password()).unwrap(),
        json!({ "id": 1070001, "text": "Password", "type": "info" })
    );
    assert_eq!(
        serde_json::to_value(label_generated("E-Mail")).unwrap(),
        json!({ "id": 1070002, "text": "E-Mail", "type": "info", "context": { "title": "E-Mail" } })
    );
}

#[test]
fn expired_flow_messages_carry_expired_at_and_its_unix_time() {
    let expired_at = datetime!(2026-03-01 12:00:00 UTC);
    let now = expired_at + time::Duration::seconds(90);
    for message in [
        login_flow_expired(expired_at, now),
        registration_flow_expired(expired_at, now),
        settings_flow_expired(expired_at, now),
        recovery_flow_expired(expired_at, now),
        verification_flow_expired(expired_at, now),
    ] {
        let context = message.context.clone().unwrap();
        assert_eq!(context["expired_at"], "2026-03-01T12:00:00Z");
        assert_eq!(context["expired_at_unix"], expired_at.unix_timestamp());
        assert!(message.text.contains("1.50"), "{}", message.text);
    }
}

#[test]
fn validation_messages_carry_typed_context() {
    let ctx = |m: UiText| Value::Object(m.context.unwrap());
    assert_eq!(
        ctx(validation_required("email")),
        json!({ "property": "email" })
    );
    assert_eq!(
        ctx(validation_min_length(8, 3)),
        json!({ "min_length": 8, "actual_length": 3 })
    );
    assert_eq!(
        ctx(validation_max_length(8, 9)),
        json!({ "max_length": 8, "actual_length": 9 })
    );
    assert_eq!(
        ctx(validation_invalid_format("^a+$")),
        json!({ "pattern": "^a+$" })
    );
    assert_eq!(
        ctx(validation_minimum(&json!(18), &json!(3))),
        json!({ "minimum": 18, "actual": 3 })
    );
    assert_eq!(
        ctx(validation_multiple_of(&json!(2), &json!(3))),
        json!({ "base": 2, "actual": 3 })
    );
    assert_eq!(
        ctx(validation_max_items(1, 2)),
        json!({ "max_items": 1, "actual_items": 2 })
    );
    assert_eq!(
        ctx(validation_min_items(2, 1)),
        json!({ "min_items": 2, "actual_items": 1 })
    );
    assert_eq!(
        ctx(validation_unique_items(0, 2)),
        json!({ "index_a": 0, "index_b": 2 })
    );
    assert_eq!(
        ctx(validation_wrong_type(
            &["string".into(), "null".into()],
            "integer"
        )),
        json!({ "allowed_types": ["string", "null"], "actual_type": "integer" })
    );
    assert_eq!(
        ctx(validation_const("\"x\"")),
        json!({ "expected": "\"x\"" })
    );
    assert_eq!(
        ctx(validation_password_min_length(8, 3)),
        json!({ "min_length": 8, "actual_length": 3 })
    );
    assert_eq!(
        ctx(validation_password_too_many_breaches(12)),
        json!({ "breaches": 12 })
    );
    assert_eq!(
        ctx(validation_duplicate_credentials_with_hints(
            &["password".into()],
            &["github".into()],
            "a@example.com"
        )),
        json!({
            "available_credential_types": ["password"],
            "available_oidc_providers": ["github"],
            "credential_identifier_hint": "a@example.com"
        })
    );
    assert_eq!(ctx(system_generic("boom")), json!({ "reason": "boom" }));
    assert!(validation_invalid_credentials().context.is_none());
}

#[test]
fn recovery_success_names_the_privileged_session_expiry_three_ways() {
    let expires = t0() + time::Duration::minutes(15);
    let message = recovery_successful(expires, t0());
    let context = message.context.clone().unwrap();
    assert_eq!(
        context["privileged_session_expires_at"],
        "2026-03-01T12:15:00Z"
    );
    assert_eq!(
        context["privilegedSessionExpiresAt"],
        "2026-03-01T12:15:00Z"
    );
    assert_eq!(
        context["privileged_session_expires_at_unix"],
        expires.unix_timestamp()
    );
    assert!(message.text.contains("15.00"), "{}", message.text);
}

#[test]
fn login_link_context_has_both_spellings_of_its_keys() {
    let message = login_link(
        "a@example.com",
        "github",
        "https://auth.example.com/self-service/login/browser",
        &["password".into()],
        &["github".into()],
    );
    let context = message.context.unwrap();
    for key in [
        "duplicateIdentifier",
        "duplicate_identifier",
        "provider",
        "newLoginUrl",
        "new_login_url",
        "available_credential_types",
        "available_providers",
    ] {
        assert!(context.contains_key(key), "missing {key}");
    }
}

fn violation(kind: ViolationKind) -> Violation {
    Violation {
        instance_path: "/traits/tags".into(),
        kind,
        message: String::new(),
    }
}

#[test]
fn each_violation_kind_maps_to_its_kratos_message() {
    let cases: Vec<(ViolationKind, MessageId)> = vec![
        (
            ViolationKind::Required {
                property: "email".into(),
            },
            id::ERROR_VALIDATION_REQUIRED,
        ),
        (
            ViolationKind::MinLength {
                min_length: 3,
                actual_length: 1,
            },
            id::ERROR_VALIDATION_MIN_LENGTH,
        ),
        (
            ViolationKind::MaxLength {
                max_length: 3,
                actual_length: 4,
            },
            id::ERROR_VALIDATION_MAX_LENGTH,
        ),
        (
            ViolationKind::Pattern {
                pattern: "^a$".into(),
            },
            id::ERROR_VALIDATION_INVALID_FORMAT,
        ),
        (
            ViolationKind::Format {
                format: "email".into(),
                value: "x".into(),
            },
            id::ERROR_VALIDATION_GENERIC,
        ),
        (
            ViolationKind::Type {
                expected: "string".into(),
                actual: "integer".into(),
            },
            id::ERROR_VALIDATION_WRONG_TYPE,
        ),
        (
            ViolationKind::Minimum {
                minimum: json!(1),
                actual: json!(0),
            },
            id::ERROR_VALIDATION_MINIMUM,
        ),
        (
            ViolationKind::ExclusiveMinimum {
                minimum: json!(1),
                actual: json!(1),
            },
            id::ERROR_VALIDATION_EXCLUSIVE_MINIMUM,
        ),
        (
            ViolationKind::Maximum {
                maximum: json!(1),
                actual: json!(2),
            },
            id::ERROR_VALIDATION_MAXIMUM,
        ),
        (
            ViolationKind::ExclusiveMaximum {
                maximum: json!(1),
                actual: json!(1),
            },
            id::ERROR_VALIDATION_EXCLUSIVE_MAXIMUM,
        ),
        (
            ViolationKind::MultipleOf {
                base: json!(2),
                actual: json!(3),
            },
            id::ERROR_VALIDATION_MULTIPLE_OF,
        ),
        (
            ViolationKind::MinItems {
                min_items: 2,
                actual_items: 1,
            },
            id::ERROR_VALIDATION_MIN_ITEMS,
        ),
        (
            ViolationKind::MaxItems {
                max_items: 1,
                actual_items: 2,
            },
            id::ERROR_VALIDATION_MAX_ITEMS,
        ),
        (
            ViolationKind::UniqueItems,
            id::ERROR_VALIDATION_UNIQUE_ITEMS,
        ),
        (
            ViolationKind::Const {
                expected: json!("gold"),
            },
            id::ERROR_VALIDATION_CONST,
        ),
        (
            ViolationKind::Enum {
                allowed: json!(["a", "b"]),
            },
            id::ERROR_VALIDATION_GENERIC,
        ),
        (
            ViolationKind::AdditionalProperties {
                unexpected: vec!["x".into()],
            },
            id::ERROR_VALIDATION_GENERIC,
        ),
        (
            ViolationKind::Other {
                reason: "odd".into(),
            },
            id::ERROR_VALIDATION_GENERIC,
        ),
    ];
    for (kind, expected) in cases {
        let message = from_violation(&violation(kind.clone()), None);
        assert_eq!(message.id, expected, "{kind:?}");
        assert_eq!(message.kind, UiTextType::Error);
    }
}

#[test]
fn a_type_violation_lists_every_allowed_type() {
    let message = from_violation(
        &violation(ViolationKind::Type {
            expected: "string, null".into(),
            actual: "integer".into(),
        }),
        None,
    );
    assert_eq!(
        message.context.unwrap()["allowed_types"],
        json!(["string", "null"])
    );
}

#[test]
fn unique_items_names_the_first_duplicate_pair_when_the_document_is_known() {
    let document = json!({ "traits": { "tags": ["a", "b", "c", "b", "a"] } });
    let message = from_violation(&violation(ViolationKind::UniqueItems), Some(&document));
    let context = message.context.unwrap();
    assert_eq!(
        (context["index_a"].clone(), context["index_b"].clone()),
        (json!(1), json!(3))
    );
    let unknown = from_violation(&violation(ViolationKind::UniqueItems), None);
    assert_eq!(unknown.context.unwrap()["index_a"], -1);
}

#[test]
fn a_const_violation_carries_the_constant_as_text() {
    let message = from_violation(
        &violation(ViolationKind::Const {
            expected: json!("gold"),
        }),
        None,
    );
    assert_eq!(message.context.unwrap()["expected"], "\"gold\"");
}
