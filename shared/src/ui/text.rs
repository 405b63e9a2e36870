//! The UI message catalog: every text a flow shows, under Kratos's stable numeric IDs.
//!
//! Clients such as Ory Elements translate by `id` and read values from `context`, so the
//! IDs, the `type` and the `context` keys (and their JSON types) follow Kratos v1.3
//! exactly; the English `text` is this implementation's own wording.
//!
//! Messages whose text mentions elapsed time take `now` explicitly, so that they are
//! deterministic under an injected clock.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::schema::{Violation, ViolationKind};

/// A message ID (`uiText.id`).
pub type MessageId = u32;

/// How a message is meant to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UiTextType {
    Info,
    Error,
    Success,
}

/// One message (`uiText`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiText {
    pub id: MessageId,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: UiTextType,
    /// Values a client may interpolate into its own translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

impl UiText {
    fn new(id: MessageId, kind: UiTextType, text: impl Into<String>) -> Self {
        Self {
            id,
            text: text.into(),
            kind,
            context: None,
        }
    }

    fn info(id: MessageId, text: impl Into<String>) -> Self {
        Self::new(id, UiTextType::Info, text)
    }

    fn error(id: MessageId, text: impl Into<String>) -> Self {
        Self::new(id, UiTextType::Error, text)
    }

    fn success(id: MessageId, text: impl Into<String>) -> Self {
        Self::new(id, UiTextType::Success, text)
    }

    /// Attaches `context`, which must be a JSON object.
    fn with_context(mut self, context: Value) -> Self {
        match context {
            Value::Object(map) if !map.is_empty() => self.context = Some(map),
            _ => debug_assert!(false, "message context must be a non-empty object"),
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.kind == UiTextType::Error
    }
}

/// The message IDs, named after Kratos's constants (`text/id.go`).
pub mod id {
    use super::MessageId;

    pub const INFO_SELF_SERVICE_LOGIN: MessageId = 1010001;
    pub const INFO_SELF_SERVICE_LOGIN_WITH: MessageId = 1010002;
    pub const INFO_SELF_SERVICE_LOGIN_RE_AUTH: MessageId = 1010003;
    pub const INFO_SELF_SERVICE_LOGIN_MFA: MessageId = 1010004;
    pub const INFO_SELF_SERVICE_LOGIN_VERIFY: MessageId = 1010005;
    pub const INFO_SELF_SERVICE_LOGIN_CONTINUE: MessageId = 1010013;
    pub const INFO_SELF_SERVICE_LOGIN_EMAIL_WITH_CODE_SENT: MessageId = 1010014;
    pub const INFO_SELF_SERVICE_LOGIN_CODE: MessageId = 1010015;
    pub const INFO_SELF_SERVICE_LOGIN_LINK: MessageId = 1010016;
    pub const INFO_SELF_SERVICE_LOGIN_AND_LINK: MessageId = 1010017;
    pub const INFO_SELF_SERVICE_LOGIN_WITH_AND_LINK: MessageId = 1010018;
    pub const INFO_SELF_SERVICE_LOGIN_CODE_MFA: MessageId = 1010019;
    pub const INFO_SELF_SERVICE_LOGIN_PASSWORD: MessageId = 1010022;
    pub const INFO_SELF_SERVICE_LOGIN_AAL2_CODE_ADDRESS: MessageId = 1010023;

    pub const INFO_SELF_SERVICE_REGISTRATION: MessageId = 1040001;
    pub const INFO_SELF_SERVICE_REGISTRATION_WITH: MessageId = 1040002;
    pub const INFO_SELF_SERVICE_REGISTRATION_CONTINUE: MessageId = 1040003;
    pub const INFO_SELF_SERVICE_REGISTRATION_EMAIL_WITH_CODE_SENT: MessageId = 1040005;
    pub const INFO_SELF_SERVICE_REGISTRATION_REGISTER_CODE: MessageId = 1040006;
    pub const INFO_SELF_SERVICE_REGISTRATION_BACK: MessageId = 1040008;
    pub const INFO_SELF_SERVICE_REGISTRATION_CHOOSE_CREDENTIALS: MessageId = 1040009;

    pub const INFO_SELF_SERVICE_SETTINGS_UPDATE_SUCCESS: MessageId = 1050001;

    pub const INFO_SELF_SERVICE_RECOVERY_SUCCESSFUL: MessageId = 1060001;
    pub const INFO_SELF_SERVICE_RECOVERY_EMAIL_SENT: MessageId = 1060002;
    pub const INFO_SELF_SERVICE_RECOVERY_EMAIL_WITH_CODE_SENT: MessageId = 1060003;

    pub const INFO_NODE_LABEL_INPUT_PASSWORD: MessageId = 1070001;
    pub const INFO_NODE_LABEL_GENERATED: MessageId = 1070002;
    pub const INFO_NODE_LABEL_SAVE: MessageId = 1070003;
    pub const INFO_NODE_LABEL_ID: MessageId = 1070004;
    pub const INFO_NODE_LABEL_SUBMIT: MessageId = 1070005;
    pub const INFO_NODE_LABEL_VERIFY_OTP: MessageId = 1070006;
    pub const INFO_NODE_LABEL_EMAIL: MessageId = 1070007;
    pub const INFO_NODE_LABEL_RESEND_OTP: MessageId = 1070008;
    pub const INFO_NODE_LABEL_CONTINUE: MessageId = 1070009;
    pub const INFO_NODE_LABEL_RECOVERY_CODE: MessageId = 1070010;
    pub const INFO_NODE_LABEL_VERIFICATION_CODE: MessageId = 1070011;
    pub const INFO_NODE_LABEL_REGISTRATION_CODE: MessageId = 1070012;
    pub const INFO_NODE_LABEL_LOGIN_CODE: MessageId = 1070013;
    pub const INFO_NODE_LABEL_LOGIN_AND_LINK_CREDENTIAL: MessageId = 1070014;
    pub const INFO_NODE_LABEL_CAPTCHA: MessageId = 1070015;

    pub const INFO_SELF_SERVICE_VERIFICATION_EMAIL_SENT: MessageId = 1080001;
    pub const INFO_SELF_SERVICE_VERIFICATION_SUCCESSFUL: MessageId = 1080002;
    pub const INFO_SELF_SERVICE_VERIFICATION_EMAIL_WITH_CODE_SENT: MessageId = 1080003;

    pub const ERROR_VALIDATION_GENERIC: MessageId = 4000001;
    pub const ERROR_VALIDATION_REQUIRED: MessageId = 4000002;
    pub const ERROR_VALIDATION_MIN_LENGTH: MessageId = 4000003;
    pub const ERROR_VALIDATION_INVALID_FORMAT: MessageId = 4000004;
    pub const ERROR_VALIDATION_PASSWORD_POLICY_VIOLATION_GENERIC: MessageId = 4000005;
    pub const ERROR_VALIDATION_INVALID_CREDENTIALS: MessageId = 4000006;
    pub const ERROR_VALIDATION_DUPLICATE_CREDENTIALS: MessageId = 4000007;
    pub const ERROR_VALIDATION_TOTP_VERIFIER_WRONG: MessageId = 4000008;
    pub const ERROR_VALIDATION_IDENTIFIER_MISSING: MessageId = 4000009;
    pub const ERROR_VALIDATION_ADDRESS_NOT_VERIFIED: MessageId = 4000010;
    pub const ERROR_VALIDATION_NO_TOTP_DEVICE: MessageId = 4000011;
    pub const ERROR_VALIDATION_LOOKUP_ALREADY_USED: MessageId = 4000012;
    pub const ERROR_VALIDATION_NO_WEB_AUTHN_DEVICE: MessageId = 4000013;
    pub const ERROR_VALIDATION_NO_LOOKUP: MessageId = 4000014;
    pub const ERROR_VALIDATION_SUCH_NO_WEB_AUTHN_USER: MessageId = 4000015;
    pub const ERROR_VALIDATION_LOOKUP_INVALID: MessageId = 4000016;
    pub const ERROR_VALIDATION_MAX_LENGTH: MessageId = 4000017;
    pub const ERROR_VALIDATION_MINIMUM: MessageId = 4000018;
    pub const ERROR_VALIDATION_EXCLUSIVE_MINIMUM: MessageId = 4000019;
    pub const ERROR_VALIDATION_MAXIMUM: MessageId = 4000020;
    pub const ERROR_VALIDATION_EXCLUSIVE_MAXIMUM: MessageId = 4000021;
    pub const ERROR_VALIDATION_MULTIPLE_OF: MessageId = 4000022;
    pub const ERROR_VALIDATION_MAX_ITEMS: MessageId = 4000023;
    pub const ERROR_VALIDATION_MIN_ITEMS: MessageId = 4000024;
    pub const ERROR_VALIDATION_UNIQUE_ITEMS: MessageId = 4000025;
    pub const ERROR_VALIDATION_WRONG_TYPE: MessageId = 4000026;
    pub const ERROR_VALIDATION_DUPLICATE_CREDENTIALS_ON_OIDC_LINK: MessageId = 4000027;
    pub const ERROR_VALIDATION_DUPLICATE_CREDENTIALS_WITH_HINTS: MessageId = 4000028;
    pub const ERROR_VALIDATION_CONST: MessageId = 4000029;
    pub const ERROR_VALIDATION_CONST_GENERIC: MessageId = 4000030;
    pub const ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR: MessageId = 4000031;
    pub const ERROR_VALIDATION_PASSWORD_MIN_LENGTH: MessageId = 4000032;
    pub const ERROR_VALIDATION_PASSWORD_MAX_LENGTH: MessageId = 4000033;
    pub const ERROR_VALIDATION_PASSWORD_TOO_MANY_BREACHES: MessageId = 4000034;
    pub const ERROR_VALIDATION_NO_CODE_USER: MessageId = 4000035;
    pub const ERROR_VALIDATION_TRAITS_MISMATCH: MessageId = 4000036;
    pub const ERROR_VALIDATION_ACCOUNT_NOT_FOUND: MessageId = 4000037;
    pub const ERROR_VALIDATION_CAPTCHA_ERROR: MessageId = 4000038;

    pub const ERROR_VALIDATION_LOGIN_FLOW_EXPIRED: MessageId = 4010001;
    pub const ERROR_VALIDATION_LOGIN_NO_STRATEGY_FOUND: MessageId = 4010002;
    pub const ERROR_VALIDATION_REGISTRATION_NO_STRATEGY_FOUND: MessageId = 4010003;
    pub const ERROR_VALIDATION_SETTINGS_NO_STRATEGY_FOUND: MessageId = 4010004;
    pub const ERROR_VALIDATION_RECOVERY_NO_STRATEGY_FOUND: MessageId = 4010005;
    pub const ERROR_VALIDATION_VERIFICATION_NO_STRATEGY_FOUND: MessageId = 4010006;
    pub const ERROR_VALIDATION_LOGIN_RETRY_SUCCESS: MessageId = 4010007;
    pub const ERROR_VALIDATION_LOGIN_CODE_INVALID_OR_ALREADY_USED: MessageId = 4010008;
    pub const ERROR_VALIDATION_LOGIN_LINKED_CREDENTIALS_DO_NOT_MATCH: MessageId = 4010009;
    pub const ERROR_VALIDATION_LOGIN_ADDRESS_UNKNOWN: MessageId = 4010010;

    pub const ERROR_VALIDATION_REGISTRATION_FLOW_EXPIRED: MessageId = 4040001;
    /// Kratos spells this constant `ErrorValidateionRegistrationRetrySuccess`.
    pub const ERROR_VALIDATION_REGISTRATION_RETRY_SUCCESS: MessageId = 4040002;
    pub const ERROR_VALIDATION_REGISTRATION_CODE_INVALID_OR_ALREADY_USED: MessageId = 4040003;

    pub const ERROR_VALIDATION_SETTINGS_FLOW_EXPIRED: MessageId = 4050001;

    pub const ERROR_VALIDATION_RECOVERY_RETRY_SUCCESS: MessageId = 4060001;
    pub const ERROR_VALIDATION_RECOVERY_STATE_FAILURE: MessageId = 4060002;
    pub const ERROR_VALIDATION_RECOVERY_MISSING_RECOVERY_TOKEN: MessageId = 4060003;
    pub const ERROR_VALIDATION_RECOVERY_TOKEN_INVALID_OR_ALREADY_USED: MessageId = 4060004;
    pub const ERROR_VALIDATION_RECOVERY_FLOW_EXPIRED: MessageId = 4060005;
    pub const ERROR_VALIDATION_RECOVERY_CODE_INVALID_OR_ALREADY_USED: MessageId = 4060006;

    pub const ERROR_VALIDATION_VERIFICATION_TOKEN_INVALID_OR_ALREADY_USED: MessageId = 4070001;
    pub const ERROR_VALIDATION_VERIFICATION_RETRY_SUCCESS: MessageId = 4070002;
    pub const ERROR_VALIDATION_VERIFICATION_STATE_FAILURE: MessageId = 4070003;
    pub const ERROR_VALIDATION_VERIFICATION_MISSING_VERIFICATION_TOKEN: MessageId = 4070004;
    pub const ERROR_VALIDATION_VERIFICATION_FLOW_EXPIRED: MessageId = 4070005;
    pub const ERROR_VALIDATION_VERIFICATION_CODE_INVALID_OR_ALREADY_USED: MessageId = 4070006;

    pub const ERROR_SYSTEM_GENERIC: MessageId = 5000001;
}

/// A timestamp as Go's `time.Time` marshals it (RFC 3339).
fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

fn minutes_between(earlier: OffsetDateTime, later: OffsetDateTime) -> f64 {
    (later - earlier).as_seconds_f64() / 60.0
}

fn expiry_context(expired_at: OffsetDateTime) -> Value {
    json!({
        "expired_at": timestamp(expired_at),
        "expired_at_unix": expired_at.unix_timestamp(),
    })
}

// ---- login (1010xxx) -------------------------------------------------------------------

pub fn login() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_LOGIN, "Sign in")
}

/// The button of a social sign-in provider.
pub fn login_with(provider: &str, provider_id: &str) -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_WITH,
        format!("Sign in with {provider}"),
    )
    .with_context(json!({ "provider": provider, "provider_id": provider_id }))
}

/// Shown on a `refresh=true` login flow.
pub fn login_reauth() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_RE_AUTH,
        "Confirm that it is you to continue.",
    )
}

pub fn login_mfa() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_MFA,
        "Complete the second sign-in step.",
    )
}

pub fn login_verify() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_LOGIN_VERIFY, "Verify")
}

pub fn login_continue() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_LOGIN_CONTINUE, "Continue")
}

pub fn login_email_with_code_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_EMAIL_WITH_CODE_SENT,
        "We sent a sign-in code to the email address you entered. If nothing arrives, check \
         the address for typos and request a new code.",
    )
}

/// The button that sends a one-time sign-in code.
pub fn login_code() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_LOGIN_CODE, "Send sign-in code")
}

/// Shown when a social sign-in matched an existing account that must be linked first.
pub fn login_link(
    duplicate_identifier: &str,
    provider: &str,
    new_login_url: &str,
    available_credential_types: &[String],
    available_providers: &[String],
) -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_LINK,
        format!(
            "\"{duplicate_identifier}\" already belongs to an account. Sign in to that account \
             with one of the options below to add {provider} as another way to sign in."
        ),
    )
    .with_context(json!({
        "duplicateIdentifier": duplicate_identifier,
        "provider": provider,
        "newLoginUrl": new_login_url,
        "duplicate_identifier": duplicate_identifier,
        "new_login_url": new_login_url,
        "available_credential_types": available_credential_types,
        "available_providers": available_providers,
    }))
}

pub fn login_and_link() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_LOGIN_AND_LINK, "Sign in and link")
}

pub fn login_with_and_link(provider: &str) -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_WITH_AND_LINK,
        format!("Confirm with {provider}"),
    )
    .with_context(json!({ "provider": provider }))
}

pub fn login_code_mfa() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_CODE_MFA,
        "Request a code to continue",
    )
}

/// The submit button of the password method on a login flow.
pub fn login_password() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_PASSWORD,
        "Sign in with password",
    )
}

/// A second-factor code destination (`channel` is `email` or `sms`).
pub fn login_aal2_code_address(channel: &str, address: &str) -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_LOGIN_AAL2_CODE_ADDRESS,
        format!("Send a code to {address}"),
    )
    .with_context(json!({ "address": address, "channel": channel }))
}

// ---- registration (1040xxx) ------------------------------------------------------------

pub fn registration() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_REGISTRATION, "Sign up")
}

pub fn registration_with(provider: &str, provider_id: &str) -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_REGISTRATION_WITH,
        format!("Sign up with {provider}"),
    )
    .with_context(json!({ "provider": provider, "provider_id": provider_id }))
}

pub fn registration_continue() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_REGISTRATION_CONTINUE, "Continue")
}

pub fn registration_email_with_code_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_REGISTRATION_EMAIL_WITH_CODE_SENT,
        "We sent a sign-up code to the email address you entered. If nothing arrives, check \
         the address for typos and try again.",
    )
}

/// The button that sends a one-time sign-up code.
pub fn registration_register_code() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_REGISTRATION_REGISTER_CODE,
        "Send sign-up code",
    )
}

pub fn registration_back() -> UiText {
    UiText::info(id::INFO_SELF_SERVICE_REGISTRATION_BACK, "Back")
}

pub fn registration_choose_credentials() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_REGISTRATION_CHOOSE_CREDENTIALS,
        "Choose how you want to sign in to your account.",
    )
}

// ---- settings (1050xxx) ----------------------------------------------------------------

pub fn settings_update_success() -> UiText {
    UiText::success(
        id::INFO_SELF_SERVICE_SETTINGS_UPDATE_SUCCESS,
        "Your changes were saved.",
    )
}

// ---- recovery (1060xxx) ----------------------------------------------------------------

/// Shown after recovery; the privileged session lets the user set new credentials.
pub fn recovery_successful(
    privileged_session_expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> UiText {
    let minutes = minutes_between(now, privileged_session_expires_at);
    let at = timestamp(privileged_session_expires_at);
    UiText::success(
        id::INFO_SELF_SERVICE_RECOVERY_SUCCESSFUL,
        format!(
            "Your account is recovered. Within the next {minutes:.2} minutes, set a new password \
             or another way to sign in."
        ),
    )
    .with_context(json!({
        "privilegedSessionExpiresAt": at,
        "privileged_session_expires_at": at,
        "privileged_session_expires_at_unix": privileged_session_expires_at.unix_timestamp(),
    }))
}

pub fn recovery_email_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_RECOVERY_EMAIL_SENT,
        "If the address you entered belongs to an account, a recovery link is on its way. \
         Check for typos if nothing arrives, and use the address you signed up with.",
    )
}

pub fn recovery_email_with_code_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_RECOVERY_EMAIL_WITH_CODE_SENT,
        "If the address you entered belongs to an account, a recovery code is on its way. \
         Check for typos if nothing arrives, and use the address you signed up with.",
    )
}

// ---- node labels (1070xxx) -------------------------------------------------------------

pub fn label_password() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_INPUT_PASSWORD, "Password")
}

/// A label taken from the identity schema (a property's `title`).
pub fn label_generated(title: &str) -> UiText {
    UiText::info(id::INFO_NODE_LABEL_GENERATED, title).with_context(json!({ "title": title }))
}

pub fn label_save() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_SAVE, "Save")
}

/// The generic label of a login identifier field.
pub fn label_id() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_ID, "ID")
}

pub fn label_submit() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_SUBMIT, "Submit")
}

pub fn label_verify_otp() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_VERIFY_OTP, "Verify code")
}

pub fn label_email() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_EMAIL, "Email")
}

pub fn label_resend_otp() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_RESEND_OTP, "Send a new code")
}

pub fn label_continue() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_CONTINUE, "Continue")
}

pub fn label_recovery_code() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_RECOVERY_CODE, "Recovery code")
}

pub fn label_verification_code() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_VERIFICATION_CODE, "Verification code")
}

pub fn label_registration_code() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_REGISTRATION_CODE, "Sign-up code")
}

pub fn label_login_code() -> UiText {
    UiText::info(id::INFO_NODE_LABEL_LOGIN_CODE, "Sign-in code")
}

pub fn label_login_and_link_credential() -> UiText {
    UiText::info(
        id::INFO_NODE_LABEL_LOGIN_AND_LINK_CREDENTIAL,
        "Sign in and link this credential",
    )
}

pub fn label_captcha() -> UiText {
    UiText::info(
        id::INFO_NODE_LABEL_CAPTCHA,
        "Solve the captcha to continue.",
    )
}

// ---- verification (1080xxx) ------------------------------------------------------------

pub fn verification_email_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_VERIFICATION_EMAIL_SENT,
        "If the address you entered belongs to an account, a verification link is on its way. \
         Check for typos if nothing arrives, and use the address you signed up with.",
    )
}

pub fn verification_successful() -> UiText {
    UiText::success(
        id::INFO_SELF_SERVICE_VERIFICATION_SUCCESSFUL,
        "Your address is verified.",
    )
}

pub fn verification_email_with_code_sent() -> UiText {
    UiText::info(
        id::INFO_SELF_SERVICE_VERIFICATION_EMAIL_WITH_CODE_SENT,
        "If the address you entered belongs to an account, a verification code is on its way. \
         Check for typos if nothing arrives, and use the address you signed up with.",
    )
}

// ---- validation (4000xxx) --------------------------------------------------------------

/// A validation failure without a more specific message.
pub fn validation_generic(reason: &str) -> UiText {
    UiText::error(id::ERROR_VALIDATION_GENERIC, reason).with_context(json!({ "reason": reason }))
}

pub fn validation_required(property: &str) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_REQUIRED,
        format!("The field {property} is required."),
    )
    .with_context(json!({ "property": property }))
}

pub fn validation_min_length(min_length: u64, actual_length: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MIN_LENGTH,
        format!("Must be at least {min_length} characters long; this is {actual_length}."),
    )
    .with_context(json!({ "min_length": min_length, "actual_length": actual_length }))
}

pub fn validation_max_length(max_length: u64, actual_length: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MAX_LENGTH,
        format!("Must be at most {max_length} characters long; this is {actual_length}."),
    )
    .with_context(json!({ "max_length": max_length, "actual_length": actual_length }))
}

/// The value does not match the schema's `pattern`.
pub fn validation_invalid_format(pattern: &str) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_INVALID_FORMAT,
        format!("Does not match the pattern {pattern:?}."),
    )
    .with_context(json!({ "pattern": pattern }))
}

pub fn validation_password_policy_violation(reason: &str) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_PASSWORD_POLICY_VIOLATION_GENERIC,
        format!("This password cannot be used: {reason}."),
    )
    .with_context(json!({ "reason": reason }))
}

pub fn validation_invalid_credentials() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_INVALID_CREDENTIALS,
        "The credentials are not valid. Check the identifier and the password for typos.",
    )
}

pub fn validation_duplicate_credentials() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_DUPLICATE_CREDENTIALS,
        "An account with this identifier (email, phone number or username) already exists.",
    )
}

pub fn validation_totp_verifier_wrong() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_TOTP_VERIFIER_WRONG,
        "The authentication code is not valid. Try again.",
    )
}

pub fn validation_identifier_missing() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_IDENTIFIER_MISSING,
        "No sign-in identifier was found in the submitted data. The identity schema may not \
         mark any field as an identifier.",
    )
}

pub fn validation_address_not_verified() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_ADDRESS_NOT_VERIFIED,
        "This account is not active until its address is verified.",
    )
}

pub fn validation_no_totp_device() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_NO_TOTP_DEVICE,
        "No authenticator app is set up for this account.",
    )
}

pub fn validation_lookup_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOOKUP_ALREADY_USED,
        "This backup code was used before.",
    )
}

pub fn validation_no_webauthn_device() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_NO_WEB_AUTHN_DEVICE,
        "No security key is set up for this account.",
    )
}

pub fn validation_no_lookup() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_NO_LOOKUP,
        "No backup codes are set up for this account.",
    )
}

pub fn validation_no_webauthn_user() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_SUCH_NO_WEB_AUTHN_USER,
        "Either this account does not exist or it has no security key.",
    )
}

pub fn validation_lookup_invalid() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOOKUP_INVALID,
        "This backup code is not valid.",
    )
}

/// `minimum` and `actual` are JSON numbers.
pub fn validation_minimum(minimum: &Value, actual: &Value) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MINIMUM,
        format!("Must be {minimum} or more; this is {actual}."),
    )
    .with_context(json!({ "minimum": minimum, "actual": actual }))
}

pub fn validation_exclusive_minimum(minimum: &Value, actual: &Value) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_EXCLUSIVE_MINIMUM,
        format!("Must be more than {minimum}; this is {actual}."),
    )
    .with_context(json!({ "minimum": minimum, "actual": actual }))
}

pub fn validation_maximum(maximum: &Value, actual: &Value) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MAXIMUM,
        format!("Must be {maximum} or less; this is {actual}."),
    )
    .with_context(json!({ "maximum": maximum, "actual": actual }))
}

pub fn validation_exclusive_maximum(maximum: &Value, actual: &Value) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_EXCLUSIVE_MAXIMUM,
        format!("Must be less than {maximum}; this is {actual}."),
    )
    .with_context(json!({ "maximum": maximum, "actual": actual }))
}

pub fn validation_multiple_of(base: &Value, actual: &Value) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MULTIPLE_OF,
        format!("Must be a multiple of {base}; this is {actual}."),
    )
    .with_context(json!({ "base": base, "actual": actual }))
}

pub fn validation_max_items(max_items: u64, actual_items: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MAX_ITEMS,
        format!("At most {max_items} items are allowed; this has {actual_items}."),
    )
    .with_context(json!({ "max_items": max_items, "actual_items": actual_items }))
}

pub fn validation_min_items(min_items: u64, actual_items: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_MIN_ITEMS,
        format!("At least {min_items} items are required; this has {actual_items}."),
    )
    .with_context(json!({ "min_items": min_items, "actual_items": actual_items }))
}

/// Two items of a list that must be unique are equal. Indexes are -1 when unknown.
pub fn validation_unique_items(index_a: i64, index_b: i64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_UNIQUE_ITEMS,
        format!("Items {index_a} and {index_b} are the same; every item must be unique."),
    )
    .with_context(json!({ "index_a": index_a, "index_b": index_b }))
}

/// `allowed_types` are JSON Schema type names (`string`, `integer`, ...).
pub fn validation_wrong_type(allowed_types: &[String], actual_type: &str) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_WRONG_TYPE,
        format!(
            "Expected a value of type {}, but got {actual_type}.",
            allowed_types.join(" or ")
        ),
    )
    .with_context(json!({ "allowed_types": allowed_types, "actual_type": actual_type }))
}

pub fn validation_duplicate_credentials_on_oidc_link() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_DUPLICATE_CREDENTIALS_ON_OIDC_LINK,
        "An account with this identifier (email, phone number or username) already exists. \
         Sign in to it first to link your social profile.",
    )
}

/// Registration found an existing account; the hints say how to sign in to it instead.
pub fn validation_duplicate_credentials_with_hints(
    available_credential_types: &[String],
    available_oidc_providers: &[String],
    credential_identifier_hint: &str,
) -> UiText {
    let who = if credential_identifier_hint.is_empty() {
        "This identifier".to_owned()
    } else {
        format!("\"{credential_identifier_hint}\"")
    };
    let mut text = format!("{who} already belongs to another account.");
    if !available_credential_types.is_empty() {
        text.push_str(&format!(
            " Sign in with: {}.",
            available_credential_types.join(", ")
        ));
    }
    if !available_oidc_providers.is_empty() {
        text.push_str(&format!(
            " Social sign-in providers: {}.",
            available_oidc_providers.join(", ")
        ));
    }
    UiText::error(id::ERROR_VALIDATION_DUPLICATE_CREDENTIALS_WITH_HINTS, text).with_context(json!({
        "available_credential_types": available_credential_types,
        "available_oidc_providers": available_oidc_providers,
        "credential_identifier_hint": credential_identifier_hint,
    }))
}

/// `expected` is the constant as text (Kratos puts a string here).
pub fn validation_const(expected: &str) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_CONST,
        format!("Must be exactly {expected}."),
    )
    .with_context(json!({ "expected": expected }))
}

pub fn validation_const_generic() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_CONST_GENERIC,
        "Does not have the one allowed value.",
    )
}

pub fn validation_password_identifier_too_similar() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_PASSWORD_IDENTIFIER_TOO_SIMILAR,
        "This password cannot be used: it is too close to the identifier.",
    )
}

pub fn validation_password_min_length(min_length: u64, actual_length: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_PASSWORD_MIN_LENGTH,
        format!("Passwords need at least {min_length} characters; this one has {actual_length}."),
    )
    .with_context(json!({ "min_length": min_length, "actual_length": actual_length }))
}

pub fn validation_password_max_length(max_length: u64, actual_length: u64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_PASSWORD_MAX_LENGTH,
        format!(
            "Passwords may have at most {max_length} characters; this one has {actual_length}."
        ),
    )
    .with_context(json!({ "max_length": max_length, "actual_length": actual_length }))
}

pub fn validation_password_too_many_breaches(breaches: i64) -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_PASSWORD_TOO_MANY_BREACHES,
        "This password appeared in data breaches; choose another one.",
    )
    .with_context(json!({ "breaches": breaches }))
}

pub fn validation_no_code_user() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_NO_CODE_USER,
        "Either this account does not exist or it cannot sign in with a code.",
    )
}

pub fn validation_traits_mismatch() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_TRAITS_MISMATCH,
        "The submitted traits differ from the ones this flow started with.",
    )
}

pub fn validation_account_not_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_ACCOUNT_NOT_FOUND,
        "Either this account does not exist or it has no way to sign in.",
    )
}

pub fn validation_captcha_error() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_CAPTCHA_ERROR,
        "The captcha could not be verified. Try again.",
    )
}

/// The message Kratos shows for a schema violation, with the same `context`.
///
/// `document` is the validated identity document (`{"traits": ...}`); it is read only to
/// find the positions of duplicate items for `uniqueItems`.
pub fn from_violation(violation: &Violation, document: Option<&Value>) -> UiText {
    match &violation.kind {
        ViolationKind::Required { property } => validation_required(property),
        ViolationKind::MinLength {
            min_length,
            actual_length,
        } => validation_min_length(*min_length, *actual_length as u64),
        ViolationKind::MaxLength {
            max_length,
            actual_length,
        } => validation_max_length(*max_length, *actual_length as u64),
        ViolationKind::Pattern { pattern } => validation_invalid_format(pattern),
        ViolationKind::Format { format, value } => {
            validation_generic(&format!("{value:?} is not a valid {format:?}"))
        }
        ViolationKind::Type { expected, actual } => {
            let allowed: Vec<String> = expected
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            validation_wrong_type(&allowed, actual)
        }
        ViolationKind::Minimum { minimum, actual } => validation_minimum(minimum, actual),
        ViolationKind::ExclusiveMinimum { minimum, actual } => {
            validation_exclusive_minimum(minimum, actual)
        }
        ViolationKind::Maximum { maximum, actual } => validation_maximum(maximum, actual),
        ViolationKind::ExclusiveMaximum { maximum, actual } => {
            validation_exclusive_maximum(maximum, actual)
        }
        ViolationKind::MultipleOf { base, actual } => validation_multiple_of(base, actual),
        ViolationKind::MinItems {
            min_items,
            actual_items,
        } => validation_min_items(*min_items, *actual_items as u64),
        ViolationKind::MaxItems {
            max_items,
            actual_items,
        } => validation_max_items(*max_items, *actual_items as u64),
        ViolationKind::UniqueItems => {
            let (a, b) = document
                .and_then(|doc| doc.pointer(&violation.instance_path))
                .and_then(Value::as_array)
                .and_then(|items| first_duplicate(items))
                .map_or((-1, -1), |(a, b)| (a as i64, b as i64));
            validation_unique_items(a, b)
        }
        ViolationKind::Const { expected } => {
            let expected = serde_json::to_string(expected).unwrap_or_default();
            validation_const(&expected)
        }
        ViolationKind::Enum { allowed } => {
            let options = match allowed {
                Value::Array(values) => values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            validation_generic(&format!("must be one of {options}"))
        }
        ViolationKind::AdditionalProperties { unexpected } => validation_generic(&format!(
            "additional properties are not allowed: {}",
            unexpected.join(", ")
        )),
        ViolationKind::Other { reason } => validation_generic(reason),
    }
}

fn first_duplicate(items: &[Value]) -> Option<(usize, usize)> {
    (0..items.len()).find_map(|b| (0..b).find(|&a| items[a] == items[b]).map(|a| (a, b)))
}

// ---- flow errors (4010xxx - 4070xxx) ---------------------------------------------------

pub fn login_flow_expired(expired_at: OffsetDateTime, now: OffsetDateTime) -> UiText {
    flow_expired(
        id::ERROR_VALIDATION_LOGIN_FLOW_EXPIRED,
        "sign-in",
        expired_at,
        now,
    )
}

pub fn registration_flow_expired(expired_at: OffsetDateTime, now: OffsetDateTime) -> UiText {
    flow_expired(
        id::ERROR_VALIDATION_REGISTRATION_FLOW_EXPIRED,
        "sign-up",
        expired_at,
        now,
    )
}

pub fn settings_flow_expired(expired_at: OffsetDateTime, now: OffsetDateTime) -> UiText {
    flow_expired(
        id::ERROR_VALIDATION_SETTINGS_FLOW_EXPIRED,
        "settings",
        expired_at,
        now,
    )
}

pub fn recovery_flow_expired(expired_at: OffsetDateTime, now: OffsetDateTime) -> UiText {
    flow_expired(
        id::ERROR_VALIDATION_RECOVERY_FLOW_EXPIRED,
        "recovery",
        expired_at,
        now,
    )
}

pub fn verification_flow_expired(expired_at: OffsetDateTime, now: OffsetDateTime) -> UiText {
    flow_expired(
        id::ERROR_VALIDATION_VERIFICATION_FLOW_EXPIRED,
        "verification",
        expired_at,
        now,
    )
}

fn flow_expired(
    id: MessageId,
    what: &str,
    expired_at: OffsetDateTime,
    now: OffsetDateTime,
) -> UiText {
    let minutes = minutes_between(expired_at, now).max(0.0);
    UiText::error(
        id,
        format!("This {what} form expired {minutes:.2} minutes ago. Start again."),
    )
    .with_context(expiry_context(expired_at))
}

pub fn login_no_strategy_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOGIN_NO_STRATEGY_FOUND,
        "No sign-in method accepted the submitted form. Check that it is complete.",
    )
}

pub fn registration_no_strategy_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_REGISTRATION_NO_STRATEGY_FOUND,
        "No sign-up method accepted the submitted form. Check that it is complete.",
    )
}

pub fn settings_no_strategy_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_SETTINGS_NO_STRATEGY_FOUND,
        "No settings method accepted the submitted form. Check that it is complete.",
    )
}

pub fn recovery_no_strategy_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_RECOVERY_NO_STRATEGY_FOUND,
        "No recovery method accepted the submitted form. Check that it is complete.",
    )
}

pub fn verification_no_strategy_found() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_VERIFICATION_NO_STRATEGY_FOUND,
        "No verification method accepted the submitted form. Check that it is complete.",
    )
}

fn retry_after_success(id: MessageId) -> UiText {
    UiText::error(id, "This request already succeeded and cannot be repeated.")
}

pub fn login_retry_success() -> UiText {
    retry_after_success(id::ERROR_VALIDATION_LOGIN_RETRY_SUCCESS)
}

pub fn login_code_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOGIN_CODE_INVALID_OR_ALREADY_USED,
        "This sign-in code is not valid or was used before. Try again.",
    )
}

pub fn login_linked_credentials_do_not_match() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOGIN_LINKED_CREDENTIALS_DO_NOT_MATCH,
        "The linked credentials belong to a different account.",
    )
}

pub fn login_address_unknown() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_LOGIN_ADDRESS_UNKNOWN,
        "This address is not one of the addresses of the signed-in account.",
    )
}

pub fn registration_retry_success() -> UiText {
    retry_after_success(id::ERROR_VALIDATION_REGISTRATION_RETRY_SUCCESS)
}

pub fn registration_code_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_REGISTRATION_CODE_INVALID_OR_ALREADY_USED,
        "This sign-up code is not valid or was used before. Try again.",
    )
}

pub fn recovery_retry_success() -> UiText {
    retry_after_success(id::ERROR_VALIDATION_RECOVERY_RETRY_SUCCESS)
}

pub fn recovery_state_failure() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_RECOVERY_STATE_FAILURE,
        "Recovery cannot continue from here. Start again.",
    )
}

pub fn recovery_missing_recovery_token() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_RECOVERY_MISSING_RECOVERY_TOKEN,
        "The recovery token is missing. Open the link from the email again.",
    )
}

pub fn recovery_token_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_RECOVERY_TOKEN_INVALID_OR_ALREADY_USED,
        "This recovery link is not valid or was used before. Start again.",
    )
}

pub fn recovery_code_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_RECOVERY_CODE_INVALID_OR_ALREADY_USED,
        "This recovery code is not valid or was used before. Try again.",
    )
}

pub fn verification_token_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_VERIFICATION_TOKEN_INVALID_OR_ALREADY_USED,
        "This verification link is not valid or was used before. Start again.",
    )
}

pub fn verification_retry_success() -> UiText {
    retry_after_success(id::ERROR_VALIDATION_VERIFICATION_RETRY_SUCCESS)
}

pub fn verification_state_failure() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_VERIFICATION_STATE_FAILURE,
        "Verification cannot continue from here. Start again.",
    )
}

pub fn verification_missing_verification_token() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_VERIFICATION_MISSING_VERIFICATION_TOKEN,
        "The verification token is missing. Open the link from the email again.",
    )
}

pub fn verification_code_invalid_or_already_used() -> UiText {
    UiText::error(
        id::ERROR_VALIDATION_VERIFICATION_CODE_INVALID_OR_ALREADY_USED,
        "This verification code is not valid or was used before. Try again.",
    )
}

// ---- system (5000xxx) ------------------------------------------------------------------

pub fn system_generic(reason: &str) -> UiText {
    UiText::error(id::ERROR_SYSTEM_GENERIC, reason).with_context(json!({ "reason": reason }))
}

#[cfg(test)]
mod tests;
