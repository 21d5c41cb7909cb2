//! Core errors as the Ruby exceptions of `lib/rmt_rs/errors.rb`, whose classes
//! are looked up once, when the library loads.

use std::sync::OnceLock;

use magnus::{gc, prelude::*, value::Opaque, Error, ExceptionClass, RModule, Ruby};
use rmt_rs_core::Error as CoreError;

/// RmtRs's exception classes, each a core error's.
struct Classes {
    unprocessable_entity: Opaque<ExceptionClass>,
    unauthorized: Opaque<ExceptionClass>,
    service_unavailable: Opaque<ExceptionClass>,
    interrupted: Opaque<ExceptionClass>,
    internal_error: Opaque<ExceptionClass>,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Looks the classes up under `rmt_rs` (lib/rmt_rs.rb requires errors.rb
/// before this library), so that a missing one fails the load, not a request,
/// and no request looks a constant up.
pub fn look_up(rmt_rs: RModule) -> Result<(), Error> {
    let class = |name: &str| -> Result<Opaque<ExceptionClass>, Error> {
        let class: ExceptionClass = rmt_rs.const_get(name)?;
        // Kept from Ruby's garbage collector, and from its compaction moving
        // it, for as long as this static holds it: for good.
        gc::register_mark_object(class);
        Ok(class.into())
    };
    let classes = Classes {
        unprocessable_entity: class("UnprocessableEntity")?,
        unauthorized: class("Unauthorized")?,
        service_unavailable: class("ServiceUnavailable")?,
        interrupted: class("Interrupted")?,
        internal_error: class("InternalError")?,
    };
    // Loaded again (the library required by another path), the first lookup
    // stays: the classes are the same constants.
    let _ = CLASSES.set(classes);
    Ok(())
}

pub fn raise(ruby: &Ruby, err: CoreError) -> Error {
    let Some(classes) = CLASSES.get() else {
        // Not reached: `init` looks the classes up before it defines anything
        // that could raise one.
        return Error::new(ruby.exception_runtime_error(), err.to_string());
    };
    let class = match err {
        CoreError::InvalidInput(_) => classes.unprocessable_entity,
        CoreError::Unauthorized(_) => classes.unauthorized,
        CoreError::Unavailable(..) | CoreError::Deadlock => classes.service_unavailable,
        CoreError::Interrupted => classes.interrupted,
        CoreError::Internal(_) => classes.internal_error,
    };
    Error::new(ruby.get_inner(class), err.to_string())
}
