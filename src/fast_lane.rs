//! The fast lane: a request RmtRs owns, taken from its raw parts (method, path,
//! headers, body bytes) before Rails routes it, and answered whole here:
//! Rails' parameter semantics, RMT's action, the answer's status, headers and
//! body. What Rails alone would answer exactly (an unusual body, a query
//! string, characters only Ruby's `inspect` renders) is a [`Decline`], and the
//! request goes through Rails untouched.

use crate::announce::AnnounceRequest;
use crate::rails_params::{self, Decline, LogSettings};
use crate::ruby_inspect;
use crate::value::{StringColumn, Value, MAX_BYTES, MAX_DEPTH, MAX_ENTRIES};

/// The request as the web server handed it over.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRequest<'a> {
    pub content_type: Option<&'a str>,
    pub accept: Option<&'a str>,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// RMT's connect API version, as its routes pick the controller (versionist's
/// header strategy): v3 when `Accept` names v3's media type, else v4, the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V3,
    V4,
}

const V3_MEDIA_TYPE: &str = "application/vnd.scc.suse.com.v3+json";
const V4_MEDIA_TYPE: &str = "application/vnd.scc.suse.com.v4+json";

impl ApiVersion {
    /// Declined when `Accept` names both (versionist then picks by a rule the
    /// fast lane does not repeat).
    pub fn from_accept(accept: Option<&str>) -> Result<ApiVersion, Decline> {
        let accept = accept.unwrap_or("");
        match (accept.contains(V3_MEDIA_TYPE), accept.contains(V4_MEDIA_TYPE)) {
            (true, true) => Err(Decline("Accept names two API versions")),
            (true, false) => Ok(ApiVersion::V3),
            _ => Ok(ApiVersion::V4),
        }
    }

    fn module(self) -> &'static str {
        match self {
            ApiVersion::V3 => "V3",
            ApiVersion::V4 => "V4",
        }
    }
}

/// An announce the fast lane answers: what to write, and what RMT's log says.
#[derive(Debug, Clone)]
pub struct Announce {
    pub version: ApiVersion,
    pub request: AnnounceRequest,
    /// Rails' params (the log's `Parameters:` line is rendered from them).
    pub params: Value,
}

impl Announce {
    /// The controller Rails would route it to.
    pub fn controller(&self) -> String {
        format!("Api::Connect::{}::Subscriptions::SystemsController", self.version.module())
    }

    /// The `Parameters: {...}` text of RMT's request log, if Rust renders it
    /// exactly.
    pub fn logged_params(&self, settings: &LogSettings) -> Option<String> {
        rails_params::logged(&self.params, settings)
    }
}

/// `POST /connect/subscriptions/systems` with a JSON body, read as RMT's
/// `announce_system` reads `params` (through RmtRs's controller path:
/// `hostname`, `hwinfo` and `system_profiles` permitted as `{}`, profile data
/// cast to text as ActiveRecord casts it).
pub fn announce(raw: &RawRequest) -> Result<Announce, Decline> {
    let version = ApiVersion::from_accept(raw.accept)?;
    if !raw.query.is_empty() {
        return Err(Decline("a query string"));
    }
    if !is_json(raw.content_type) {
        return Err(Decline("not application/json"));
    }
    let params = rails_params::json_body(raw.body)?;
    let hostname = match params.get("hostname") {
        None => None,
        Some(value) => column_text(value, StringColumn::Varchar)?,
    };
    let hwinfo = rails_params::permit_any(&params, "hwinfo");
    let system_profiles = match rails_params::permit_any(&params, "system_profiles") {
        Some(Value::Object(pairs)) => pairs.into_iter().map(stored_profile).collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    if exceeds_limits(hwinfo.as_ref(), &system_profiles) {
        return Err(Decline("over RmtRs's input limits"));
    }
    Ok(Announce { version, request: AnnounceRequest { hostname, hwinfo, system_profiles, payg: None }, params })
}

/// `application/json`, with parameters (`; charset=utf-8`) or without, as
/// Rails' `content_mime_type` reads it.
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// What ActiveRecord writes into a string column for a parameter value: an
/// array or hash as Ruby's `inspect` of it.
fn column_text(value: &Value, column: StringColumn) -> Result<Option<String>, Decline> {
    match value.column_text(column) {
        Ok(text) => Ok(text),
        Err(_) => ruby_inspect::inspect(value).map(Some).ok_or(Decline("text only Ruby renders")),
    }
}

/// A profile as the controller path hands it over: its `data` cast to text.
fn stored_profile((profile_type, info): (String, Value)) -> Result<(String, Value), Decline> {
    let Value::Object(pairs) = info else { return Ok((profile_type, info)) };
    let pairs = pairs
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "data" => Ok((key, column_text(&value, StringColumn::Text)?.map_or(Value::Null, Value::String))),
            _ => Ok((key, value)),
        })
        .collect::<Result<Vec<_>, Decline>>()?;
    Ok((profile_type, Value::Object(pairs)))
}

/// The binding's limits on what the controller path converts (hwinfo and the
/// profiles: keys and items, bytes of keys, strings and integers, depth),
/// counted the same way, so that the fast lane answers nothing the controller
/// path would refuse.
fn exceeds_limits(hwinfo: Option<&Value>, profiles: &[(String, Value)]) -> bool {
    let mut left = Allowance { entries: MAX_ENTRIES, bytes: MAX_BYTES, over: false };
    if let Some(Value::Object(pairs)) = hwinfo {
        left.pairs(pairs, 0);
    }
    left.pairs(profiles, 0);
    left.over
}

struct Allowance {
    entries: usize,
    bytes: usize,
    over: bool,
}

impl Allowance {
    fn take(&mut self, entries: usize, bytes: usize) {
        match (self.entries.checked_sub(entries), self.bytes.checked_sub(bytes)) {
            (Some(e), Some(b)) => (self.entries, self.bytes) = (e, b),
            _ => self.over = true,
        }
    }

    fn pairs(&mut self, pairs: &[(String, Value)], depth: usize) {
        self.take(pairs.len(), 0);
        for (key, value) in pairs {
            self.take(0, key.len());
            self.value(value, depth + 1);
        }
    }

    fn value(&mut self, value: &Value, depth: usize) {
        self.over |= depth > MAX_DEPTH;
        if self.over {
            return;
        }
        match value {
            Value::String(s) | Value::Integer(s) => self.take(0, s.len()),
            Value::Array(items) => {
                self.take(items.len(), 0);
                items.iter().for_each(|item| self.value(item, depth + 1));
            }
            Value::Object(pairs) => self.pairs(pairs, depth),
            Value::Null | Value::Bool(_) | Value::Float(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(body: &str) -> RawRequest<'_> {
        RawRequest {
            content_type: Some("application/json"),
            accept: Some("application/json,application/vnd.scc.suse.com.v4+json"),
            query: "",
            body: body.as_bytes(),
        }
    }

    #[test]
    fn reads_an_announce_as_the_controller_path_does() {
        let body = r#"{"hostname":"h1","hwinfo":{"cpus":2,"x":[[1],2]},"system_profiles":{"mod_list":{"identifier":"i","data":["a","b"]},"pci":{"identifier":"j","data":true}},"other":1}"#;
        let announce = announce(&raw(body)).unwrap();
        assert_eq!(announce.controller(), "Api::Connect::V4::Subscriptions::SystemsController");
        assert_eq!(announce.request.hostname.as_deref(), Some("h1"));
        assert_eq!(
            ruby_inspect::inspect(announce.request.hwinfo.as_ref().unwrap()).unwrap(),
            r#"{"cpus"=>2, "x"=>[2]}"#
        );
        let data: Vec<&Value> = announce.request.system_profiles.iter().map(|(_, p)| p.get("data").unwrap()).collect();
        assert_eq!(data, [&Value::String(r#"["a", "b"]"#.into()), &Value::String("t".into())]);
    }

    #[test]
    fn hostname_casts_as_activerecord_casts_it() {
        let cast = |body: &str| announce(&raw(body)).unwrap().request.hostname;
        assert_eq!(cast(r#"{"hostname":5}"#).as_deref(), Some("5"));
        assert_eq!(cast(r#"{"hostname":false}"#).as_deref(), Some("0"));
        assert_eq!(cast(r#"{"hostname":["a",1]}"#).as_deref(), Some(r#"["a", 1]"#));
        assert_eq!(cast(r#"{"hostname":null}"#), None);
        assert_eq!(cast(r#"{}"#), None);
    }

    #[test]
    fn picks_the_api_version_as_rmts_routes_do() {
        let mut request = raw("{}");
        request.accept = Some("application/vnd.scc.suse.com.v3+json");
        assert_eq!(announce(&request).unwrap().version, ApiVersion::V3);
        request.accept = None;
        assert_eq!(announce(&request).unwrap().version, ApiVersion::V4);
        request.accept = Some("application/vnd.scc.suse.com.v3+json,application/vnd.scc.suse.com.v4+json");
        assert!(announce(&request).is_err());
    }

    #[test]
    fn leaves_to_rails_what_it_cannot_answer_exactly() {
        let mut request = raw(r#"{"hostname":"h"}"#);
        request.query = "a=1";
        assert!(announce(&request).is_err());
        let mut form = raw("hostname=h");
        form.content_type = Some("application/x-www-form-urlencoded");
        assert!(announce(&form).is_err());
        assert!(announce(&raw(r#"{"hostname":"ü"}"#)).is_ok(), "a string column takes any text");
        assert!(announce(&raw(r#"{"hostname":["ü"]}"#)).is_err(), "inspect of non-ASCII is Ruby's");
        let huge = format!(r#"{{"hwinfo":{{"a":"{}"}}}}"#, "x".repeat(MAX_BYTES));
        assert!(announce(&raw(&huge)).is_err());
    }

    #[test]
    fn counts_the_converted_values_as_the_binding_does() {
        let text = |n: usize| Value::String("x".repeat(n));
        let hwinfo = Value::Object(vec![("ab".into(), text(MAX_BYTES / 2))]);
        // Profile data is text by now: its inspect may be longer than its JSON.
        let profiles = vec![("p".into(), Value::Object(vec![("data".into(), text(MAX_BYTES / 2 - 7))]))];
        assert!(!exceeds_limits(Some(&hwinfo), &profiles), "2 + 1 + 4 key bytes, the rest text: exactly the limit");
        let profiles = vec![("p".into(), Value::Object(vec![("data".into(), text(MAX_BYTES / 2 - 6))]))];
        assert!(exceeds_limits(Some(&hwinfo), &profiles));
        let items = Value::Array(vec![Value::Null; MAX_ENTRIES]);
        assert!(exceeds_limits(Some(&Value::Object(vec![("a".into(), items)])), &[]), "one key and the items");
    }

    #[test]
    fn json_media_type_with_parameters() {
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("Application/JSON")));
        assert!(!is_json(Some("application/jsonx")));
        assert!(!is_json(None));
    }
}
