//! How a request through the authentication pipeline ends: an answer, or (with
//! RMT's public-cloud engines, whose checks only Ruby can run) what the host
//! must do before an answer may go out.

use crate::answer::Answer;
use crate::rails::value::Value;

/// How a request through the pipeline ([`super::pipeline`]) ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answer(Answer),
    /// Public cloud: authentication needs these systems' instance identifiers
    /// (id, stored instance data); ask again with
    /// [`ConnectRequest::identifiers`](super::pipeline::ConnectRequest::identifiers).
    Identify(Vec<(u64, Option<String>)>),
    /// Public cloud: an activation, deactivation or upgrade passed RMT's
    /// checks; the engines' checks are next, then the endpoint finishes the
    /// [`Ticket`] (`products::finish`).
    Pending(Box<Pending>),
    /// Public cloud: this answer goes out once the engines' checks on this
    /// system (its columns) pass (zypper_auth's and the registry's instance
    /// verification of an index, the activations list or nginx's auth check,
    /// whose verdict is the status; for a deregistration SCC's and the
    /// registry's, and then `systems::destroy` answers, after the headers
    /// this one sets).
    Verify(Box<Answer>, Vec<(String, Value)>),
}

impl Outcome {
    /// The answer, when the request ended with one.
    pub fn into_answer(self) -> Option<Answer> {
        match self {
            Outcome::Answer(answer) => Some(answer),
            _ => None,
        }
    }

    /// The outcome's answer with the `System-Token` header authentication
    /// set (`sent`: the client sent one, tokens enabled; `token` the system's).
    pub(crate) fn with_token_header(self, token: Option<String>, sent: bool) -> Outcome {
        let set = |answer: Answer| Answer { system_token: token.clone(), ..answer }.with_token_header(sent);
        match self {
            Outcome::Answer(answer) if sent => Outcome::Answer(set(answer)),
            Outcome::Verify(answer, system) if sent => Outcome::Verify(Box::new(set(*answer)), system),
            outcome => outcome,
        }
    }
}

/// An action that passed authentication and RMT's checks, waiting for the
/// engines' checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The system's and the product's columns, for the engines' checks.
    pub system: Vec<(String, Value)>,
    pub product: Vec<(String, Value)>,
    /// The `System-Token` header authentication answers, when it sets one
    /// (`token_header`), with the system's token (none when it has none).
    pub system_token: Option<String>,
    pub token_header: bool,
    pub ticket: Ticket,
}

/// What finishing a [`Pending`] action writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub finishes: Finishing,
    pub system_id: u64,
    pub product_id: u64,
    /// The activation's service (a deactivation finds it when it finishes).
    pub service_id: u64,
    pub subscription_id: Option<i64>,
    /// RMT's `refresh_system_token` after the action (a client that sent
    /// `System-Token`, tokens enabled).
    pub refresh_token: bool,
}

/// The action a [`Ticket`] finishes once the engines' checks passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finishing {
    /// `activate`: scc_proxy's and instance verification's checks came between.
    Activation,
    /// API v4's `destroy`: scc_proxy's deactivation on SCC came between.
    Deactivation,
    /// `upgrade` (a migration's step): instance verification's and
    /// scc_proxy's upgrade checks came between.
    Upgrade,
}
