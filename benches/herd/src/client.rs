//! One simulated instance's HTTP/1.1 connection, reused for its steps as
//! SUSEConnect's Go client does, with its 60 s timeout and no retries.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Why a request did not get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    Connection,
    Timeout,
}

pub struct Answer {
    pub status: u16,
    pub system_token: Option<String>,
    pub body: Bytes,
}

pub struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
    address: String,
    timeout: Duration,
}

pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: Option<Vec<u8>>,
}

impl Connection {
    pub fn new(address: &str, timeout: Duration) -> Connection {
        Connection { sender: None, address: address.to_string(), timeout }
    }

    pub async fn send(&mut self, call: Call<'_>) -> Result<Answer, Failure> {
        match tokio::time::timeout(self.timeout, self.exchange(call)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(failure)) => Err(failure),
            Err(_) => {
                self.sender = None;
                Err(Failure::Timeout)
            }
        }
    }

    async fn exchange(&mut self, call: Call<'_>) -> Result<Answer, Failure> {
        if !self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or(Failure::Connection)?;
        sender.ready().await.map_err(|_| Failure::Connection)?;
        let mut request = Request::builder().method(call.method).uri(call.path).header("Host", &self.address);
        for (name, value) in call.headers {
            request = request.header(*name, value);
        }
        let request =
            request.body(Full::new(Bytes::from(call.body.unwrap_or_default()))).map_err(|_| Failure::Connection)?;
        let response = sender.send_request(request).await.map_err(|_| Failure::Connection)?;
        let status = response.status().as_u16();
        let system_token = response.headers().get("System-Token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.into_body().collect().await.map_err(|_| Failure::Connection)?.to_bytes();
        Ok(Answer { status, system_token, body })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let stream = TcpStream::connect(&self.address).await.map_err(|_| Failure::Connection)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(|_| Failure::Connection)?;
        tokio::spawn(connection);
        Ok(sender)
    }
}
