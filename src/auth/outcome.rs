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
    Verify(Box<Verification>),
}

/// An answer waiting for the engines' checks on RMT's record of the system.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub answer: Answer,
    /// The system's columns.
    pub system: Vec<(String, Value)>,
    /// zypper_auth's instance verification cache holds this PAYG system's
    /// entry ([`crate::rmt::instance_cache::payg_hit`]): the host may take
    /// the engines' cache-hit branch instead of the whole verification. Only
    /// nginx's auth check asks; false everywhere else.
    pub cached: bool,
}

impl Verification {
    /// The same verification of `f`'s answer.
    pub fn map_answer(self, f: impl FnOnce(Answer) -> Answer) -> Verification {
        Verification { answer: f(self.answer), ..self }
    }
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
            Outcome::Verify(verification) if sent => Outcome::Verify(Box::new(verification.map_answer(set))),
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
    /// The line authentication logged (scc_proxy's), for the host to log
    /// before the engines' checks run, as RMT's before_actions come in order.
    pub log: Option<String>,
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
