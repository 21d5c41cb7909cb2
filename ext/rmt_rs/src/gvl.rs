//! Running Rust work with the GVL released, so Puma's other threads keep serving.
//!
//! The closure must be `Send` and return a `Send` value: the compiler then refuses
//! any Ruby object inside it. Ruby's unblocking function only fires the
//! [`Cancel`], so `Thread#kill`, `Timeout` and `Rack::Timeout` end a call waiting
//! on the database at once. A panic is caught inside the callback and turned into
//! an error after the GVL is back: it never unwinds through Ruby's C frames.
//!
//! Interrupts never jump over Rust frames. `rb_thread_call_without_gvl` handles
//! pending interrupts before and after its callback by raising, that is by a
//! `longjmp` over this module, the binding and magnus's wrapper: their destructors
//! would never run (the request, the result and a reference to the engine leaked
//! on every interrupted call, and undefined behaviour in Rust). So this uses
//! `rb_thread_call_without_gvl2`, which returns instead, and then lets Ruby handle
//! what is pending inside `rb_protect`: what that raises (`Timeout::Error`) or
//! throws (`Thread#kill`'s fatal tag) comes back as a magnus [`magnus::Error`],
//! which magnus raises only once every Rust frame of the call has returned.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rmt_rs_core::{Cancel, Error, Result};

/// How often a callback that Ruby skipped (an interrupt was pending that raised
/// nothing, such as the timer asking this thread to let others run) is tried
/// again before the call is reported interrupted.
const SKIPPED_ATTEMPTS: usize = 16;

struct Call<F, T> {
    work: Option<F>,
    result: Option<std::thread::Result<Result<T>>>,
}

unsafe extern "C" fn run_call<F, T>(data: *mut c_void) -> *mut c_void
where
    F: FnOnce() -> Result<T>,
{
    // SAFETY: `data` is the `Call` that `without_gvl` keeps alive on its stack for
    // the whole `rb_thread_call_without_gvl2`, and only this callback touches it then.
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

/// Runs `work` without the GVL. `Err` carries what interrupted the call (the
/// exception or jump that Ruby would have raised at once), to be returned to
/// magnus as it is; `Ok` the work's own outcome. Call with the GVL held.
pub fn without_gvl<F, T>(cancel: &Cancel, work: F) -> std::result::Result<Result<T>, magnus::Error>
where
    F: FnOnce() -> Result<T> + Send,
    T: Send,
{
    let mut call = Call { work: Some(work), result: None };
    for _ in 0..SKIPPED_ATTEMPTS {
        // SAFETY: both pointers outlive the call (see the callbacks), and the
        // callbacks touch no Ruby object. This variant never raises: with an
        // interrupt pending it returns without running the callback.
        unsafe {
            rb_sys::rb_thread_call_without_gvl2(
                Some(run_call::<F, T>),
                &mut call as *mut Call<F, T> as *mut c_void,
                Some(unblock),
                cancel as *const Cancel as *mut c_void,
            );
        }
        match call.result.take() {
            Some(Ok(Err(Error::Interrupted))) => {
                handle_interrupts()?;
                return Ok(Err(Error::Interrupted));
            }
            Some(Ok(outcome)) => return Ok(outcome),
            Some(Err(_panic)) => {
                return Ok(Err(Error::Internal("RmtRs failed unexpectedly (a bug: please report it)".into())))
            }
            // Skipped for a pending interrupt: raise it, or run again if it
            // raised nothing.
            None => handle_interrupts()?,
        }
    }
    Ok(Err(Error::Interrupted))
}

/// Lets Ruby handle this thread's pending interrupts (as any blocking Ruby call
/// would), catching what they raise or throw.
fn handle_interrupts() -> std::result::Result<(), magnus::Error> {
    // SAFETY: called with the GVL held. `protect` turns a raise or throw from the
    // pending interrupt into an `Err` instead of a longjmp.
    magnus::rb_sys::protect(|| unsafe {
        rb_sys::rb_thread_check_ints();
        rb_sys::Qnil as rb_sys::VALUE
    })?;
    Ok(())
}
