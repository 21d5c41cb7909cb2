//! The fast lane's Ruby objects: a request read from its raw parts (or nil
//! when Rails must answer it), what RMT's log says of it, and its answer.

use magnus::{method, prelude::*, Error, RHash, RModule, RString, Ruby};
use rmt_rs_core::fast_lane::{self, FastRequest, Host, RawRequest};
use rmt_rs_core::rails::params::{LogSettings, Wrapper};

use crate::{answer_record, errors, gvl, released};

/// How the app's request log shows parameters, read once from Rails.
#[magnus::wrap(class = "RmtRs::Native::LogSettings", free_immediately, size)]
struct RbLogSettings(LogSettings);

/// `filters`: `filter_parameters` words; `wrappers`: `[[action, key, include], ...]`
/// of the controllers whose parameters Rails wraps.
fn log_settings(filters: Vec<String>, wrappers: Vec<(String, String, Vec<String>)>) -> RbLogSettings {
    RbLogSettings(LogSettings {
        filters: filters.into_iter().map(|f| f.to_lowercase()).collect(),
        wrappers: wrappers.into_iter().map(|(action, key, include)| (action, Wrapper { key, include })).collect(),
    })
}

#[magnus::wrap(class = "RmtRs::Native::FastRequest", free_immediately, size)]
struct RbFastRequest(FastRequest);

/// Bodies up to this size are read with the GVL held (a real announce is
/// 5-20 KB: a few microseconds); larger ones, up to the 2 MiB limit, without.
const READ_WITH_GVL: usize = 64 * 1024;

/// The request in its raw parts (`system_token` nil when the header is
/// absent), or nil when Rails must answer it.
#[allow(clippy::too_many_arguments)]
fn fast_request(
    ruby: &Ruby,
    method: String,
    path: String,
    content_type: Option<String>,
    accept: Option<String>,
    query: Option<String>,
    body: RString,
    authorization: Option<String>,
    system_token: Option<String>,
    user_agent: Option<String>,
) -> Result<Option<RbFastRequest>, Error> {
    // SAFETY: the Ruby string is copied at once, with the GVL held.
    let body = unsafe { body.as_slice() }.to_vec();
    let raw = RawRequest {
        method: &method,
        path: &path,
        content_type: content_type.as_deref(),
        accept: accept.as_deref(),
        query: query.as_deref().unwrap_or(""),
        body: &body,
        authorization: authorization.as_deref(),
        system_token: system_token.as_deref(),
        user_agent: user_agent.as_deref(),
    };
    let read = if body.len() <= READ_WITH_GVL {
        fast_lane::read(&raw)
    } else {
        let cancel = rmt_rs_core::Cancel::new();
        match gvl::without_gvl(&cancel, || Ok(fast_lane::read(&raw)))? {
            Ok(read) => read,
            Err(e) => return Err(errors::raise(ruby, e)),
        }
    };
    Ok(read.ok().map(RbFastRequest))
}

impl RbFastRequest {
    fn controller(&self) -> String {
        self.0.controller()
    }

    fn action(&self) -> &'static str {
        self.0.action_name()
    }

    fn logged_params(&self, settings: &RbLogSettings) -> Option<String> {
        self.0.logged_params(&settings.0)
    }

    /// The answer's record, as every endpoint's (`answer_record`), answered
    /// with the GVL released.
    fn answer(ruby: &Ruby, rb_self: &Self, base_url: String, tokens_disabled: bool) -> Result<RHash, Error> {
        let host = Host { base_url, tokens_disabled, release: crate::ENGINE.release() };
        let answer = released(ruby, |engine, call| {
            let work = fast_lane::answer(engine.pool(), engine.catalog_cache(), &rb_self.0, &host);
            if rb_self.0.opens_registration() {
                call.run_opening(work)
            } else {
                call.run(work)
            }
        })?;
        answer_record(ruby, answer)
    }
}

pub fn define(ruby: &Ruby, native: RModule) -> Result<(), Error> {
    native.define_singleton_method("fast_request", magnus::function!(fast_request, 9))?;
    native.define_singleton_method("log_settings", magnus::function!(log_settings, 2))?;
    let class = native.define_class("FastRequest", ruby.class_object())?;
    class.define_method("controller", method!(RbFastRequest::controller, 0))?;
    class.define_method("action", method!(RbFastRequest::action, 0))?;
    class.define_method("logged_params", method!(RbFastRequest::logged_params, 1))?;
    class.define_method("answer", method!(RbFastRequest::answer, 2))?;
    native.define_class("LogSettings", ruby.class_object())?;
    Ok(())
}
