//! JSON exactly as Rails 6.1 stores `hash.to_json` (ActiveSupport's encoder on top of
//! the json gem): RMT keeps that text in `systems.system_information`, so RmtRs must
//! produce the same bytes.
//!
//! What differs from serde_json's output: `<`, `>`, `&`, U+2028 and U+2029 are
//! written as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029` (in keys too); other
//! control characters as lowercase `\u00XX`; floats as Ruby's `Float#to_s` prints
//! them (`1.0`, `1.0e+20`, `1.0e-05`); non-finite floats as `null`.

use crate::rails::float::ruby_float_to_s;
use crate::rails::value::Value;

/// Rails' `to_json` of an optional hash: RMT stores `nil.to_json`, the text `null`,
/// when a client sends no hwinfo.
pub fn to_rails_json(value: Option<&Value>) -> String {
    let mut out = String::new();
    match value {
        Some(v) => write_value(v, &mut out),
        None => out.push_str("null"),
    }
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(digits) => out.push_str(digits),
        Value::Float(f) if f.is_finite() => out.push_str(&ruby_float_to_s(*f)),
        Value::Float(_) => out.push_str("null"),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(pairs) => {
            out.push('{');
            for (i, (key, item)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => push_unicode_escape(c, out),
            c if (c as u32) < 0x20 => push_unicode_escape(c, out),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_unicode_escape(c: char, out: &mut String) {
    out.push_str(&format!("\\u{:04x}", c as u32));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }
    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn absent_hwinfo_is_null() {
        assert_eq!(to_rails_json(None), "null");
    }

    #[test]
    fn keeps_key_order_and_types() {
        let v = obj(&[
            ("zeta", Value::Integer("8".into())),
            ("alpha", Value::Array(vec![Value::Bool(true), Value::Null, Value::Float(2.5)])),
            ("mem_total", s("16000")),
        ]);
        assert_eq!(to_rails_json(Some(&v)), r#"{"zeta":8,"alpha":[true,null,2.5],"mem_total":"16000"}"#);
    }

    #[test]
    fn escapes_html_characters_and_line_separators_in_keys_and_values() {
        let v = obj(&[("<k&>", s("<script>&\u{2028}\u{2029}</script>"))]);
        assert_eq!(
            to_rails_json(Some(&v)),
            r#"{"\u003ck\u0026\u003e":"\u003cscript\u003e\u0026\u2028\u2029\u003c/script\u003e"}"#
        );
    }

    #[test]
    fn escapes_control_characters_like_the_json_gem() {
        let v = s("q\"b\\n\nr\rt\tb\u{8}f\u{c}\u{1}\u{1f}\u{7f}/é😀");
        assert_eq!(to_rails_json(Some(&v)), "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\u{7f}/é😀\"");
    }

    #[test]
    fn prints_floats_as_ruby_does_and_infinity_as_null() {
        assert_eq!(to_rails_json(Some(&Value::Float(2.5))), "2.5");
        assert_eq!(to_rails_json(Some(&Value::Float(f64::INFINITY))), "null");
    }

    #[test]
    fn big_integers_keep_their_digits() {
        let v = Value::Integer("123456789012345678901234567890".into());
        assert_eq!(to_rails_json(Some(&v)), "123456789012345678901234567890");
    }
}
