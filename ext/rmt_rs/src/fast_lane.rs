//! The fast lane's Ruby objects: an announce read from the raw request (or nil
//! when Rails must answer it), what RMT's log says of it, and its answer.

use magnus::{method, prelude::*, Error, RArray, RModule, RString, Ruby};
use rmt_rs_core::fast_lane::{self, Announce, RawRequest};
use rmt_rs_core::rails_params::LogSettings;
use rmt_rs_core::{announce_system, Answer};

use crate::{errors, gvl, released};

/// How the app's request log shows parameters, read once from Rails.
#[magnus::wrap(class = "RmtRs::Native::LogSettings", free_immediately, size)]
struct RbLogSettings(LogSettings);

fn log_settings(filters: Vec<String>, wrapper: Option<(String, Vec<String>)>) -> RbLogSettings {
    RbLogSettings(LogSettings { filters: filters.into_iter().map(|f| f.to_lowercase()).collect(), wrapper })
}

#[magnus::wrap(class = "RmtRs::Native::FastAnnounce", free_immediately, size)]
struct FastAnnounce(Announce);

/// Bodies up to this size are read with the GVL held (a real announce is
/// 5-20 KB: a few microseconds); larger ones, up to the 2 MiB limit, without.
const READ_WITH_GVL: usize = 64 * 1024;

/// The announce in a raw request, or nil when Rails must answer it.
fn fast_announce(
    ruby: &Ruby,
    content_type: Option<String>,
    accept: Option<String>,
    query: Option<String>,
    body: RString,
) -> Result<Option<FastAnnounce>, Error> {
    // SAFETY: the Ruby string is copied at once, with the GVL held.
    let body = unsafe { body.as_slice() }.to_vec();
    let raw = RawRequest {
        content_type: content_type.as_deref(),
        accept: accept.as_deref(),
        query: query.as_deref().unwrap_or(""),
        body: &body,
    };
    let read = if body.len() <= READ_WITH_GVL {
        fast_lane::announce(&raw)
    } else {
        let cancel = rmt_rs_core::Cancel::new();
        match gvl::without_gvl(&cancel, || Ok(fast_lane::announce(&raw)))? {
            Ok(read) => read,
            Err(e) => return Err(errors::raise(ruby, e)),
        }
    };
    Ok(read.ok().map(FastAnnounce))
}

impl FastAnnounce {
    fn controller(&self) -> String {
        self.0.controller()
    }

    /// What RMT's `@system.hostname` is once written.
    fn hostname(&self) -> Option<String> {
        self.0.request.hostname.clone()
    }

    fn logged_params(&self, settings: &RbLogSettings) -> Option<String> {
        self.0.logged_params(&settings.0)
    }

    /// `[status, body, [[header, value], ...]]`, written with the GVL released.
    fn answer(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let request = &rb_self.0.request;
        let announced = released(ruby, |engine, cancel| engine.run(cancel, announce_system(engine.pool(), request)))?;
        Ok(rack_answer(ruby, announced.answer()))
    }
}

fn rack_answer(ruby: &Ruby, answer: Answer) -> RArray {
    let mut headers: Vec<(String, String)> = answer.headers.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    if answer.token_header {
        headers.push(("System-Token".into(), answer.system_token.unwrap_or_default()));
    }
    ruby.ary_new_from_values(&[ruby.into_value(answer.status), ruby.into_value(answer.body), ruby.into_value(headers)])
}

pub fn define(ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("fast_announce", magnus::function!(fast_announce, 4))?;
    native.define_singleton_method("log_settings", magnus::function!(log_settings, 2))?;
    let class = native.define_class("FastAnnounce", ruby.class_object())?;
    class.define_method("controller", method!(FastAnnounce::controller, 0))?;
    class.define_method("hostname", method!(FastAnnounce::hostname, 0))?;
    class.define_method("logged_params", method!(FastAnnounce::logged_params, 1))?;
    class.define_method("answer", method!(FastAnnounce::answer, 0))?;
    native.define_class("LogSettings", ruby.class_object())?;
    Ok(())
}
