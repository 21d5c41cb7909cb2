//! What an endpoint answers: RMT's status, its JSON, and the headers RMT sets
//! with it. One type for every endpoint RmtRs answers.

use crate::error::NO_LONGER_EXISTS;
use crate::rails::json::to_rails_json;
use crate::rails::value::Value;

/// What the endpoint answers: RMT's status and JSON, and the `System-Token`
/// response header when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub system_token: Option<String>,
    /// Whether RMT sets the `System-Token` header (to `system_token`, which
    /// is empty when the system has no token): authentication found the
    /// system and the client sent the header with tokens enabled.
    pub token_header: bool,
    /// Whether an activation was created or removed (registration sharing
    /// tells its peers about the system then).
    pub activations_changed: bool,
    /// Other headers RMT sets (`X-System-Profiles-Action: clear-cache`).
    pub headers: Vec<(&'static str, String)>,
    /// The lines RMT's action logs at info level or above while answering
    /// (its authentication's, say), in order; the host writes them to its log.
    pub log: Vec<(LogLevel, String)>,
    /// How RMT renders the body (the request log's "Rendered … with …" lines).
    pub rendering: Rendering,
    /// The system the request authenticated as, for the host's after-actions
    /// (the public-cloud engines' data export reads its record).
    pub system_id: Option<u64>,
}

/// How RMT renders an answer's body, as ActiveModelSerializers reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// An object rendered with this serializer: one render notification.
    Serializer(&'static str),
    /// A Hash rendered as is (RMT's errors): the Null serializer's notification.
    AsIs,
    /// JSON text RMT builds itself, serializing `times` collections with
    /// this serializer first (one notification each; rendering text sends none).
    Text { serializer: &'static str, times: usize },
    /// A serializer RMT builds itself and renders (`respond_with
    /// CollectionSerializer.new(…)`): reported as the Null serializer with it
    /// as the adapter.
    Prebuilt(&'static str),
    /// Plain text (`render plain:`): nothing serialized.
    Plain,
}

/// The level of a line RMT logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Error,
}

impl LogLevel {
    /// The name of the Ruby logger's method.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Error => "error",
        }
    }
}

impl Answer {
    /// Adds a line RMT logs at info level.
    pub fn logged(mut self, line: String) -> Answer {
        self.log.push((LogLevel::Info, line));
        self
    }

    /// A refusal as RMT renders it: its error JSON
    /// (`ActionController::TranslatedError`), or for a row deleted meanwhile
    /// the body of the controller's `handle_invalid_foreign_key`.
    pub(crate) fn error(status: u16, message: &str, system_token: Option<String>) -> Answer {
        let text = Value::String(message.to_string());
        let body = if message == NO_LONGER_EXISTS {
            Value::Object(vec![("errors".into(), text)])
        } else {
            Value::Object(vec![
                ("type".into(), Value::String("error".into())),
                ("error".into(), text.clone()),
                ("localized_error".into(), text),
            ])
        };
        let token_header = system_token.is_some();
        Answer::new(status, to_rails_json(Some(&body)), Rendering::AsIs, system_token, token_header)
    }

    /// A success, rendered by RMT with `serializer`.
    pub fn ok(status: u16, body: &Value, serializer: &'static str, system_token: Option<String>) -> Answer {
        let token_header = system_token.is_some();
        Answer::new(status, to_rails_json(Some(body)), Rendering::Serializer(serializer), system_token, token_header)
    }

    /// A list of collections RMT serializes one by one with `serializer` and
    /// renders as JSON text (`render json: paths.map { … }.to_json`).
    pub(crate) fn collections(status: u16, collections: &Value, serializer: &'static str) -> Answer {
        let times = match collections {
            Value::Array(items) => items.len(),
            _ => 1,
        };
        let rendering = Rendering::Text { serializer, times };
        Answer::new(status, to_rails_json(Some(collections)), rendering, None, false)
    }

    /// A collection RMT serializes with a serializer it builds itself.
    pub(crate) fn prebuilt(status: u16, body: &Value, serializer: &'static str) -> Answer {
        Answer::new(status, to_rails_json(Some(body)), Rendering::Prebuilt(serializer), None, false)
    }

    /// An XML document RMT renders (`render xml:`).
    pub(crate) fn xml(status: u16, body: String) -> Answer {
        Answer::new(status, body, Rendering::AsIs, None, false)
    }

    /// Plain text (`render plain:`), as strict_authentication refuses.
    pub(crate) fn plain(status: u16, body: &str) -> Answer {
        Answer::new(status, body.to_string(), Rendering::Plain, None, false)
    }

    /// RMT's `head status`: no body.
    pub(crate) fn head(status: u16) -> Answer {
        Answer::new(status, String::new(), Rendering::AsIs, None, false)
    }

    /// RMT's `head :no_content` (an update), with the `System-Token` header
    /// when `token_header`.
    pub(crate) fn no_content(system_token: Option<String>, token_header: bool) -> Answer {
        Answer::new(204, String::new(), Rendering::AsIs, system_token, token_header)
    }

    fn new(
        status: u16,
        body: String,
        rendering: Rendering,
        system_token: Option<String>,
        token_header: bool,
    ) -> Answer {
        Answer {
            status,
            body,
            system_token,
            token_header,
            activations_changed: false,
            headers: Vec::new(),
            log: Vec::new(),
            rendering,
            system_id: None,
        }
    }

    /// The answer with the `System-Token` header set or not as authentication decided.
    pub(crate) fn with_token_header(self, sent: bool) -> Answer {
        Answer { token_header: sent || self.token_header, ..self }
    }
}
