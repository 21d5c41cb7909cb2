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

/// The outcome of a call made without the GVL. An interrupted call first lets Ruby
/// raise what interrupted it (`Timeout::Error`, `Thread#kill`), as a blocking
/// Ruby call would.
pub fn into_ruby<T>(ruby: &Ruby, outcome: rmt_rs_core::Result<T>) -> Result<T, Error> {
    match outcome {
        Ok(value) => Ok(value),
        Err(CoreError::Interrupted) => {
            // SAFETY: called with the GVL held; `protect` turns a raise or throw
            // from the pending interrupt into an `Err` instead of a longjmp.
            magnus::rb_sys::protect(|| unsafe {
                rb_sys::rb_thread_check_ints();
                rb_sys::Qnil as rb_sys::VALUE
            })?;
            Err(raise(ruby, CoreError::Interrupted))
        }
        Err(err) => Err(raise(ruby, err)),
    }
}
