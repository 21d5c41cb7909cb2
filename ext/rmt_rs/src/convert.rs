//! Ruby values (as Rails hands them over from a parsed JSON body) to core values.
//!
//! Conversion holds the GVL, so what a request may hand over is bounded: a body
//! over a limit is refused (422, before anything is written) as soon as the
//! conversion meets it, instead of keeping the worker's other threads waiting.

use magnus::{prelude::*, r_hash::ForEach, Error, Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value};
use rmt_rs_core::{Error as CoreError, Value as CoreValue};

use crate::errors;

pub use rmt_rs_core::rails::value::{MAX_BYTES, MAX_DEPTH, MAX_ENTRIES};

/// What one request may still convert (see the limits above).
pub struct Allowance {
    entries: usize,
    bytes: usize,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance { entries: MAX_ENTRIES, bytes: MAX_BYTES }
    }
}

/// `nil` or a Hash, else `TypeError`.
pub fn optional_hash(
    ruby: &Ruby,
    value: Value,
    name: &str,
    allowance: &mut Allowance,
) -> Result<Option<CoreValue>, Error> {
    if value.is_nil() {
        return Ok(None);
    }
    let hash = RHash::from_value(value).ok_or_else(|| not_a_hash(ruby, value, name))?;
    let mut conversion = Conversion { ruby, name, left: allowance };
    Ok(Some(CoreValue::object(conversion.pairs(hash, 0)?)))
}

/// The key/value pairs of `nil` (none) or a Hash, else `TypeError`.
pub fn hash_pairs(
    ruby: &Ruby,
    value: Value,
    name: &str,
    allowance: &mut Allowance,
) -> Result<Vec<(String, CoreValue)>, Error> {
    match optional_hash(ruby, value, name, allowance)? {
        Some(CoreValue::Object(pairs)) => Ok(pairs),
        _ => Ok(Vec::new()),
    }
}

fn not_a_hash(ruby: &Ruby, value: Value, name: &str) -> Error {
    Error::new(ruby.exception_type_error(), format!("{name} must be a Hash, not {}", unsafe { value.classname() }))
}

/// One argument's conversion, drawing on the request's allowance.
struct Conversion<'a> {
    ruby: &'a Ruby,
    name: &'a str,
    left: &'a mut Allowance,
}

impl Conversion<'_> {
    fn refuse(&self, why: String) -> Error {
        errors::raise(self.ruby, CoreError::InvalidInput(format!("{} {why}", self.name)))
    }

    /// Counts `count` more keys or items, before converting them.
    fn take_entries(&mut self, count: usize) -> Result<(), Error> {
        self.left.entries = self.draw(self.left.entries, count, MAX_ENTRIES, "keys and array items")?;
        Ok(())
    }

    /// Counts `count` more bytes of text, before copying them.
    fn take_bytes(&mut self, count: usize) -> Result<(), Error> {
        self.left.bytes = self.draw(self.left.bytes, count, MAX_BYTES, "bytes of keys and strings")?;
        Ok(())
    }

    /// What is left of an allowance after `count` more, or the refusal.
    fn draw(&self, left: usize, count: usize, limit: usize, what: &str) -> Result<usize, Error> {
        left.checked_sub(count).ok_or_else(|| self.refuse(format!("is too large: more than {limit} {what}")))
    }

    fn text(&mut self, s: RString) -> Result<String, Error> {
        self.take_bytes(s.len())?;
        s.to_string()
    }

    fn pairs(&mut self, hash: RHash, depth: usize) -> Result<Vec<(String, CoreValue)>, Error> {
        self.take_entries(hash.len())?;
        let mut out = Vec::with_capacity(hash.len());
        hash.foreach(|key: Value, value: Value| {
            out.push((self.key_text(key)?, self.convert(value, depth + 1)?));
            Ok(ForEach::Continue)
        })?;
        Ok(out)
    }

    /// Rails turns every key into a string with `to_s`.
    fn key_text(&mut self, key: Value) -> Result<String, Error> {
        match RString::from_value(key) {
            Some(s) => self.text(s),
            None => self.text(key.to_r_string()?),
        }
    }

    fn convert(&mut self, value: Value, depth: usize) -> Result<CoreValue, Error> {
        let ruby = self.ruby;
        if depth > MAX_DEPTH {
            return Err(self.refuse(format!("is nested deeper than {MAX_DEPTH} levels")));
        }
        if value.is_nil() {
            return Ok(CoreValue::Null);
        }
        if value.is_kind_of(ruby.class_true_class()) {
            return Ok(CoreValue::Bool(true));
        }
        if value.is_kind_of(ruby.class_false_class()) {
            return Ok(CoreValue::Bool(false));
        }
        if let Some(s) = RString::from_value(value) {
            return Ok(CoreValue::String(self.text(s)?));
        }
        if let Some(sym) = Symbol::from_value(value) {
            let name = sym.name()?;
            self.take_bytes(name.len())?;
            return Ok(CoreValue::String(name.into_owned()));
        }
        if Integer::from_value(value).is_some() {
            return Ok(CoreValue::Integer(self.text(value.to_r_string()?)?));
        }
        if let Some(f) = Float::from_value(value) {
            return Ok(CoreValue::Float(f.to_f64()));
        }
        if let Some(array) = RArray::from_value(value) {
            self.take_entries(array.len())?;
            let mut items = Vec::with_capacity(array.len());
            for item in array.into_iter() {
                items.push(self.convert(item, depth + 1)?);
            }
            return Ok(CoreValue::Array(items));
        }
        if let Some(hash) = RHash::from_value(value) {
            return Ok(CoreValue::object(self.pairs(hash, depth)?));
        }
        Err(Error::new(
            ruby.exception_type_error(),
            format!("cannot store a {} (JSON values only)", unsafe { value.classname() }),
        ))
    }
}

/// Column values of a row as a Hash (column name => nil, true/false, Integer
/// or String), for ActiveRecord's `instantiate`.
pub fn attributes(ruby: &Ruby, columns: &[(String, CoreValue)]) -> Result<RHash, Error> {
    let hash = ruby.hash_new();
    for (name, value) in columns {
        let value: Value = match value {
            CoreValue::Null => ruby.qnil().as_value(),
            CoreValue::Bool(b) => ruby.into_value(*b),
            CoreValue::Integer(text) => ruby.into_value(
                text.parse::<i64>()
                    .map_err(|_| Error::new(ruby.exception_range_error(), format!("column {name} is out of range")))?,
            ),
            CoreValue::String(text) => ruby.into_value(text.as_str()),
            CoreValue::Float(f) => ruby.into_value(*f),
            CoreValue::Array(_) | CoreValue::Object(_) => {
                return Err(Error::new(ruby.exception_type_error(), format!("column {name} is not a column value")))
            }
        };
        hash.aset(name.as_str(), value)?;
    }
    Ok(hash)
}
