//! Ruby values (as Rails hands them over from a parsed JSON body) to core values.

use magnus::{prelude::*, r_hash::ForEach, Error, Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value};
use rmt_rs_core::Value as CoreValue;

/// Deeper than any JSON body Rails parses (its parser stops at 100 levels), and
/// shallow enough for the recursive conversion and encoder to stay on the stack.
const MAX_DEPTH: usize = 256;

/// `nil` or a Hash, else `TypeError`.
pub fn optional_hash(ruby: &Ruby, value: Value, name: &str) -> Result<Option<CoreValue>, Error> {
    if value.is_nil() {
        return Ok(None);
    }
    let hash = RHash::from_value(value).ok_or_else(|| not_a_hash(ruby, value, name))?;
    Ok(Some(CoreValue::object(pairs(ruby, hash, 0)?)))
}

/// The key/value pairs of `nil` (none) or a Hash, else `TypeError`.
pub fn hash_pairs(ruby: &Ruby, value: Value, name: &str) -> Result<Vec<(String, CoreValue)>, Error> {
    match optional_hash(ruby, value, name)? {
        Some(CoreValue::Object(pairs)) => Ok(pairs),
        _ => Ok(Vec::new()),
    }
}

fn not_a_hash(ruby: &Ruby, value: Value, name: &str) -> Error {
    Error::new(ruby.exception_type_error(), format!("{name} must be a Hash, not {}", unsafe { value.classname() }))
}

fn pairs(ruby: &Ruby, hash: RHash, depth: usize) -> Result<Vec<(String, CoreValue)>, Error> {
    let mut out = Vec::with_capacity(hash.len());
    hash.foreach(|key: Value, value: Value| {
        out.push((key_text(key)?, convert(ruby, value, depth + 1)?));
        Ok(ForEach::Continue)
    })?;
    Ok(out)
}

/// Rails turns every key into a string with `to_s`.
fn key_text(key: Value) -> Result<String, Error> {
    match RString::from_value(key) {
        Some(s) => s.to_string(),
        None => key.to_r_string()?.to_string(),
    }
}

fn convert(ruby: &Ruby, value: Value, depth: usize) -> Result<CoreValue, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(ruby.exception_arg_error(), format!("nested deeper than {MAX_DEPTH} levels")));
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
        return Ok(CoreValue::String(s.to_string()?));
    }
    if let Some(sym) = Symbol::from_value(value) {
        return Ok(CoreValue::String(sym.name()?.into_owned()));
    }
    if Integer::from_value(value).is_some() {
        return Ok(CoreValue::Integer(value.to_r_string()?.to_string()?));
    }
    if let Some(f) = Float::from_value(value) {
        return Ok(CoreValue::Float(f.to_f64()));
    }
    if let Some(array) = RArray::from_value(value) {
        let mut items = Vec::with_capacity(array.len());
        for item in array.into_iter() {
            items.push(convert(ruby, item, depth + 1)?);
        }
        return Ok(CoreValue::Array(items));
    }
    if let Some(hash) = RHash::from_value(value) {
        return Ok(CoreValue::object(pairs(ruby, hash, depth)?));
    }
    Err(Error::new(
        ruby.exception_type_error(),
        format!("cannot store a {} (JSON values only)", unsafe { value.classname() }),
    ))
}
