//! One simulated instance's HTTP/1.1 requests, with its 60 s timeout and no
//! retries. As SUSEConnect ≥ 1.20 does (connect-ng builds a new `http.Client`
//! with a cloned transport for every request), each request opens a new TCP
//! connection, with a TLS handshake when the server speaks HTTPS; `keepalive`
//! reuses one connection per instance instead (connect-ng 1.13 did).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

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

/// Where the instances send their requests.
pub struct Server {
    /// `ip:port` to connect to.
    pub address: String,
    /// The server's name: the `Host` header and, with TLS, the name its
    /// certificate must carry (the clients know the server by its FQDN).
    pub host: String,
    pub tls: Option<TlsConnector>,
    pub keepalive: bool,
    pub timeout: Duration,
}

impl Server {
    /// A TLS client trusting only the CA certificate(s) in `ca_pem` (RMT's
    /// own CA, as registercloudguest and SUSEConnect are set up to trust).
    pub fn tls(ca_pem: &[u8]) -> Result<TlsConnector, String> {
        let mut roots = RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut &ca_pem[..]) {
            roots.add(cert.map_err(|e| format!("CA certificate: {e}"))?).map_err(|e| format!("CA certificate: {e}"))?;
        }
        let config = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
        Ok(TlsConnector::from(Arc::new(config)))
    }
}

pub struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
    server: Arc<Server>,
}

pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: Option<Vec<u8>>,
}

impl Connection {
    pub fn new(server: Arc<Server>) -> Connection {
        Connection { sender: None, server }
    }

    pub async fn send(&mut self, call: Call<'_>) -> Result<Answer, Failure> {
        self.send_within(call, self.server.timeout).await
    }

    /// A request whose client gives up sooner than the instance's default.
    pub async fn send_within(&mut self, call: Call<'_>, timeout: Duration) -> Result<Answer, Failure> {
        let outcome = match tokio::time::timeout(timeout, self.exchange(call)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::Timeout),
        };
        if outcome.is_err() || !self.server.keepalive {
            self.sender = None;
        }
        outcome
    }

    async fn exchange(&mut self, call: Call<'_>) -> Result<Answer, Failure> {
        if !self.sender.as_ref().is_some_and(|s| !s.is_closed()) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or(Failure::Connection)?;
        sender.ready().await.map_err(|_| Failure::Connection)?;
        let mut request = Request::builder().method(call.method).uri(call.path).header("Host", &self.server.host);
        if !self.server.keepalive {
            request = request.header("Connection", "close");
        }
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
        let stream = TcpStream::connect(&self.server.address).await.map_err(|_| Failure::Connection)?;
        let _ = stream.set_nodelay(true);
        match &self.server.tls {
            None => handshake(stream).await,
            Some(tls) => {
                let name = ServerName::try_from(self.server.host.clone()).map_err(|_| Failure::Connection)?;
                let stream = tls.connect(name, stream).await.map_err(|_| Failure::Connection)?;
                handshake(stream).await
            }
        }
    }
}

async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(|_| Failure::Connection)?;
    tokio::spawn(connection);
    Ok(sender)
}
