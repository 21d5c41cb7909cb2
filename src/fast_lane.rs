//! The fast lane: a request RmtRs owns, taken from its raw parts (method, path,
//! headers, body bytes) before Rails routes it, and answered whole here:
//! Rails' parameter semantics, RMT's action, the answer's status, headers,
//! body and log lines. What Rails alone would answer exactly (an unusual body,
//! a query string Rack reads otherwise, characters only Ruby's `inspect`
//! renders, a request without basic credentials) is a [`Decline`], and the
//! request goes through Rails untouched.

use sqlx::MySqlPool;

use crate::answer::Answer;
use crate::auth::pipeline::ConnectRequest;
use crate::auth::system_auth::Caller;
use crate::endpoints::announce::{announce_system, AnnounceRequest};
use crate::endpoints::products::{self, REQUEST_PARAMS};
use crate::error::{Error, Result};
use crate::rails::inspect as ruby_inspect;
use crate::rails::params::{self as rails_params, Decline, LogSettings};
use crate::rails::value::{StringColumn, Value, MAX_BYTES, MAX_DEPTH, MAX_ENTRIES};
use crate::rmt::catalog_cache::CatalogCache;
use crate::rmt::flavor::Flavor;
use crate::rmt::release::Release;
use crate::stats;

/// The request as the web server handed it over.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub accept: Option<&'a str>,
    pub query: &'a str,
    pub body: &'a [u8],
    pub authorization: Option<&'a str>,
    /// `System-Token`: `None` when the header is absent.
    pub system_token: Option<&'a str>,
    pub user_agent: Option<&'a str>,
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
    pub fn from_accept(accept: Option<&str>) -> std::result::Result<ApiVersion, Decline> {
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

pub const ANNOUNCE_PATH: &str = "/connect/subscriptions/systems";
pub const PRODUCTS_PATH: &str = "/connect/systems/products";

/// What the request asks RMT to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// `POST /connect/subscriptions/systems`.
    Announce(AnnounceRequest),
    /// `POST /connect/systems/products`.
    Activate(ProductCall),
    /// `GET /connect/systems/products`.
    Show(ProductCall),
}

/// A products request as the controller path hands it to RmtRs.
#[derive(Debug, Clone)]
pub struct ProductCall {
    pub caller: Caller,
    pub params: Vec<(String, Value)>,
}

/// A request the fast lane answers: what to do, and what RMT's log says.
#[derive(Debug, Clone)]
pub struct FastRequest {
    pub version: ApiVersion,
    pub action: Action,
    /// Rails' params (the log's `Parameters:` line is rendered from them).
    pub params: Value,
    /// The JSON body's params, which Rails wraps; `None` without a JSON body.
    body_params: Option<Value>,
}

/// What only the host knows of a request: the URL it was reached at, and RMT's
/// `connect_api.disable_system_tokens`.
#[derive(Debug, Clone, Default)]
pub struct Host {
    /// `scheme://host[:port]`, for the URLs in the answer.
    pub base_url: String,
    pub tokens_disabled: bool,
    /// The running RMT's behaviour where releases differ.
    pub release: Release,
}

impl FastRequest {
    /// The controller Rails would route it to.
    pub fn controller(&self) -> String {
        let family = match self.action {
            Action::Announce(_) => "Subscriptions::SystemsController",
            Action::Activate(_) | Action::Show(_) => "Systems::ProductsController",
        };
        format!("Api::Connect::{}::{family}", self.version.module())
    }

    /// RMT's action name.
    /// Whether answering it starts a registration (an announce).
    pub fn opens_registration(&self) -> bool {
        matches!(self.action, Action::Announce(_))
    }

    pub fn action_name(&self) -> &'static str {
        match self.action {
            Action::Announce(_) => "announce_system",
            Action::Activate(_) => "activate",
            Action::Show(_) => "show",
        }
    }

    /// The `Parameters: {...}` text of RMT's request log, if Rust renders it
    /// exactly.
    pub fn logged_params(&self, settings: &LogSettings) -> Option<String> {
        let wrapped = match (settings.wrapper(self.action_name()), &self.body_params) {
            (Some(wrapper), Some(body)) => Some((wrapper, body)),
            _ => None,
        };
        rails_params::logged(&self.params, wrapped, &settings.filters)
    }
}

/// Reads the request RMT would route to an action RmtRs answers.
/// A decline is counted by its reason ([`stats::declined`]).
pub fn read(raw: &RawRequest) -> std::result::Result<FastRequest, Decline> {
    let read = match (raw.method, raw.path) {
        ("POST", ANNOUNCE_PATH) => announce(raw),
        ("POST", PRODUCTS_PATH) => products(raw, Action::Activate),
        ("GET", PRODUCTS_PATH) => products(raw, Action::Show),
        _ => Err(Decline("a route the fast lane does not answer")),
    };
    if let Err(Decline(reason)) = read {
        stats::declined(reason);
    }
    read
}

/// RMT's answer to the request, written as the controller path writes it.
pub async fn answer(pool: &MySqlPool, cache: &CatalogCache, request: &FastRequest, host: &Host) -> Result<Answer> {
    let call = match &request.action {
        Action::Announce(announce) => {
            let answer = announce_system(pool, announce).await?.answer();
            // What RMT's `announce_system` logs once the system is saved.
            return Ok(
                answer.logged(format!("System '{}' announced", announce.hostname.as_deref().unwrap_or_default()))
            );
        }
        Action::Activate(call) | Action::Show(call) => call,
    };
    let product_request = ConnectRequest {
        caller: Caller { tokens_disabled: host.tokens_disabled, ..call.caller.clone() },
        params: call.params.clone(),
        base_url: host.base_url.clone(),
        flavor: Flavor::Rmt,
        identifiers: None,
        wait_for_peers: false,
        release: host.release,
    };
    let outcome = match request.action {
        Action::Activate(_) => products::activate(pool, cache, &product_request).await?,
        _ => products::show(pool, cache, &product_request).await?,
    };
    // Without the public-cloud engines every products request ends with an answer.
    outcome.into_answer().ok_or_else(|| Error::Internal("A products request ended without an answer".into()))
}

/// `POST /connect/subscriptions/systems` with a JSON body, read as RMT's
/// `announce_system` reads `params` (through RmtRs's controller path:
/// `hostname`, `hwinfo` and `system_profiles` permitted as `{}`, profile data
/// cast to text as ActiveRecord casts it).
fn announce(raw: &RawRequest) -> std::result::Result<FastRequest, Decline> {
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
        Some(Value::Object(pairs)) => {
            pairs.into_iter().map(stored_profile).collect::<std::result::Result<Vec<_>, _>>()?
        }
        _ => Vec::new(),
    };
    if exceeds_limits(hwinfo.as_ref(), &system_profiles) {
        return Err(Decline("over RmtRs's input limits"));
    }
    let request = AnnounceRequest { hostname, hwinfo, system_profiles, payg: None };
    Ok(FastRequest { version, action: Action::Announce(request), body_params: Some(params.clone()), params })
}

/// The products endpoints: basic credentials, `System-Token`, and the
/// parameters the controller path hands over, from a JSON body (SUSEConnect
/// sends one even with GET) or, for GET, a query string.
fn products(raw: &RawRequest, action: fn(ProductCall) -> Action) -> std::result::Result<FastRequest, Decline> {
    let version = ApiVersion::from_accept(raw.accept)?;
    let (login, password) = basic_credentials(raw.authorization)?;
    let json = is_json(raw.content_type);
    let form =
        media_type(raw.content_type).is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    let (params, body_params) = match (raw.method, json, raw.query.is_empty(), raw.body.is_empty()) {
        (_, true, true, _) => {
            let body = rails_params::json_body(raw.body)?;
            (body.clone(), Some(body))
        }
        // Rack reads a form body as a query string, with `&` alone between pairs.
        ("POST", false, true, _) if form && !raw.body.contains(&b';') => {
            let text = std::str::from_utf8(raw.body).map_err(|_| Decline("a form body that is not UTF-8"))?;
            (rails_params::query(text)?, None)
        }
        ("GET", true, false, true) => (rails_params::query(raw.query)?, Some(Value::Object(Vec::new()))),
        ("GET", false, _, true) if raw.content_type.is_none() => (rails_params::query(raw.query)?, None),
        _ => return Err(Decline("a products request Rails reads otherwise")),
    };
    let Value::Object(pairs) = &params else { return Err(Decline("not a JSON object")) };
    let wanted: Vec<(String, Value)> =
        pairs.iter().filter(|(key, _)| REQUEST_PARAMS.contains(&key.as_str())).cloned().collect();
    if exceeds_limits(None, &wanted) {
        return Err(Decline("over RmtRs's input limits"));
    }
    let caller = Caller {
        login,
        password,
        system_token: raw.system_token.map(str::to_string),
        user_agent: raw.user_agent.map(str::to_string),
        tokens_disabled: false,
    };
    Ok(FastRequest { version, action: action(ProductCall { caller, params: wanted }), params, body_params })
}

/// `Authorization: Basic <base64 of login:password>` as Rails reads it (the
/// password is `None` without a colon). Declined: another scheme, no header
/// (Rails asks for credentials), and what Ruby's lenient base64 decoder
/// reads and a strict one does not.
fn basic_credentials(authorization: Option<&str>) -> std::result::Result<(String, Option<String>), Decline> {
    let encoded = authorization
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded)
        .ok_or(Decline("no basic credentials"))?;
    let decoded = base64_decoded(encoded).ok_or(Decline("basic credentials Ruby decodes leniently"))?;
    let text = String::from_utf8(decoded).map_err(|_| Decline("basic credentials that are not UTF-8"))?;
    if text.is_empty() {
        return Err(Decline("empty basic credentials"));
    }
    Ok(match text.split_once(':') {
        Some((login, password)) => (login.to_string(), Some(password.to_string())),
        None => (text, None),
    })
}

/// Standard base64 with its padding, nothing else.
fn base64_decoded(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return None;
    }
    let sextet = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes[..bytes.len() - padding].chunks(4) {
        let values = chunk.iter().map(|&b| sextet(b)).collect::<Option<Vec<u8>>>()?;
        let mut word: u32 = 0;
        for (i, v) in values.iter().enumerate() {
            word |= u32::from(*v) << (18 - 6 * i);
        }
        let word = word.to_be_bytes();
        out.extend_from_slice(&word[1..values.len()]);
    }
    Some(out)
}

/// `application/json`, with parameters (`; charset=utf-8`) or without, as
/// Rails' `content_mime_type` reads it.
fn is_json(content_type: Option<&str>) -> bool {
    media_type(content_type).is_some_and(|media| media.eq_ignore_ascii_case("application/json"))
}

/// The media type of a `Content-Type`, without its parameters.
fn media_type(content_type: Option<&str>) -> Option<&str> {
    content_type.and_then(|ct| ct.split(';').next()).map(str::trim)
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
/// profiles of an announce, a products request's parameters: keys and items,
/// bytes of keys, strings and integers, depth), counted the same way, so that
/// the fast lane answers nothing the controller path would refuse.
fn exceeds_limits(hash: Option<&Value>, pairs: &[(String, Value)]) -> bool {
    let mut left = Allowance { entries: MAX_ENTRIES, bytes: MAX_BYTES, over: false };
    if let Some(Value::Object(hash)) = hash {
        left.pairs(hash, 0);
    }
    left.pairs(pairs, 0);
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
            method: "POST",
            path: ANNOUNCE_PATH,
            content_type: Some("application/json"),
            accept: Some("application/json,application/vnd.scc.suse.com.v4+json"),
            body: body.as_bytes(),
            ..RawRequest::default()
        }
    }

    /// The announce read from `raw`.
    fn announce(raw: &RawRequest) -> std::result::Result<AnnounceRequest, Decline> {
        match read(raw)?.action {
            Action::Announce(request) => Ok(request),
            other => panic!("not an announce: {other:?}"),
        }
    }

    fn version(raw: &RawRequest) -> ApiVersion {
        read(raw).unwrap().version
    }

    #[test]
    fn reads_an_announce_as_the_controller_path_does() {
        let body = r#"{"hostname":"h1","hwinfo":{"cpus":2,"x":[[1],2]},"system_profiles":{"mod_list":{"identifier":"i","data":["a","b"]},"pci":{"identifier":"j","data":true}},"other":1}"#;
        let read = read(&raw(body)).unwrap();
        assert_eq!(read.controller(), "Api::Connect::V4::Subscriptions::SystemsController");
        let Action::Announce(announce) = read.action else { panic!("not an announce") };
        assert_eq!(announce.hostname.as_deref(), Some("h1"));
        assert_eq!(ruby_inspect::inspect(announce.hwinfo.as_ref().unwrap()).unwrap(), r#"{"cpus"=>2, "x"=>[2]}"#);
        let data: Vec<&Value> = announce.system_profiles.iter().map(|(_, p)| p.get("data").unwrap()).collect();
        assert_eq!(data, [&Value::String(r#"["a", "b"]"#.into()), &Value::String("t".into())]);
    }

    #[test]
    fn hostname_casts_as_activerecord_casts_it() {
        let cast = |body: &str| announce(&raw(body)).unwrap().hostname;
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
        assert_eq!(version(&request), ApiVersion::V3);
        request.accept = None;
        assert_eq!(version(&request), ApiVersion::V4);
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

    /// SUSEConnect's activation of SLES with `login:secret` as credentials.
    fn activation(body: &str) -> RawRequest<'_> {
        RawRequest {
            path: PRODUCTS_PATH,
            authorization: Some("Basic bG9naW46c2VjcmV0"),
            system_token: Some(""),
            user_agent: Some("SUSEConnect/1.14.0"),
            ..raw(body)
        }
    }

    fn call(raw: &RawRequest) -> ProductCall {
        match read(raw).unwrap().action {
            Action::Activate(call) | Action::Show(call) => call,
            other => panic!("not a products request: {other:?}"),
        }
    }

    #[test]
    fn reads_a_products_request_as_the_controller_path_does() {
        let body =
            r#"{"identifier":"SLES","version":"15.6","arch":"x86_64","release_type":null,"token":"","email":""}"#;
        let request = read(&activation(body)).unwrap();
        assert_eq!(
            (request.controller().as_str(), request.action_name()),
            ("Api::Connect::V4::Systems::ProductsController", "activate")
        );
        let Action::Activate(activate) = request.action else { panic!("not an activation") };
        assert_eq!((activate.caller.login.as_str(), activate.caller.password.as_deref()), ("login", Some("secret")));
        assert_eq!(
            (activate.caller.system_token.as_deref(), activate.caller.user_agent.as_deref()),
            (Some(""), Some("SUSEConnect/1.14.0"))
        );
        let keys: Vec<&str> = activate.params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["identifier", "version", "arch", "token"], "only what RMT's controller reads");

        let settings = LogSettings {
            filters: vec!["password".into()],
            wrappers: vec![(
                "show".into(),
                rails_params::Wrapper { key: "product".into(), include: vec!["arch".into(), "identifier".into()] },
            )],
        };
        let query =
            RawRequest { method: "GET", content_type: None, query: "identifier=SLES&arch=x86_64", ..activation("") };
        let shown = read(&query).unwrap();
        assert_eq!(shown.action_name(), "show");
        assert_eq!(
            shown.logged_params(&settings).unwrap(),
            r#"{"identifier"=>"SLES", "arch"=>"x86_64"}"#,
            "no wrapper without JSON"
        );
        let json_get = RawRequest { method: "GET", ..activation(r#"{"identifier":"SLES","arch":"x86_64"}"#) };
        assert_eq!(
            read(&json_get).unwrap().logged_params(&settings).unwrap(),
            r#"{"identifier"=>"SLES", "arch"=>"x86_64", "product"=>{"arch"=>"x86_64", "identifier"=>"SLES"}}"#
        );
        let form = RawRequest {
            content_type: Some("application/x-www-form-urlencoded"),
            ..activation("identifier=SLES&version=15.6")
        };
        assert_eq!(call(&form).params.len(), 2);
    }

    #[test]
    fn reads_basic_credentials_as_rails_does() {
        let with = |authorization: &'static str| RawRequest { authorization: Some(authorization), ..activation("{}") };
        let credentials = |raw: RawRequest| {
            let caller = call(&raw).caller;
            (caller.login, caller.password)
        };
        assert_eq!(credentials(with("basic bG9naW4=")), ("login".into(), None), "no colon, no password");
        assert_eq!(credentials(with("Basic bG9naW46")), ("login".into(), Some(String::new())));
        assert_eq!(credentials(with("Basic bDphOmI=")), ("l".into(), Some("a:b".into())), "split at the first colon");
        for declined in [
            "Bearer bG9naW46c2VjcmV0",
            "Basic",
            "Basic bG9naW46c2VjcmV0=",
            "Basic bG9naW46c2VjcmV",
            "Basic  bG9naW4=",
            "Basic /w==",
        ] {
            assert!(read(&with(declined)).is_err(), "{declined}");
        }
        assert!(read(&RawRequest { authorization: None, ..activation("{}") }).is_err(), "Rails asks for credentials");
    }

    #[test]
    fn leaves_products_requests_rails_reads_otherwise() {
        let declined = [
            RawRequest { query: "identifier=SLES", ..activation("{}") },
            RawRequest { method: "GET", query: "arch=x86_64", ..activation(r#"{"identifier":"SLES"}"#) },
            RawRequest {
                content_type: Some("application/x-www-form-urlencoded"),
                ..activation("identifier=SLES;arch=x")
            },
            RawRequest { content_type: Some("text/plain"), ..activation("{}") },
            RawRequest { method: "PUT", ..activation("{}") },
        ];
        for raw in declined {
            assert!(read(&raw).is_err(), "{raw:?}");
        }
    }
}
