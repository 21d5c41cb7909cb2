//! How records cross between Ruby and the binding: by name, never by position.
//! What the binding answers is a record, a Hash keyed by symbols (`record`),
//! which `RmtRs::Seam` (lib/rmt_rs/seam.rb) turns into its Ruby classes; a
//! record Ruby hands over (an `RmtRs::Caller`, a Hash) is read field by field
//! (`field`). A field renamed on one side then fails at once, naming it,
//! instead of shifting what the other side reads.

use magnus::{value::ReprValue, Error, RHash, RStruct, Ruby, TryConvert, Value};

/// A Hash of `fields`, keyed by symbols.
pub fn record<const N: usize>(ruby: &Ruby, fields: [(&str, Value); N]) -> Result<RHash, Error> {
    let hash = ruby.hash_new();
    for (name, value) in fields {
        hash.aset(ruby.sym_new(name), value)?;
    }
    Ok(hash)
}

/// The symbol that tells one kind of record from another (`kind:`).
pub fn kind(ruby: &Ruby, name: &str) -> Value {
    ruby.sym_new(name).as_value()
}

/// The field `name` of a record from Ruby: a Struct's member, or a Hash's
/// value under the symbol `name` (nil when absent).
pub fn field<T: TryConvert>(record: impl ReprValue, name: &str) -> Result<T, Error> {
    let record = record.as_value();
    if let Some(members) = RStruct::from_value(record) {
        return members.getmember(name);
    }
    let ruby = Ruby::get_with(record);
    match RHash::from_value(record) {
        Some(hash) => hash.lookup(ruby.sym_new(name)),
        None => Err(Error::new(
            ruby.exception_type_error(),
            format!("expected a Struct or a Hash with {name}, not {}", record.class().inspect()),
        )),
    }
}
