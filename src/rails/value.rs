//! The values a client sends (hwinfo, system profiles), as Ruby holds them after
//! Rails parsed the request: integers of any size, floats, ordered hashes.

use std::collections::hash_map::{Entry, HashMap};

// The limits of one request's values, all its arguments together. Real
// SUSEConnect bodies stay far below them: hwinfo has about 20 keys, the
// system profiles a few entries whose data (mod_list, the largest, is about
// 100 KB as text) adds up to a few hundred KB.

/// Hash keys and array items, all levels: 500 times a real announce's, and
/// converted in milliseconds.
pub const MAX_ENTRIES: usize = 10_000;
/// Bytes of keys and strings: several times the largest real profiles, and small
/// enough that hwinfo stays under MariaDB's default `max_allowed_packet` (16 MiB)
/// even when Rails' JSON escapes every byte six-fold (`<` is `\u003c`).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Deeper than any JSON body Rails parses (its parser stops at 100 levels), and
/// shallow enough for the recursive conversion and encoder to stay on the stack.
pub const MAX_DEPTH: usize = 256;

/// A JSON-like value that keeps what Rails' encoder needs to reproduce RMT's bytes:
/// integers as their decimal text (Ruby integers are unbounded) apart from floats
/// (Ruby prints `1.0`, not `1`), and object keys in the client's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Decimal text of an integer, e.g. `-12` or `123456789012345678901234567890`.
    Integer(String),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// An object from key/value pairs. A repeated key keeps its first position and
    /// takes the last value, as a Ruby Hash built from the same pairs does (for
    /// example `{a: 1, "a" => 2}` once Rails has turned the keys into strings).
    /// Linear in the number of pairs (an index of the keys seen): a client
    /// controls how many there are.
    pub fn object(pairs: impl IntoIterator<Item = (String, Value)>) -> Value {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for (key, value) in pairs {
            match positions.entry(key) {
                Entry::Occupied(seen) => out[*seen.get()].1 = value,
                Entry::Vacant(new) => {
                    out.push((new.key().clone(), value));
                    new.insert(out.len() - 1);
                }
            }
        }
        Value::Object(out)
    }

    /// The value under `key` of an object; `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Ruby's `present?`: nil, false, whitespace-only strings and empty collections
    /// are blank; numbers and `true` are present.
    pub fn is_present(&self) -> bool {
        match self {
            Value::Null | Value::Bool(false) => false,
            Value::Bool(true) | Value::Integer(_) | Value::Float(_) => true,
            Value::String(s) => !is_blank_text(s),
            Value::Array(items) => !items.is_empty(),
            Value::Object(pairs) => !pairs.is_empty(),
        }
    }
}

/// ActiveSupport's `String#blank?`: empty or Unicode whitespace only.
pub fn is_blank_text(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) if n.is_f64() => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::Number(n) => Value::Integer(n.to_string()),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(map) => Value::object(map.into_iter().map(|(k, v)| (k, Value::from(v)))),
        }
    }
}

/// RMT's string column types, which ActiveRecord's MySQL adapter casts differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringColumn {
    /// `varchar`: the adapter's `MysqlString` writes booleans as `1`/`0`.
    Varchar,
    /// `text`/`longtext`: ActiveModel's string cast writes them as `t`/`f`.
    Text,
}

impl Value {
    /// The text Rails writes when this value is assigned to a string column:
    /// booleans as the column type says, numbers their `to_s`, nil stays NULL.
    /// `Err` for arrays and hashes, whose Ruby `inspect` text only Ruby can
    /// produce exactly (the Ruby face casts them before they get here).
    pub fn column_text(&self, column: StringColumn) -> Result<Option<String>, &'static str> {
        let (yes, no) = match column {
            StringColumn::Varchar => ("1", "0"),
            StringColumn::Text => ("t", "f"),
        };
        match self {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(if *b { yes } else { no }.to_string())),
            Value::Integer(digits) => Ok(Some(digits.clone())),
            Value::Float(f) => Ok(Some(crate::rails::float::ruby_float_to_s(*f))),
            Value::String(s) => Ok(Some(s.clone())),
            Value::Array(_) => Err("an array"),
            Value::Object(_) => Err("a hash"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_keep_first_position_and_last_value() {
        let v = Value::object([
            ("a".to_string(), Value::Integer("1".into())),
            ("b".to_string(), Value::Null),
            ("a".to_string(), Value::Integer("2".into())),
        ]);
        assert_eq!(v, Value::Object(vec![("a".into(), Value::Integer("2".into())), ("b".into(), Value::Null)]));
    }

    #[test]
    fn presence_follows_ruby() {
        assert!(!Value::Null.is_present());
        assert!(!Value::Bool(false).is_present());
        assert!(!Value::String(" \t\u{3000}\n".into()).is_present());
        assert!(!Value::Array(vec![]).is_present());
        assert!(!Value::Object(vec![]).is_present());
        assert!(Value::Bool(true).is_present());
        assert!(Value::Integer("0".into()).is_present());
        assert!(Value::String(" x ".into()).is_present());
    }
}
