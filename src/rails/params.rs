//! Rails 6.1's `params` for a request with a JSON body, built from the raw
//! body as ActionDispatch builds them, for the requests the fast lane answers
//! without Rails; and what Rails' request log prints of them.
//!
//! Anything this does not build exactly as Rails would is a [`Decline`]: the
//! request then goes through Rails untouched.

use crate::rails::inspect;
use crate::rails::value::{Value, MAX_BYTES, MAX_DEPTH, MAX_ENTRIES};

/// Why the fast lane leaves a request to Rails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline(pub &'static str);

/// Path parameters Rails merges over the body's (`format` from the route's
/// defaults, `controller`, `action`); the request log leaves them out, with
/// `_method` and `only_path` (`ActionController::LogSubscriber::INTERNAL_PARAMS`).
const INTERNAL: [&str; 5] = ["controller", "action", "format", "_method", "only_path"];

/// `request_parameters` of an `application/json` body: ActiveSupport's JSON
/// decode (a repeated key keeps its first position and takes the last value),
/// then `deep_munge` (nils dropped from arrays, at every level).
///
/// Declined: anything but an object, what serde_json refuses and Ruby's parser
/// might read otherwise (invalid UTF-8, lone surrogates, numbers out of
/// range), integers too long for a 64-bit float to carry exactly (Ruby keeps
/// every digit), and bodies over RmtRs's input limits (the controller path
/// answers those with its 422).
pub fn json_body(body: &[u8]) -> Result<Value, Decline> {
    // Rails parses nothing without a body.
    if body.is_empty() {
        return Ok(Value::Object(Vec::new()));
    }
    if body.len() > MAX_BYTES {
        return Err(Decline("body over the input limit"));
    }
    if has_long_integer(body) {
        return Err(Decline("an integer longer than 18 digits"));
    }
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| Decline("not JSON serde reads as Ruby"))?;
    if !json.is_object() {
        return Err(Decline("not a JSON object"));
    }
    let value = deep_munge(Value::from(json));
    let (mut entries, mut depth_ok) = (0usize, true);
    count(&value, 0, &mut entries, &mut depth_ok);
    if entries > MAX_ENTRIES || !depth_ok {
        return Err(Decline("body over the input limits"));
    }
    Ok(value)
}

/// Whether an integer literal outside strings lies outside 64 bits (serde_json
/// would read it as a float; Ruby keeps it an Integer).
fn has_long_integer(body: &[u8]) -> bool {
    let (mut in_string, mut escaped, mut fraction) = (false, false, false);
    let mut literal = String::new();
    let too_long = |literal: &str, fraction: bool| {
        !fraction
            && literal.bytes().any(|b| b.is_ascii_digit())
            && literal.parse::<i128>().map_or(true, |n| n < i128::from(i64::MIN) || n > i128::from(u64::MAX))
    };
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'0'..=b'9' | b'-' | b'+' => literal.push(b as char),
            b'.' | b'e' | b'E' => fraction = true,
            _ => {
                if too_long(&literal, fraction) {
                    return true;
                }
                literal.clear();
                fraction = false;
                in_string = b == b'"';
            }
        }
    }
    too_long(&literal, fraction)
}

fn deep_munge(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().filter(|v| *v != Value::Null).map(deep_munge).collect()),
        Value::Object(pairs) => Value::Object(pairs.into_iter().map(|(k, v)| (k, deep_munge(v))).collect()),
        other => other,
    }
}

fn count(value: &Value, depth: usize, entries: &mut usize, depth_ok: &mut bool) {
    if depth > MAX_DEPTH {
        *depth_ok = false;
        return;
    }
    match value {
        Value::Array(items) => {
            *entries += items.len();
            items.iter().for_each(|v| count(v, depth + 1, entries, depth_ok));
        }
        Value::Object(pairs) => {
            *entries += pairs.len();
            pairs.iter().for_each(|(_, v)| count(v, depth + 1, entries, depth_ok));
        }
        _ => {}
    }
}

/// `params.permit(key => {})[key]`: the value under `key` when it is a hash,
/// keeping only what strong parameters let through (scalars, arrays of
/// scalars and hashes, hashes, at any depth); `None` otherwise.
pub fn permit_any(params: &Value, key: &str) -> Option<Value> {
    match params.get(key)? {
        hash @ Value::Object(_) => Some(permitted_hash(hash)),
        _ => None,
    }
}

fn permitted_hash(hash: &Value) -> Value {
    let Value::Object(pairs) = hash else { return Value::Object(Vec::new()) };
    Value::Object(
        pairs
            .iter()
            .map(|(key, value)| {
                let kept = match value {
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .filter_map(|item| match item {
                                Value::Array(_) => None,
                                Value::Object(_) => Some(permitted_hash(item)),
                                scalar => Some(scalar.clone()),
                            })
                            .collect(),
                    ),
                    Value::Object(_) => permitted_hash(value),
                    scalar => scalar.clone(),
                };
                (key.clone(), kept)
            })
            .collect(),
    )
}

/// How the request log shows the parameters: Rails' `filter_parameters` and
/// each controller's parameter wrapping.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    /// `filter_parameters` words: a key containing one (any case) is logged
    /// as `[FILTERED]`.
    pub filters: Vec<String>,
    /// The `wrap_parameters` of the controller of each action, by action name.
    pub wrappers: Vec<(String, Wrapper)>,
}

/// A controller's `wrap_parameters`: the key, and the body keys it wraps in
/// this order (the model's attribute names: Rails slices them in that order).
#[derive(Debug, Clone, Default)]
pub struct Wrapper {
    pub key: String,
    pub include: Vec<String>,
}

impl LogSettings {
    pub fn wrapper(&self, action: &str) -> Option<&Wrapper> {
        self.wrappers.iter().find(|(name, _)| name == action).map(|(_, wrapper)| wrapper)
    }
}

/// The `Parameters: {...}` text of Rails' request log, or `None` when only
/// Ruby renders it exactly (see [`crate::rails::inspect`]). `params` are the request's
/// parameters; `wrapped`, the wrapper and the JSON body's parameters when
/// Rails wraps them (a JSON content type).
pub fn logged(params: &Value, wrapped: Option<(&Wrapper, &Value)>, filters: &[String]) -> Option<String> {
    let Value::Object(pairs) = filtered(params, filters) else { return None };
    let mut shown: Vec<(String, Value)> =
        pairs.iter().filter(|(k, _)| !INTERNAL.contains(&k.as_str())).cloned().collect();
    if let Some((wrapper, Value::Object(body))) = wrapped {
        if params.get(&wrapper.key).is_none() {
            let picked = wrapper
                .include
                .iter()
                .filter(|key| body.iter().any(|(k, _)| k == *key))
                .filter_map(|key| pairs.iter().find(|(k, _)| k == key).cloned())
                .collect();
            shown.push((wrapper.key.clone(), Value::Object(picked)));
        }
    }
    inspect::inspect(&Value::Object(shown))
}

/// `request.query_parameters` of a plain query string (`a=1&b=x+y`), as Rack
/// parses it: `&` or `;` between pairs, `+` and `%XX` decoded, a repeated key
/// keeps its first position and takes the last value. Declined: nested keys
/// (`a[b]`), keys without `=`, empty keys, Rails' own keys, invalid escapes
/// text that is not UTF-8 (Rails answers 400) and spaces.
pub fn query(query: &str) -> Result<Value, Decline> {
    if query.contains(' ') {
        return Err(Decline("a space in the query string")); // Rack drops some, keeps others
    }
    let mut pairs: Vec<(String, Value)> = Vec::new();
    for piece in query.split(['&', ';']).filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=').ok_or(Decline("a query key without a value"))?;
        let (key, value) = (form_decoded(key)?, form_decoded(value)?);
        if key.is_empty() || key.contains(['[', ']']) || INTERNAL.contains(&key.as_str()) {
            return Err(Decline("a query key Rails reads otherwise"));
        }
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(pair) => pair.1 = Value::String(value),
            None => pairs.push((key, Value::String(value))),
        }
    }
    Ok(Value::Object(pairs))
}

/// `URI.decode_www_form_component`.
fn form_decoded(text: &str) -> Result<String, Decline> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or(Decline("an invalid %-escape"))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Decline("query text that is not UTF-8"))
}

/// `ActiveSupport::ParameterFilter` with plain words: every level, hashes
/// inside arrays too.
fn filtered(value: &Value, filters: &[String]) -> Value {
    match value {
        Value::Object(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(key, item)| {
                    let lower = key.to_lowercase();
                    if filters.iter().any(|f| lower.contains(f.as_str())) {
                        (key.clone(), Value::String("[FILTERED]".into()))
                    } else {
                        (key.clone(), filtered(item, filters))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|item| filtered(item, filters)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Value {
        json_body(body.as_bytes()).unwrap()
    }

    #[test]
    fn munges_nils_out_of_arrays_and_keeps_rubys_key_order() {
        let params = parse(r#"{"b":[null,1,[null]],"a":{"c":null},"b":[2,null]}"#);
        assert_eq!(inspect::inspect(&params).unwrap(), r#"{"b"=>[2], "a"=>{"c"=>nil}}"#);
    }

    #[test]
    fn declines_what_ruby_reads_otherwise() {
        assert!(json_body(b"[1]").is_err());
        assert_eq!(json_body(b""), Ok(Value::Object(vec![])), "no body, no parameters");
        assert!(json_body(b"{\"a\":123456789012345678901}").is_err());
        assert!(json_body(b"{\"a\":18446744073709551615,\"b\":-9223372036854775808}").is_ok(), "64 bits are exact");
        assert!(json_body(b"{\"a\":18446744073709551616}").is_err());
        assert!(json_body(b"{\"a\":-9223372036854775809}").is_err());
        assert!(json_body(b"{\"a\":\"12345678901234567890\"}").is_ok(), "digits in a string are text");
        assert!(json_body(b"{\"a\":1.2345678901234567890}").is_ok(), "a float is a float in Ruby too");
        assert!(json_body(b"{\"a\":\"\\ud800\"}").is_err());
        assert!(json_body(b"{\"a\":\xff}").is_err());
        assert!(json_body(b"{\"a\":1e999}").is_err());
        assert!(json_body(format!("{{\"a\":[{}]}}", "1,".repeat(MAX_ENTRIES) + "1").as_bytes()).is_err());
    }

    #[test]
    fn permits_as_strong_parameters_do() {
        let params = parse(r#"{"hwinfo":{"cpus":2,"list":[1,[2],{"x":[3,[4]]}],"deep":{"a":{"b":true}}},"h":"x"}"#);
        assert_eq!(
            inspect::inspect(&permit_any(&params, "hwinfo").unwrap()).unwrap(),
            r#"{"cpus"=>2, "list"=>[1, {"x"=>[3]}], "deep"=>{"a"=>{"b"=>true}}}"#
        );
        assert_eq!(permit_any(&params, "h"), None);
        assert_eq!(permit_any(&params, "missing"), None);
    }

    #[test]
    fn logs_filtered_and_wrapped_parameters_without_internal_ones() {
        let filters = vec!["password".to_string()];
        let wrapper =
            Wrapper { key: "system".into(), include: vec!["login".into(), "hostname".into(), "password".into()] };
        let params =
            parse(r#"{"hostname":"h","password":"s","login":"l","format":"xml","hwinfo":{"pass":1,"password":2}}"#);
        assert_eq!(
            logged(&params, Some((&wrapper, &params)), &filters).unwrap(),
            r#"{"hostname"=>"h", "password"=>"[FILTERED]", "login"=>"l", "hwinfo"=>{"pass"=>1, "password"=>"[FILTERED]"}, "system"=>{"login"=>"l", "hostname"=>"h", "password"=>"[FILTERED]"}}"#,
            "wrapped in the model's attribute order"
        );
        let wrapped_already = parse(r#"{"system":{"a":1}}"#);
        assert_eq!(
            logged(&wrapped_already, Some((&wrapper, &wrapped_already)), &filters).unwrap(),
            r#"{"system"=>{"a"=>1}}"#
        );
        assert!(!logged(&params, None, &[]).unwrap().contains("\"system\""), "not wrapped without JSON");
        let queried = query("login=l").unwrap();
        assert_eq!(
            logged(&queried, Some((&wrapper, &Value::Object(vec![]))), &filters).unwrap(),
            r#"{"login"=>"l", "system"=>{}}"#,
            "only the body is wrapped"
        );
    }

    #[test]
    fn parses_a_plain_query_string_as_rack_does() {
        let parsed = query("identifier=SLES&version=15.6;arch=x86_64&&a=b+c%2Fd&version=15.7").unwrap();
        assert_eq!(
            inspect::inspect(&parsed).unwrap(),
            r#"{"identifier"=>"SLES", "version"=>"15.7", "arch"=>"x86_64", "a"=>"b c/d"}"#
        );
        assert_eq!(query(""), Ok(Value::Object(vec![])));
        for declined in ["a", "a=1& b=2", "a[b]=1", "=1", "a=%zz", "a=%2", "a=%ff", "format=xml", "controller=x"] {
            assert!(query(declined).is_err(), "{declined}");
        }
    }
}
