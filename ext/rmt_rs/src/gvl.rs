//! Running Rust work with the GVL released, so Puma's other threads keep serving.
//!
//! The closure must be `Send` and return a `Send` value: the compiler then refuses
//! any Ruby object inside it. Ruby's unblocking function only fires the
//! [`Cancel`], so `Thread#kill`, `Timeout` and `Rack::Timeout` end a call waiting
//! on the database at once. A panic is caught inside the callback and turned into
//! an error after the GVL is back: it never unwinds through Ruby's C frames.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rmt_rs_core::{Cancel, Error, Result};

struct Call<F, T> {
    work: Option<F>,
    result: Option<std::thread::Result<Result<T>>>,
}

unsafe extern "C" fn run_call<F, T>(data: *mut c_void) -> *mut c_void
where
    F: FnOnce() -> Result<T>,
{
    // SAFETY: `data` is the `Call` that `without_gvl` keeps alive on its stack for
    // the whole `rb_thread_call_without_gvl`, and only this callback touches it then.
    let call = unsafe { &mut *(data as *mut Call<F, T>) };
    if let Some(work) = call.work.take() {
        call.result = Some(catch_unwind(AssertUnwindSafe(work)));
    }
    std::ptr::null_mut()
}

unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` is the `Cancel` borrowed by `without_gvl`; Ruby calls this only
    // while that call is in progress. `Cancel::cancel` is thread-safe.
    let cancel = unsafe { &*(data as *const Cancel) };
    cancel.cancel();
}

pub fn without_gvl<F, T>(cancel: &Cancel, work: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send,
    T: Send,
{
    let mut call = Call { work: Some(work), result: None };
    // SAFETY: both pointers outlive the call (see the callbacks), and the callbacks
    // touch no Ruby object.
    unsafe {
        rb_sys::rb_thread_call_without_gvl(
            Some(run_call::<F, T>),
            &mut call as *mut Call<F, T> as *mut c_void,
            Some(unblock),
            cancel as *const Cancel as *mut c_void,
        );
    }
    match call.result {
        Some(Ok(result)) => result,
        Some(Err(_panic)) => Err(Error::Internal("RmtRs failed unexpectedly (a bug: please report it)".into())),
        // Ruby may skip the callback when an interrupt is already pending.
        None => Err(Error::Interrupted),
    }
}
