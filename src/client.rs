//! The connection a request came on, as far as RmtRs looks at it: whether
//! the other end has closed it.
//!
//! Behind nginx (RMT's setup) that end is nginx, which closes its connection
//! to Puma when its client gives up (SUSEConnect after 60 s) or goes away:
//! whatever is answered on it then is never read. A request that waited in
//! Puma's listen queue or thread pool past that point still reaches the app,
//! and RMT writes its rows for nobody (a system no client knows the
//! credentials of). nginx's `X-Request-Start` cannot tell: the time before
//! nginx read the request (its accept queue, the TLS handshake) is in no
//! header. The closed connection tells, whatever the wait was.

use std::os::fd::RawFd;

use crate::error::{Cause, Error};

/// The request's connection: the file descriptor of Puma's socket, which
/// stays open (Puma's) while the request runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client(RawFd);

impl Client {
    pub fn new(fd: RawFd) -> Client {
        Client(fd)
    }

    /// Whether the other end closed the connection: reading it would give
    /// its end (or it was reset). Peeks at one byte without waiting, taking
    /// it, or changing the socket's flags, so Puma's reading and writing are
    /// untouched. Data waiting (a pipelined request) or nothing to read yet:
    /// still there. Anything else (not a socket, say): not known to be gone.
    pub fn gone(self) -> bool {
        let mut byte = 0u8;
        // SAFETY: a one-byte buffer of ours; recv with MSG_PEEK | MSG_DONTWAIT
        // neither blocks nor consumes, and on a descriptor that is not a
        // socket it only fails.
        let read = unsafe { libc::recv(self.0, (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        match read {
            0 => true,
            n if n > 0 => false,
            _ => matches!(std::io::Error::last_os_error().raw_os_error(), Some(libc::ECONNRESET | libc::EPIPE)),
        }
    }
}

/// The refusal of a request whose connection was closed before RmtRs wrote
/// anything: a 503 nobody reads, counted under its own cause.
pub fn left() -> Error {
    Error::Unavailable(Cause::ClientGone, "The client closed its connection before RmtRs wrote anything".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn a_connection_is_gone_once_the_other_end_closed_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        let client = Client::new(ours.as_raw_fd());
        assert!(!client.gone(), "open, nothing to read");
        peer.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!client.gone(), "data waiting");
        assert!(!client.gone(), "and still waiting: peeking takes nothing");
        drop(peer);
        std::thread::sleep(std::time::Duration::from_millis(50));
        // The request's bytes are still there to read before the end.
        let mut buf = [0u8; 64];
        let read = std::io::Read::read(&mut &ours, &mut buf).unwrap();
        assert_eq!(&buf[..read], b"GET / HTTP/1.1\r\n");
        assert!(client.gone());
    }

    #[test]
    fn a_descriptor_that_is_no_socket_is_not_known_to_be_gone() {
        let file = std::fs::File::open("/dev/null").unwrap();
        assert!(!Client::new(file.as_raw_fd()).gone());
    }
}
