//! Core errors as the Ruby exceptions of `lib/rmt_rs/errors.rb`.

use magnus::{prelude::*, Error, ExceptionClass, RModule, Ruby};
use rmt_rs_core::Error as CoreError;

fn class_name(err: &CoreError) -> &'static str {
    match err {
        CoreError::InvalidInput(_) => "UnprocessableEntity",
        CoreError::Unauthorized(_) => "Unauthorized",
        CoreError::Unavailable(_) | CoreError::Deadlock => "ServiceUnavailable",
        CoreError::Interrupted => "Interrupted",
        CoreError::Internal(_) => "InternalError",
    }
}

pub fn raise(ruby: &Ruby, err: CoreError) -> Error {
    let class = ruby
        .class_object()
        .const_get::<_, RModule>("RmtRs")
        .and_then(|m| m.const_get::<_, ExceptionClass>(class_name(&err)));
    match class {
        Ok(class) => Error::new(class, err.to_string()),
        Err(lookup) => lookup,
    }
}
