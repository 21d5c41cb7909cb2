//! The `system_information` column as RMT's `set_system_information` edits
//! it: the stored JSON text with top-level members replaced in place or
//! appended, every other byte kept.

use crate::error::{Error, Result};
use crate::rails::json::to_rails_json;
use crate::rails::value::Value;

/// The stored hwinfo JSON with `user_agent` set, as RMT's
/// `set_system_information` leaves it: the value of the top-level
/// `user_agent` key replaced in place, or the key appended. Every other byte
/// stays as stored: re-encoding would turn integers beyond 64 bits into
/// floats and reformat what another writer stored.
///
/// What is stored decides as in RMT, which parses it (`JSON.parse(… || '{}')`):
/// SQL NULL starts from an empty object. RMT fails (500) on anything that is
/// not an object; here `null` (what an announce without hwinfo stores) starts
/// from an empty object too, and anything else (unparsable text, a list, a
/// string) is refused with a 500 that names the problem, leaving it as it is.
pub fn with_user_agent(stored: Option<&str>, user_agent: Option<&str>) -> Result<String> {
    let agent = to_rails_json(Some(&user_agent.map_or(Value::Null, |ua| Value::String(ua.to_string()))));
    let stored = match stored {
        None => return Ok(format!(r#"{{"user_agent":{agent}}}"#)),
        Some(text) if text.trim_matches(JSON_WHITESPACE) == "null" => {
            return Ok(format!(r#"{{"user_agent":{agent}}}"#))
        }
        Some(text) => text,
    };
    let members = stored_members(stored)?;
    let not_an_object = || Error::Internal(NOT_AN_OBJECT.into());
    let mut out = String::with_capacity(stored.len() + agent.len() + 16);
    let mut copied = 0;
    for member in members.iter().filter(|m| m.key == "user_agent") {
        out.push_str(&stored[copied..member.value.start]);
        out.push_str(&agent);
        copied = member.value.end;
    }
    if copied == 0 {
        // Appended before the closing brace, after the last member if any.
        let close = stored.rfind('}').ok_or_else(not_an_object)?;
        let insert_at = members.last().map_or(close, |m| m.value.end);
        out.push_str(&stored[..insert_at]);
        out.push_str(if members.is_empty() { "" } else { "," });
        out.push_str(r#""user_agent":"#);
        out.push_str(&agent);
        copied = insert_at;
    }
    out.push_str(&stored[copied..]);
    Ok(out)
}

/// The stored hwinfo JSON with the hwinfo of an update merged in, as RMT's
/// `update` leaves it (`system_information_hash.update(hwinfo).to_json`):
/// RMT parses the stored JSON (a repeated key keeps its first position and
/// its last value), then each sent key replaces the stored one in place or
/// is appended. Stored values keep their bytes (see [`with_user_agent`]);
/// what is stored decides as there.
pub fn with_hwinfo(stored: Option<&str>, hwinfo: &[(String, Value)]) -> Result<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(stored) = stored.filter(|text| text.trim_matches(JSON_WHITESPACE) != "null") {
        for member in stored_members(stored)? {
            let value = stored[member.value].to_string();
            match out.iter_mut().find(|(key, _)| *key == member.key) {
                Some(kept) => kept.1 = value,
                None => out.push((member.key, value)),
            }
        }
    }
    for (key, value) in hwinfo {
        let value = to_rails_json(Some(value));
        match out.iter_mut().find(|(kept, _)| kept == key) {
            Some(kept) => kept.1 = value,
            None => out.push((key.clone(), value)),
        }
    }
    let members: Vec<String> =
        out.into_iter().map(|(key, value)| format!("{}:{value}", to_rails_json(Some(&Value::String(key))))).collect();
    Ok(format!("{{{}}}", members.join(",")))
}

const JSON_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

const NOT_AN_OBJECT: &str =
    "The system's stored hardware information (systems.system_information) is not a JSON object; it was left unchanged";

/// The top-level members of the stored hwinfo, or the 500 RmtRs answers
/// (leaving it as it is) when it is not a JSON object.
fn stored_members(stored: &str) -> Result<Vec<Member>> {
    if serde_json::from_str::<serde::de::IgnoredAny>(stored).is_err() {
        return Err(Error::Internal(NOT_AN_OBJECT.into()));
    }
    top_level_members(stored).ok_or_else(|| Error::Internal(NOT_AN_OBJECT.into()))
}

/// A top-level member of a JSON object: its decoded key and where its value's
/// text is.
struct Member {
    key: String,
    value: std::ops::Range<usize>,
}

/// The members of `text`, valid JSON, when it is an object; `None` otherwise.
fn top_level_members(text: &str) -> Option<Vec<Member>> {
    let bytes = text.as_bytes();
    let skip_ws = |mut at: usize| {
        while at < bytes.len() && JSON_WHITESPACE.contains(&(bytes[at] as char)) {
            at += 1;
        }
        at
    };
    let mut at = skip_ws(0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::new();
    at = skip_ws(at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Some(members);
    }
    loop {
        // The key: a string, its end the first quote not escaped.
        let key_start = at;
        at += 1;
        while bytes.get(at)? != &b'"' {
            at += if bytes[at] == b'\\' { 2 } else { 1 };
        }
        let key: String = serde_json::from_str(&text[key_start..=at]).ok()?;
        at = skip_ws(at + 1) + 1; // past the colon
        let value_start = skip_ws(at);
        let mut values = serde_json::Deserializer::from_str(&text[value_start..]).into_iter::<serde::de::IgnoredAny>();
        values.next()?.ok()?;
        let value_end = value_start + values.byte_offset();
        members.push(Member { key, value: value_start..value_end });
        at = skip_ws(value_end);
        match bytes.get(at)? {
            b',' => at = skip_ws(at + 1),
            b'}' => return Some(members),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwinfo_replaces_stored_members_in_place_and_appends_new_ones() {
        let cpus = |n: &str| {
            vec![("cpus".to_string(), Value::Integer(n.into())), ("mem".to_string(), Value::Integer(n.into()))]
        };
        assert_eq!(
            with_hwinfo(Some(r#"{"cpus":2,"user_agent":"a"}"#), &cpus("4")).unwrap(),
            r#"{"cpus":4,"user_agent":"a","mem":4}"#
        );
        assert_eq!(
            with_hwinfo(Some(r#"{"x":1,"user_agent":"a","x":2}"#), &[]).unwrap(),
            r#"{"x":2,"user_agent":"a"}"#,
            "a repeated stored key keeps its first position and its last value"
        );
        assert_eq!(with_hwinfo(None, &cpus("1")).unwrap(), r#"{"cpus":1,"mem":1}"#);
        assert_eq!(with_hwinfo(Some("null"), &[]).unwrap(), "{}");
        assert!(with_hwinfo(Some("[1]"), &[]).is_err());
    }

    #[test]
    fn user_agent_is_set_in_place_or_appended() {
        let set = |stored, ua| with_user_agent(stored, ua).unwrap();
        assert_eq!(
            set(Some(r#"{"cpus":2}"#), Some("SUSEConnect/1.14")),
            r#"{"cpus":2,"user_agent":"SUSEConnect/1.14"}"#
        );
        assert_eq!(set(Some(r#"{"user_agent":"old","cpus":2}"#), Some("new")), r#"{"user_agent":"new","cpus":2}"#);
        assert_eq!(set(Some("null"), None), r#"{"user_agent":null}"#);
        assert_eq!(set(Some("{}"), Some("a")), r#"{"user_agent":"a"}"#);
        assert_eq!(
            set(Some(r#"{"f":-9.283236613488548e+154}"#), Some("a")),
            r#"{"f":-9.283236613488548e+154,"user_agent":"a"}"#
        );
        assert_eq!(set(None, Some("<x>")), r#"{"user_agent":"\u003cx\u003e"}"#);
    }

    #[test]
    fn every_other_stored_byte_is_kept() {
        let set = |stored, ua| with_user_agent(Some(stored), ua).unwrap();
        // Integers beyond 64 bits, float texts Ruby would print otherwise,
        // escapes, spacing, key order and nesting, as stored.
        let stored = r#"{ "big": 123456789012345678901234567890, "neg": -18446744073709551617,
  "f": 1.50, "e": 1E400, "s": "\u00e9\/<", "user_agent" : "old", "n": {"user_agent": 1}, "z": [1.0e+15] }"#;
        assert_eq!(
            set(stored, Some("SUSEConnect/1.14")),
            stored.replace(r#""user_agent" : "old""#, r#""user_agent" : "SUSEConnect/1.14""#)
        );
        let appended = set(r#"{"big":123456789012345678901234567890 , "f":0.10 }"#, Some("a"));
        assert_eq!(appended, r#"{"big":123456789012345678901234567890 , "f":0.10,"user_agent":"a" }"#);
        // Ruby's parser keeps the last of repeated keys; writing every one agrees.
        assert_eq!(set(r#"{"user_agent":"a","user_agent":"b"}"#, Some("c")), r#"{"user_agent":"c","user_agent":"c"}"#);
        // An escaped key is the same key.
        assert_eq!(set(r#"{"user\u005fagent":"a"}"#, Some("c")), r#"{"user\u005fagent":"c"}"#);
    }

    #[test]
    fn stored_text_that_is_not_an_object_is_refused_and_left_alone() {
        for stored in ["{\"cpus\":2", "not json", "[1,2]", "\"text\"", "42", "", "{\"a\":1}x"] {
            let err = with_user_agent(Some(stored), Some("a")).unwrap_err();
            assert_eq!(err.status(), 500, "{stored}");
            assert!(err.to_string().contains("not a JSON object"), "{err}");
            assert!(!err.to_string().contains(stored) || stored.is_empty(), "no stored data in the message");
        }
    }
}
