//! `RmtRs::Native.health_saturated?`: whether RMT's health check should say
//! this process is saturated (opt-in, `health_when_saturated`), for the
//! request this thread works on (`call::set_arrival`). A lock and a clock
//! read, no database: the GVL stays held.

use magnus::{prelude::*, Error, Ruby};

fn health_saturated(ruby: &Ruby) -> Result<bool, Error> {
    let engine = crate::ENGINE.get().map_err(|e| crate::errors::raise(ruby, e))?;
    Ok(engine.health_saturated(crate::call::Call::current_arrival()))
}

pub fn define(native: magnus::RModule) -> Result<(), Error> {
    native.define_singleton_method("health_saturated?", magnus::function!(health_saturated, 0))
}
