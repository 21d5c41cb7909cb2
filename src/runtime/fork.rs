//! A forked child's copies of the parent's pool sockets.
//!
//! A child inherits the file descriptors of the parent's pool connections. It may
//! neither use them nor close the connections (the parent still talks on them,
//! and a COM_QUIT would end them); but while it keeps its copies open, MariaDB
//! keeps those connections, and any transaction on them, even after the parent
//! closed its own copies or died: every Puma worker would hold the master's
//! connections. So the child closes its copies, which sends nothing.
//!
//! Which descriptors those are: every socket of an engine's runtime is registered
//! with the runtime's epoll instance (it drives only the pool's connections and
//! the marker below; tokio's signal driver is not enabled), and Linux lists that
//! instance's descriptors with their inodes in `/proc/self/fdinfo`. The instance
//! is the one holding a marker socket registered when the runtime was built.
//! Each descriptor is closed only if it still is the socket with that inode
//! (unique among open sockets), so a number reused since is left alone. Where
//! `/proc` cannot tell (not Linux), nothing is closed.

use std::fs;
use std::os::fd::{AsRawFd, RawFd};

/// The marker of one runtime's epoll instance.
pub struct RuntimeSockets {
    // Kept registered (and open) for the runtime's life.
    _marker: tokio::net::UnixDatagram,
    marker_fd: RawFd,
    marker_inode: u64,
}

impl RuntimeSockets {
    /// Registers the marker with the runtime entered on this thread.
    pub fn mark() -> Option<RuntimeSockets> {
        let socket = std::os::unix::net::UnixDatagram::unbound().ok()?;
        socket.set_nonblocking(true).ok()?;
        let marker_fd = socket.as_raw_fd();
        let marker_inode = socket_inode(marker_fd)?;
        let marker = tokio::net::UnixDatagram::from_std(socket).ok()?;
        Some(RuntimeSockets { _marker: marker, marker_fd, marker_inode })
    }

    /// In a forked child that will never run this runtime: closes this process's
    /// copies of the runtime's sockets, the marker's included. Never call it
    /// where the runtime runs.
    pub fn close_inherited(&self) {
        for (fd, inode) in self.registered().unwrap_or_default() {
            if socket_inode(fd) == Some(inode) {
                // SAFETY: `fd` is this process's copy of a socket the inherited
                // runtime registered; nothing in this process uses it, and
                // `close` only drops the descriptor (no shutdown, no bytes sent).
                unsafe { libc::close(fd) };
            }
        }
    }

    /// `(fd, inode)` of every descriptor registered with the epoll instance
    /// that holds the marker.
    fn registered(&self) -> Option<Vec<(RawFd, u64)>> {
        let marker = (self.marker_fd, self.marker_inode);
        epoll_fds()
            .into_iter()
            .filter_map(|epoll| fs::read_to_string(format!("/proc/self/fdinfo/{epoll}")).ok())
            .map(|fdinfo| epoll_targets(&fdinfo))
            .find(|targets| targets.contains(&marker))
    }
}

/// The inode of the socket `fd` refers to, if it is one.
fn socket_inode(fd: RawFd) -> Option<u64> {
    let link = fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// This process's epoll descriptors.
fn epoll_fds() -> Vec<RawFd> {
    let Ok(entries) = fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let is_epoll = fs::read_link(entry.path()).ok()?.as_os_str() == "anon_inode:[eventpoll]";
            is_epoll.then(|| entry.file_name().to_str()?.parse().ok()).flatten()
        })
        .collect()
}

/// `(fd, inode)` of each descriptor registered with an epoll instance, from its
/// fdinfo: lines `tfd: 9 events: 19 data: 9  pos:0 ino:2f5a sdev:8` (inode in hex).
fn epoll_targets(fdinfo: &str) -> Vec<(RawFd, u64)> {
    fdinfo
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "tfd:").then_some(())?;
            let fd = words.next()?.parse().ok()?;
            let inode = words.find_map(|w| w.strip_prefix("ino:"))?;
            Some((fd, u64::from_str_radix(inode, 16).ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_descriptors_of_an_epoll_fdinfo() {
        let fdinfo = "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n\
                      tfd:        9 events:       19 data:                9  pos:0 ino:2f5a sdev:8\n\
                      tfd:       12 events: 8000001d data:                c  pos:0 ino:1 sdev:f\n";
        assert_eq!(epoll_targets(fdinfo), vec![(9, 0x2f5a), (12, 1)]);
    }

    #[test]
    fn finds_the_marker_among_this_process_epolls() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let sockets = {
            let _context = runtime.enter();
            RuntimeSockets::mark().expect("marker")
        };
        let registered = sockets.registered().expect("the runtime's epoll instance");
        assert!(registered.contains(&(sockets.marker_fd, sockets.marker_inode)));
    }
}
