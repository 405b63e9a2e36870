//! Message templates: the built-in ones, and Kratos-style overrides.
//!
//! Each template type has four parts (e-mail subject, plain-text body, HTML body, SMS body).
//! A part comes from, in order: its `courier.templates.…` URI, the file of the same name
//! under `courier.template_override_path`, or the built-in file in `builtin/` (this
//! implementation's own wording). Templates are Go templates executed with the same data
//! fields Kratos passes (`.To`, `.VerificationCode`, `.Identity`, ...). All parts are
//! loaded and parsed once, when a process first needs them.

mod engine;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub use engine::escape_html;
use engine::{GoTemplate, from_json, object};

use super::message::TemplateType;
use crate::config::{CourierTemplates, TemplateOverrides};

/// The data a template is rendered with. Which fields a type uses is fixed by Kratos's
/// template models; [`TemplateData::context`] exposes exactly those, under Go's field
/// names. Serialises in Kratos's `template_data` JSON shape (snake_case).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateData {
    /// The recipient address or number (`.To`).
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_code: Option<String>,
    /// The identity as the admin API shows it (`.Identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Json>,
    /// The traits being registered (`.Traits`, registration codes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Json>,
    /// The URL of the flow's request (`.RequestURL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_url: Option<String>,
    /// The flow's `transient_payload` (`.TransientPayload`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transient_payload: Option<Json>,
    /// Subject and body of the test stub template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl fmt::Debug for TemplateData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Codes and links grant access; only say which are present.
        f.debug_struct("TemplateData")
            .field("recovery_url", &self.recovery_url.is_some())
            .field("recovery_code", &self.recovery_code.is_some())
            .field("verification_url", &self.verification_url.is_some())
            .field("verification_code", &self.verification_code.is_some())
            .field("login_code", &self.login_code.is_some())
            .field("registration_code", &self.registration_code.is_some())
            .finish_non_exhaustive()
    }
}

/// A Go field of a template model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    To,
    RecoveryUrl,
    RecoveryCode,
    VerificationUrl,
    VerificationCode,
    LoginCode,
    RegistrationCode,
    Identity,
    Traits,
    RequestUrl,
    TransientPayload,
    Subject,
    Body,
}

impl TemplateType {
    /// The fields of Kratos's model for this type, in its order.
    fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            TemplateType::RecoveryInvalid
            | TemplateType::RecoveryCodeInvalid
            | TemplateType::VerificationInvalid
            | TemplateType::VerificationCodeInvalid => &[To, RequestUrl, TransientPayload],
            TemplateType::RecoveryValid => {
                &[To, RecoveryUrl, Identity, RequestUrl, TransientPayload]
            }
            TemplateType::RecoveryCodeValid => {
                &[To, RecoveryCode, Identity, RequestUrl, TransientPayload]
            }
            TemplateType::VerificationValid => {
                &[To, VerificationUrl, Identity, RequestUrl, TransientPayload]
            }
            TemplateType::VerificationCodeValid => &[
                To,
                VerificationUrl,
                VerificationCode,
                Identity,
                RequestUrl,
                TransientPayload,
            ],
            TemplateType::LoginCodeValid => {
                &[To, LoginCode, Identity, RequestUrl, TransientPayload]
            }
            TemplateType::RegistrationCodeValid => {
                &[To, Traits, RegistrationCode, RequestUrl, TransientPayload]
            }
            TemplateType::Stub => &[To, Subject, Body, Identity],
        }
    }
}

impl TemplateData {
    /// A new data set addressed to `to`; set the fields the template type needs.
    pub fn to(to: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            ..Self::default()
        }
    }

    /// The template context for `template_type`: a struct-like object with exactly the
    /// fields of Kratos's model, absent strings empty and absent maps empty, as Go's zero
    /// values print.
    fn context(&self, template_type: TemplateType) -> gtmpl::Value {
        let string = |value: &Option<String>| gtmpl::Value::from(value.clone().unwrap_or_default());
        let map = |value: &Option<Json>| match value {
            Some(json) => from_json(json),
            None => from_json(&Json::Object(Default::default())),
        };
        let fields = template_type
            .fields()
            .iter()
            .map(|field| match field {
                Field::To => ("To", gtmpl::Value::from(self.to.clone())),
                Field::RecoveryUrl => ("RecoveryURL", string(&self.recovery_url)),
                Field::RecoveryCode => ("RecoveryCode", string(&self.recovery_code)),
                Field::VerificationUrl => ("VerificationURL", string(&self.verification_url)),
                Field::VerificationCode => ("VerificationCode", string(&self.verification_code)),
                Field::LoginCode => ("LoginCode", string(&self.login_code)),
                Field::RegistrationCode => ("RegistrationCode", string(&self.registration_code)),
                Field::Identity => ("Identity", map(&self.identity)),
                Field::Traits => ("Traits", map(&self.traits)),
                Field::RequestUrl => ("RequestURL", string(&self.request_url)),
                Field::TransientPayload => ("TransientPayload", map(&self.transient_payload)),
                Field::Subject => ("Subject", string(&self.subject)),
                Field::Body => ("Body", string(&self.body)),
            })
            .collect();
        object(fields)
    }
}

/// A rendered e-mail.
#[derive(Clone, PartialEq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl fmt::Debug for RenderedEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedEmail").finish_non_exhaustive()
    }
}

/// Why templates could not be loaded or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A template could not be read from its URI or file.
    #[error("courier template `{name}` could not be read: {message}")]
    Load { name: String, message: String },
    /// A template is not a valid Go template (or uses an unsupported function).
    #[error("courier template `{name}` does not parse: {message}")]
    Parse { name: String, message: String },
    /// Executing a template failed, e.g. on a field its type's data does not have.
    #[error("courier template `{name}` failed to render: {message}")]
    Render { name: String, message: String },
}

/// One of the four parts of a template type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Subject,
    Text,
    Html,
    Sms,
}

impl Part {
    const ALL: [Part; 4] = [Part::Subject, Part::Text, Part::Html, Part::Sms];

    /// The file name Kratos uses for this part.
    fn file_name(self) -> &'static str {
        match self {
            Part::Subject => "email.subject.gotmpl",
            Part::Text => "email.body.plaintext.gotmpl",
            Part::Html => "email.body.gotmpl",
            Part::Sms => "sms.body.gotmpl",
        }
    }

    /// Files of an override directory parsed together with the part's file (Kratos
    /// globs `<stem>*`, which is how i18n variants with `{{ define }}`s are picked up).
    fn stem(self) -> &'static str {
        match self {
            Part::Subject => "email.subject",
            Part::Text => "email.body.plaintext",
            Part::Html => "email.body",
            Part::Sms => "sms.body",
        }
    }

    fn configured(self, overrides: &TemplateOverrides) -> Option<&str> {
        match self {
            Part::Subject => overrides.email.subject.as_deref(),
            Part::Text => overrides.email.body.plaintext.as_deref(),
            Part::Html => overrides.email.body.html.as_deref(),
            Part::Sms => overrides.sms.body.plaintext.as_deref(),
        }
        .filter(|uri| !uri.is_empty())
    }
}

/// The configured templates of one type's family entry (`valid` or `invalid`).
fn overrides_of(
    templates: &CourierTemplates,
    template_type: TemplateType,
) -> Option<&TemplateOverrides> {
    let t = templates;
    Some(match template_type {
        TemplateType::RecoveryValid => &t.recovery.valid,
        TemplateType::RecoveryInvalid => &t.recovery.invalid,
        TemplateType::RecoveryCodeValid => &t.recovery_code.valid,
        TemplateType::RecoveryCodeInvalid => &t.recovery_code.invalid,
        TemplateType::VerificationValid => &t.verification.valid,
        TemplateType::VerificationInvalid => &t.verification.invalid,
        TemplateType::VerificationCodeValid => &t.verification_code.valid,
        TemplateType::VerificationCodeInvalid => &t.verification_code.invalid,
        TemplateType::LoginCodeValid => &t.login_code.valid,
        TemplateType::RegistrationCodeValid => &t.registration_code.valid,
        TemplateType::Stub => return None,
    })
}

/// The longest template file accepted.
const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// Every template, parsed.
#[derive(Debug)]
pub struct Templates {
    /// Indexed by `[type][part]`, in the order of [`TemplateType::BUILT_IN`] and [`Part::ALL`].
    parsed: Vec<[GoTemplate; 4]>,
    stub: [GoTemplate; 4],
}

impl Templates {
    /// Loads and parses every template: configured URIs first, then files under
    /// `override_path`, then the built-in ones. Relative `file://` URIs and a relative
    /// override path resolve against `base_dir` (the configuration file's directory) first.
    /// Fails on the first template that cannot be read or parsed.
    pub async fn load(
        config: &CourierTemplates,
        override_path: Option<&str>,
        base_dir: Option<&Path>,
    ) -> Result<Self, TemplateError> {
        let override_root = override_path
            .filter(|p| !p.is_empty())
            .map(|p| crate::fetch::resolve_file(p.trim_start_matches("file://"), base_dir));
        let mut parsed = Vec::with_capacity(TemplateType::BUILT_IN.len());
        for template_type in TemplateType::BUILT_IN {
            let overrides = overrides_of(config, template_type);
            let mut parts = Vec::with_capacity(4);
            for part in Part::ALL {
                parts.push(
                    load_part(
                        template_type,
                        part,
                        overrides,
                        override_root.as_deref(),
                        base_dir,
                    )
                    .await?,
                );
            }
            parsed.push(parts.try_into().expect("four parts"));
        }
        Ok(Self {
            parsed,
            stub: stub_parts(),
        })
    }

    /// Only the built-in templates (no configuration). Never fails.
    pub fn builtin() -> Self {
        let parsed = TemplateType::BUILT_IN
            .iter()
            .map(|&template_type| {
                Part::ALL.map(|part| parse_builtin(template_type, part).expect("built-ins parse"))
            })
            .collect();
        Self {
            parsed,
            stub: stub_parts(),
        }
    }

    fn part(&self, template_type: TemplateType, part: Part) -> &GoTemplate {
        let templates = match TemplateType::BUILT_IN
            .iter()
            .position(|t| *t == template_type)
        {
            Some(index) => &self.parsed[index],
            None => &self.stub,
        };
        let index = Part::ALL
            .iter()
            .position(|p| *p == part)
            .expect("known part");
        &templates[index]
    }

    fn render_part(
        &self,
        template_type: TemplateType,
        part: Part,
        data: &TemplateData,
    ) -> Result<String, TemplateError> {
        self.part(template_type, part)
            .render(&data.context(template_type))
            .map_err(|message| TemplateError::Render {
                name: format!("{}/{}", template_type.directory(), part.file_name()),
                message,
            })
    }

    /// Renders the e-mail of `template_type` (subject trimmed, as Kratos does).
    pub fn render_email(
        &self,
        template_type: TemplateType,
        data: &TemplateData,
    ) -> Result<RenderedEmail, TemplateError> {
        Ok(RenderedEmail {
            subject: self
                .render_part(template_type, Part::Subject, data)?
                .trim()
                .to_owned(),
            text: self.render_part(template_type, Part::Text, data)?,
            html: self.render_part(template_type, Part::Html, data)?,
        })
    }

    /// Renders only the HTML body (for messages queued with a text body but no HTML).
    pub fn render_email_html(
        &self,
        template_type: TemplateType,
        data: &TemplateData,
    ) -> Result<String, TemplateError> {
        self.render_part(template_type, Part::Html, data)
    }

    /// Renders the SMS text of `template_type`, without trailing whitespace.
    pub fn render_sms(
        &self,
        template_type: TemplateType,
        data: &TemplateData,
    ) -> Result<String, TemplateError> {
        Ok(self
            .render_part(template_type, Part::Sms, data)?
            .trim_end()
            .to_owned())
    }
}

/// Kratos's test stub: subject and body given verbatim in the data.
fn stub_parts() -> [GoTemplate; 4] {
    Part::ALL.map(|part| {
        let source = match part {
            Part::Subject => "{{ .Subject }}",
            _ => "{{ .Body }}",
        };
        GoTemplate::parse("stub", source, &[], part == Part::Html).expect("stub parses")
    })
}

fn parse_builtin(template_type: TemplateType, part: Part) -> Result<GoTemplate, TemplateError> {
    let relative = format!("{}/{}", template_type.directory(), part.file_name());
    let text =
        builtin::source(template_type, part.file_name()).ok_or_else(|| TemplateError::Load {
            name: relative.clone(),
            message: "no built-in template".into(),
        })?;
    GoTemplate::parse(&relative, text, &[], part == Part::Html).map_err(|message| {
        TemplateError::Parse {
            name: relative,
            message,
        }
    })
}

async fn load_part(
    template_type: TemplateType,
    part: Part,
    overrides: Option<&TemplateOverrides>,
    override_root: Option<&Path>,
    base_dir: Option<&Path>,
) -> Result<GoTemplate, TemplateError> {
    let html = part == Part::Html;
    let relative = format!("{}/{}", template_type.directory(), part.file_name());
    if let Some(uri) = overrides.and_then(|o| part.configured(o)) {
        let bytes = crate::fetch::fetch_uri(uri, base_dir, MAX_TEMPLATE_BYTES)
            .await
            .map_err(|message| TemplateError::Load {
                name: relative.clone(),
                message,
            })?;
        let text = utf8(&relative, bytes)?;
        return GoTemplate::parse(&relative, &text, &[], html).map_err(|message| {
            TemplateError::Parse {
                name: relative,
                message,
            }
        });
    }
    if let Some(root) = override_root {
        let directory = root.join(template_type.directory());
        let file = directory.join(part.file_name());
        if file.is_file() {
            let text = read_file(&relative, &file).await?;
            let companions = companions(&relative, &directory, part).await?;
            return GoTemplate::parse(part.file_name(), &text, &companions, html).map_err(
                |message| TemplateError::Parse {
                    name: relative,
                    message,
                },
            );
        }
    }
    let text =
        builtin::source(template_type, part.file_name()).ok_or_else(|| TemplateError::Load {
            name: relative.clone(),
            message: "no built-in template".into(),
        })?;
    GoTemplate::parse(&relative, text, &[], html).map_err(|message| TemplateError::Parse {
        name: relative,
        message,
    })
}

/// The other files of `directory` whose names start with the part's stem, sorted.
async fn companions(
    name: &str,
    directory: &Path,
    part: Part,
) -> Result<Vec<(String, String)>, TemplateError> {
    let load_error = |message: String| TemplateError::Load {
        name: name.to_owned(),
        message,
    };
    let mut entries = tokio::fs::read_dir(directory)
        .await
        .map_err(|e| load_error(e.to_string()))?;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| load_error(e.to_string()))?
    {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name != part.file_name()
            && file_name.starts_with(part.stem())
            && entry.path().is_file()
        {
            files.push((file_name, entry.path()));
        }
    }
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for (file_name, path) in files {
        out.push((file_name, read_file(name, &path).await?));
    }
    Ok(out)
}

async fn read_file(name: &str, path: &Path) -> Result<String, TemplateError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| TemplateError::Load {
            name: name.to_owned(),
            message: format!("{}: {e}", path.display()),
        })?;
    if bytes.len() > MAX_TEMPLATE_BYTES {
        return Err(TemplateError::Load {
            name: name.to_owned(),
            message: format!("larger than {MAX_TEMPLATE_BYTES} bytes"),
        });
    }
    utf8(name, bytes)
}

fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, TemplateError> {
    String::from_utf8(bytes).map_err(|_| TemplateError::Load {
        name: name.to_owned(),
        message: "not UTF-8".into(),
    })
}

mod builtin {
    //! The built-in templates, compiled into the binary.

    use super::TemplateType;

    macro_rules! files {
        ($dir:literal) => {
            [
                (
                    "email.subject.gotmpl",
                    include_str!(concat!("builtin/", $dir, "/email.subject.gotmpl")),
                ),
                (
                    "email.body.plaintext.gotmpl",
                    include_str!(concat!("builtin/", $dir, "/email.body.plaintext.gotmpl")),
                ),
                (
                    "email.body.gotmpl",
                    include_str!(concat!("builtin/", $dir, "/email.body.gotmpl")),
                ),
                (
                    "sms.body.gotmpl",
                    include_str!(concat!("builtin/", $dir, "/sms.body.gotmpl")),
                ),
            ]
        };
    }

    /// The built-in source of `file` for `template_type`.
    pub fn source(template_type: TemplateType, file: &str) -> Option<&'static str> {
        let files: [(&str, &str); 4] = match template_type {
            TemplateType::RecoveryValid => files!("recovery/valid"),
            TemplateType::RecoveryInvalid => files!("recovery/invalid"),
            TemplateType::RecoveryCodeValid => files!("recovery_code/valid"),
            TemplateType::RecoveryCodeInvalid => files!("recovery_code/invalid"),
            TemplateType::VerificationValid => files!("verification/valid"),
            TemplateType::VerificationInvalid => files!("verification/invalid"),
            TemplateType::VerificationCodeValid => files!("verification_code/valid"),
            TemplateType::VerificationCodeInvalid => files!("verification_code/invalid"),
            TemplateType::LoginCodeValid => files!("login_code/valid"),
            TemplateType::RegistrationCodeValid => files!("registration_code/valid"),
            TemplateType::Stub => return None,
        };
        files
            .into_iter()
            .find(|(name, _)| *name == file)
            .map(|(_, text)| text)
    }
}

#[cfg(test)]
mod tests;
