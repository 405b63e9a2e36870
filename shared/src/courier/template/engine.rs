//! Go templates (`text/template` syntax) through the `gtmpl` crate, with what Kratos's
//! templates expect on top: a subset of the sprig functions, Go's struct-versus-map field
//! semantics for the data, and HTML escaping of every printed value in HTML bodies.
//!
//! HTML escaping works like Go's `html/template` in text and quoted-attribute contexts: each
//! action that prints a value gets a final escaping step added to its pipeline at parse time,
//! so functions see raw values and only the output is escaped. Unlike `html/template` it does
//! not know about `<script>`, `<style>` or URL attributes (see `docs/courier.md`).

use std::collections::HashMap;

use base64::Engine;
use gtmpl::{Context, Func, FuncError, Template, Value};

/// A parsed template, ready to execute many times.
pub struct GoTemplate {
    template: Template,
}

impl std::fmt::Debug for GoTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoTemplate")
            .field("name", &self.template.name)
            .finish()
    }
}

/// The name of the escaping function the HTML rewrite appends to pipelines.
const HTML_ESCAPER: &str = "_kratos_html_escape";

impl GoTemplate {
    /// Parses `root` (executed) with `companions` (files parsed into the same set, so that
    /// their `{{ define }}`s are usable from `root`). Fails with the parser's message.
    pub fn parse(
        name: &str,
        root: &str,
        companions: &[(String, String)],
        html: bool,
    ) -> Result<Self, String> {
        let prepare = |text: &str| {
            if html {
                escape_actions(text)
            } else {
                text.to_owned()
            }
        };
        let mut template = Template::with_name(name);
        template.add_funcs(SPRIG);
        template.add_func(HTML_ESCAPER, html_escape);
        for (companion_name, text) in companions {
            template
                .add_template(companion_name.clone(), prepare(text))
                .map_err(|e| e.to_string())?;
        }
        template.parse(prepare(root)).map_err(|e| e.to_string())?;
        Ok(Self { template })
    }

    /// Executes the template with `data` as dot. Fails with the executor's message
    /// (e.g. a field the data does not have).
    pub fn render(&self, data: &Value) -> Result<String, String> {
        self.template
            .render(&Context::from(data.clone()))
            .map_err(|e| e.to_string())
    }
}

/// A struct-like object: a missing field is an error, as for Go structs.
pub fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// JSON as Go's `map[string]interface{}` data: a missing key prints `<no value>`.
pub fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or_default())
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), from_json(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::NoValue | Value::Nil | Value::Function(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(serde_json::Value::Null),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Object(map) | Value::Map(map) => {
            serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Rewrites each value-printing action `{{ p }}` of `text` to `{{ p | escaper }}`.
/// Control actions, comments, `template`/`block` calls and variable declarations print
/// nothing themselves and are left alone.
fn escape_actions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after_open = &rest[open + 2..];
        let Some(close) = find_action_end(after_open) else {
            // Unterminated: leave it for the parser to report.
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &after_open[..close];
        out.push_str("{{");
        out.push_str(&rewrite_action(inner));
        out.push_str("}}");
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    out
}

/// The offset of the `}}` closing an action, skipping quoted strings and comments.
fn find_action_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
            }
            b'/' if text[i..].starts_with("/*") => {
                i += text[i..].find("*/").map_or(bytes.len(), |end| end + 1);
            }
            b'}' if text[i..].starts_with("}}") => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn rewrite_action(inner: &str) -> String {
    let (lead, body) = match inner.strip_prefix("- ") {
        Some(body) => ("- ", body),
        None => ("", inner),
    };
    let (body, tail) = match body.strip_suffix(" -") {
        Some(body) => (body, " -"),
        None => (body, ""),
    };
    let trimmed = body.trim();
    let first_word = trimmed
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default();
    let prints_nothing = trimmed.is_empty()
        || trimmed.starts_with("/*")
        || matches!(
            first_word,
            "if" | "else"
                | "end"
                | "range"
                | "with"
                | "define"
                | "template"
                | "block"
                | "break"
                | "continue"
        )
        || is_declaration(trimmed);
    if prints_nothing {
        format!("{lead}{body}{tail}")
    } else {
        format!("{lead}{body} | {HTML_ESCAPER}{tail}")
    }
}

/// `$x := ...` or `$x = ...`: Go prints nothing for these.
fn is_declaration(action: &str) -> bool {
    let mut words = action.split_whitespace();
    match (words.next(), words.next()) {
        (Some(var), Some(op)) => var.starts_with('$') && (op == ":=" || op == "="),
        _ => false,
    }
}

/// Escapes the five characters that matter in HTML text and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn html_escape(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(escape_html(&print_text(args))))
}

/// How Go prints the arguments of an action (`<no value>` for a missing map key).
fn print_text(args: &[Value]) -> String {
    args.iter()
        .map(|v| match v {
            Value::Nil => "<nil>".to_owned(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value as a string argument: missing values count as empty.
fn text(value: &Value) -> String {
    match value {
        Value::NoValue | Value::Nil => String::new(),
        other => other.to_string(),
    }
}

fn arg<'a>(name: &str, args: &'a [Value], count: usize) -> Result<&'a [Value], FuncError> {
    if args.len() != count {
        return Err(FuncError::ExactlyXArgs(name.to_owned(), count));
    }
    Ok(args)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::NoValue | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) | Value::Map(m) => m.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Function(_) => false,
    }
}

fn int(value: &Value) -> Result<i64, FuncError> {
    match value {
        Value::Number(n) => n.as_i64().ok_or(FuncError::UnableToConvertFromValue),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| FuncError::UnableToConvertFromValue),
        _ => Err(FuncError::UnableToConvertFromValue),
    }
}

macro_rules! string_fn {
    ($name:ident, $label:literal, |$s:ident| $body:expr) => {
        fn $name(args: &[Value]) -> Result<Value, FuncError> {
            let args = arg($label, args, 1)?;
            let $s = text(&args[0]);
            Ok(Value::String($body))
        }
    };
}

string_fn!(upper, "upper", |s| s.to_uppercase());
string_fn!(lower, "lower", |s| s.to_lowercase());
string_fn!(trim, "trim", |s| s.trim().to_owned());
string_fn!(nospace, "nospace", |s| s
    .chars()
    .filter(|c| !c.is_whitespace())
    .collect());
string_fn!(quote, "quote", |s| format!("{s:?}"));
string_fn!(squote, "squote", |s| format!("'{s}'"));
string_fn!(b64enc, "b64enc", |s| {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
});
string_fn!(title, "title", |s| {
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_word_start = c.is_whitespace();
    }
    out
});

fn b64dec(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("b64dec", args, 1)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text(&args[0]).as_bytes())
        .map_err(|e| FuncError::Generic(format!("b64dec: {e}")))?;
    Ok(Value::String(
        String::from_utf8_lossy(&decoded).into_owned(),
    ))
}

fn two_strings(name: &str, args: &[Value]) -> Result<(String, String), FuncError> {
    let args = arg(name, args, 2)?;
    Ok((text(&args[0]), text(&args[1])))
}

fn contains(args: &[Value]) -> Result<Value, FuncError> {
    let (needle, s) = two_strings("contains", args)?;
    Ok(Value::Bool(s.contains(&needle)))
}

fn has_prefix(args: &[Value]) -> Result<Value, FuncError> {
    let (prefix, s) = two_strings("hasPrefix", args)?;
    Ok(Value::Bool(s.starts_with(&prefix)))
}

fn has_suffix(args: &[Value]) -> Result<Value, FuncError> {
    let (suffix, s) = two_strings("hasSuffix", args)?;
    Ok(Value::Bool(s.ends_with(&suffix)))
}

fn trim_prefix(args: &[Value]) -> Result<Value, FuncError> {
    let (prefix, s) = two_strings("trimPrefix", args)?;
    Ok(Value::String(
        s.strip_prefix(&prefix).unwrap_or(&s).to_owned(),
    ))
}

fn trim_suffix(args: &[Value]) -> Result<Value, FuncError> {
    let (suffix, s) = two_strings("trimSuffix", args)?;
    Ok(Value::String(
        s.strip_suffix(&suffix).unwrap_or(&s).to_owned(),
    ))
}

fn replace(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("replace", args, 3)?;
    Ok(Value::String(
        text(&args[2]).replace(&text(&args[0]), &text(&args[1])),
    ))
}

fn repeat(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("repeat", args, 2)?;
    let count = int(&args[0])?.clamp(0, 10_000) as usize;
    Ok(Value::String(text(&args[1]).repeat(count)))
}

fn trunc(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("trunc", args, 2)?;
    let n = int(&args[0])?;
    let chars: Vec<char> = text(&args[1]).chars().collect();
    let len = chars.len() as i64;
    let kept: String = if n >= 0 {
        chars[..n.min(len) as usize].iter().collect()
    } else {
        chars[(len + n).max(0) as usize..].iter().collect()
    };
    Ok(Value::String(kept))
}

fn substr(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("substr", args, 3)?;
    let chars: Vec<char> = text(&args[2]).chars().collect();
    let len = chars.len() as i64;
    let start = int(&args[0])?.clamp(0, len) as usize;
    let end = int(&args[1])?;
    let end = if end < 0 { len } else { end.min(len) } as usize;
    Ok(Value::String(
        chars[start.min(end)..end].iter().collect::<String>(),
    ))
}

fn default(args: &[Value]) -> Result<Value, FuncError> {
    match args {
        [fallback] => Ok(fallback.clone()),
        [fallback, given] => Ok(if is_empty(given) {
            fallback.clone()
        } else {
            given.clone()
        }),
        _ => Err(FuncError::AtLeastXArgs("default".into(), 1)),
    }
}

fn empty(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("empty", args, 1)?;
    Ok(Value::Bool(is_empty(&args[0])))
}

fn coalesce(args: &[Value]) -> Result<Value, FuncError> {
    Ok(args
        .iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or(Value::Nil))
}

fn join(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("join", args, 2)?;
    let separator = text(&args[0]);
    let joined = match &args[1] {
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(&separator),
        other => text(other),
    };
    Ok(Value::String(joined))
}

fn to_json_fn(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("toJson", args, 1)?;
    Ok(Value::String(to_json(&args[0]).to_string()))
}

fn to_string(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("toString", args, 1)?;
    Ok(Value::String(text(&args[0])))
}

fn ternary(args: &[Value]) -> Result<Value, FuncError> {
    let args = arg("ternary", args, 3)?;
    Ok(if is_empty(&args[2]) {
        args[1].clone()
    } else {
        args[0].clone()
    })
}

/// The sprig functions available to templates. Kratos offers all of sprig's hermetic
/// functions; templates that use others fail to load with "function ... not defined".
pub const SPRIG: &[(&str, Func)] = &[
    ("upper", upper as Func),
    ("lower", lower as Func),
    ("title", title as Func),
    ("trim", trim as Func),
    ("trimPrefix", trim_prefix as Func),
    ("trimSuffix", trim_suffix as Func),
    ("nospace", nospace as Func),
    ("replace", replace as Func),
    ("repeat", repeat as Func),
    ("trunc", trunc as Func),
    ("substr", substr as Func),
    ("contains", contains as Func),
    ("hasPrefix", has_prefix as Func),
    ("hasSuffix", has_suffix as Func),
    ("quote", quote as Func),
    ("squote", squote as Func),
    ("default", default as Func),
    ("empty", empty as Func),
    ("coalesce", coalesce as Func),
    ("ternary", ternary as Func),
    ("join", join as Func),
    ("toJson", to_json_fn as Func),
    ("toString", to_string as Func),
    ("b64enc", b64enc as Func),
    ("b64dec", b64dec as Func),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, data: Value, html: bool) -> Result<String, String> {
        GoTemplate::parse("t", source, &[], html)?.render(&data)
    }

    fn data() -> Value {
        object(vec![
            ("To", Value::from("a&b@example.com")),
            ("Code", Value::from("123456")),
            (
                "Identity",
                from_json(&json!({"traits": {"email": "x@example.com", "name": {"first": "Ada"}}})),
            ),
        ])
    }

    #[test]
    fn fields_conditionals_and_defines_render() {
        let source = r#"{{ define "greeting" }}Hi {{ .Identity.traits.name.first }}{{ end }}{{ template "greeting" . }}: {{ if eq .Code "123456" }}ok{{ else }}no{{ end }} {{- " " -}} {{ .Code | upper }}"#;
        assert_eq!(render(source, data(), false).unwrap(), "Hi Ada: ok 123456");
    }

    #[test]
    fn a_missing_struct_field_fails_but_a_missing_map_key_prints_no_value() {
        assert!(render("{{ .Nope }}", data(), false).is_err());
        assert_eq!(
            render("{{ .Identity.traits.nope }}", data(), false).unwrap(),
            "<no value>"
        );
    }

    #[test]
    fn html_templates_escape_printed_values_only() {
        let out = render(
            r#"<a href="{{ .To }}">{{ .To | upper }}</a>{{ $x := .To }}{{ if .To }}!{{ end }}"#,
            data(),
            true,
        )
        .unwrap();
        assert_eq!(
            out,
            r#"<a href="a&amp;b@example.com">A&amp;B@EXAMPLE.COM</a>!"#
        );
        assert_eq!(
            render("{{ .To }}", data(), false).unwrap(),
            "a&b@example.com"
        );
    }

    #[test]
    fn trim_markers_and_comments_survive_the_html_rewrite() {
        let out = render("a  {{- /* note */ -}}  b {{- .Code -}} c", data(), true).unwrap();
        assert_eq!(out, "ab123456c");
    }

    #[test]
    fn unknown_functions_fail_at_parse_time() {
        let err = GoTemplate::parse("t", "{{ now }}", &[], false).unwrap_err();
        assert!(err.contains("now"), "{err}");
    }

    #[test]
    fn sprig_subset_behaves_like_sprig() {
        let cases = [
            (r#"{{ "" | default "x" }}"#, "x"),
            (r#"{{ "y" | default "x" }}"#, "y"),
            (r#"{{ "hello world" | title }}"#, "Hello World"),
            (r#"{{ "abcdef" | trunc 3 }}"#, "abc"),
            (r#"{{ substr 1 3 "abcdef" }}"#, "bc"),
            (r#"{{ "a-b" | replace "-" "+" }}"#, "a+b"),
            (r#"{{ "x" | b64enc }}"#, "eA=="),
            (r#"{{ "eA==" | b64dec }}"#, "x"),
            (
                r#"{{ .Identity.traits.email | quote }}"#,
                "\"x@example.com\"",
            ),
            (r#"{{ if hasSuffix "example.com" .To }}y{{ end }}"#, "y"),
        ];
        for (source, expected) in cases {
            assert_eq!(render(source, data(), false).unwrap(), expected, "{source}");
        }
    }
}
