//! Ruby 3.1's `inspect` of parameter values: what RMT writes when a profile's
//! data (an array of lines) is stored in a text column (ActiveRecord casts it
//! with `to_s`), and what Rails' request log prints as `Parameters: {...}`.
//!
//! Only strings of printable ASCII and the control characters Ruby escapes by
//! name or `\uXXXX` are rendered; a string with any other character gives
//! `None`, because which non-ASCII characters Ruby prints as they are depends
//! on Onigmo's tables. The caller then leaves the request to Ruby.

use crate::rails::float::ruby_float_to_s;
use crate::rails::value::Value;

/// `value.inspect`, or `None` for a string Ruby alone renders exactly.
pub fn inspect(value: &Value) -> Option<String> {
    let mut out = String::new();
    write(value, &mut out)?;
    Some(out)
}

fn write(value: &Value, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(digits) => out.push_str(digits),
        Value::Float(f) if f.is_nan() => out.push_str("NaN"),
        Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" }),
        Value::Float(f) => out.push_str(&ruby_float_to_s(*f)),
        Value::String(s) => write_string(s, out)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, out)?;
            }
            out.push(']');
        }
        Value::Object(pairs) => {
            out.push('{');
            for (i, (key, item)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(key, out)?;
                out.push_str("=>");
                write(item, out)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// `String#inspect` of a UTF-8 string.
pub fn write_string(s: &str, out: &mut String) -> Option<()> {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // `#{`, `#$` and `#@` would interpolate in a literal.
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            '\u{8}' => out.push_str("\\b"),
            '\u{7}' => out.push_str("\\a"),
            '\u{1b}' => out.push_str("\\e"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_ascii() => out.push(c),
            _ => return None,
        }
    }
    out.push('"');
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn strings_escape_as_ruby_does() {
        // Ruby 3.1: "a\x01\x7f\e\a\b\v\f\n\r\t\#{x}\#$y\#@z#a\\\"".inspect
        let ruby = r#""a\u0001\u007F\e\a\b\v\f\n\r\t\#{x}\#$y\#@z#a\\\"""#;
        assert_eq!(inspect(&s("a\u{1}\u{7f}\u{1b}\u{7}\u{8}\u{b}\u{c}\n\r\t#{x}#$y#@z#a\\\"")).unwrap(), ruby);
    }

    #[test]
    fn collections_and_scalars_as_ruby_prints_them() {
        let value = Value::Array(vec![
            s("a"),
            Value::Integer("1".into()),
            Value::Float(1.0),
            Value::Null,
            Value::Bool(true),
            Value::object([("k".to_string(), Value::Integer("2".into()))]),
        ]);
        assert_eq!(inspect(&value).unwrap(), r#"["a", 1, 1.0, nil, true, {"k"=>2}]"#);
        assert_eq!(inspect(&Value::Float(1e20)).unwrap(), "1.0e+20");
    }

    #[test]
    fn non_ascii_is_left_to_ruby() {
        assert_eq!(inspect(&s("é")), None);
        assert_eq!(inspect(&Value::object([("ü".to_string(), Value::Null)])), None);
    }
}
