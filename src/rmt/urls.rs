//! The URLs RMT's serializers put in activation and product-tree answers, built
//! from the request's base URL (`scheme://host[:port]`) the way Ruby's `URI`
//! and Rails' URL helpers build them; with RMT's public-cloud engines, the
//! `zypper_auth` engine's URLs through zypper's susecloud plugin.

use crate::rmt::flavor::Flavor;

/// RMT's mirror prefix (`RMT::DEFAULT_MIRROR_URL_PREFIX`).
pub(crate) const MIRROR_PREFIX: &str = "/repo/";

/// `RMT::Misc.make_repo_url`: the repository's local path under the mirror prefix.
/// RMT's repository serializer passes no service name, so zypper_auth's URL
/// carries empty credentials.
pub fn repository_url(base_url: &str, local_path: &str, flavor: Flavor) -> String {
    let path = file_join(MIRROR_PREFIX, local_path);
    match flavor {
        Flavor::Rmt => format!("{}{path}", Uri::parse(base_url).origin()),
        Flavor::Pubcloud => susecloud("", &path),
    }
}

/// zypper_auth's `make_repo_url` with a service's name, as a service's
/// repository index with the public-cloud engines has it.
pub fn cloud_repository_url(local_path: &str, service_name: &str) -> String {
    susecloud(service_name, &file_join(MIRROR_PREFIX, local_path))
}

/// `RMT::Misc.make_repo_url` with a service name, as RMT's legacy service
/// (`/repo/repoindex.xml`) builds it: the name as the query, unescaped.
pub fn legacy_repository_url(base_url: &str, local_path: &str, service_name: &str) -> String {
    format!("{}?credentials={service_name}", repository_url(base_url, local_path, Flavor::Rmt))
}

/// `RMT::Misc.make_smt_service_name`: `SMT-` and the base URL as plain HTTP
/// (Ruby keeps the port unless it is the original scheme's default), every
/// `:/`-run and dot an underscore, a trailing one dropped.
pub fn smt_service_name(base_url: &str) -> String {
    let uri = Uri::parse(base_url);
    let port = uri.port.filter(|port| Some(*port) != default_port(&uri.scheme));
    let url = match port {
        Some(port) => format!("http://{}:{port}{}", uri.host, uri.path),
        None => format!("http://{}{}", uri.host, uri.path),
    };
    let text = format!("SMT-{url}");
    // gsub(%r{:*/+}, '_'): colons followed by slashes, and the slashes.
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let colons = chars[i..].iter().take_while(|c| **c == ':').count();
        let slashes = chars[i + colons..].iter().take_while(|c| **c == '/').count();
        if slashes > 0 {
            out.push('_');
            i += colons + slashes;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    let out = out.replace('.', "_");
    out.strip_suffix('_').map(str::to_string).unwrap_or(out)
}

/// Rails' `service_url(service, host: base_url, credentials: name)`; with
/// zypper_auth, the service's path for the susecloud plugin, the name as it is.
pub fn service_url(base_url: &str, service_id: u64, service_name: &str, flavor: Flavor) -> String {
    match flavor {
        Flavor::Rmt => {
            format!("{}/services/{service_id}?credentials={}", base_url.trim_end_matches('/'), cgi_escape(service_name))
        }
        Flavor::Pubcloud => susecloud(service_name, &format!("/services/{service_id}")),
    }
}

/// zypper_auth's rewrite of a URL: zypper asks the susecloud plugin, which
/// adds the instance's data to each request (`X-Instance-Data`).
fn susecloud(credentials: &str, path: &str) -> String {
    format!("plugin:/susecloud?credentials={credentials}&path={path}")
}

/// `RMT::Misc.replace_uri_parts(eula_url, base_url + "/repo/")`: the EULA's path
/// under the mirror prefix of this server. Ruby keeps the URI class of the
/// original, so its default port decides whether the port is printed: an
/// `https` EULA served from `http://host` reads `http://host:80/repo/...`.
pub fn eula_url(base_url: &str, eula_url: &str) -> String {
    let original = Uri::parse(eula_url);
    let replacement = Uri::parse(&format!("{base_url}{MIRROR_PREFIX}"));
    let port = replacement.port.or_else(|| default_port(&replacement.scheme));
    let mut out = format!("{}://", replacement.scheme);
    if let Some(userinfo) = &original.userinfo {
        out.push_str(userinfo);
        out.push('@');
    }
    out.push_str(&replacement.host);
    if let Some(port) = port {
        if Some(port) != default_port(&original.scheme) {
            out.push_str(&format!(":{port}"));
        }
    }
    out.push_str(&file_join(&replacement.path, &original.path));
    if let Some(query) = &original.query {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = &original.fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The parts of a URI these answers use (RFC 3986, no validation: RMT's data
/// comes from SCC).
#[derive(Debug, Default, PartialEq)]
struct Uri {
    scheme: String,
    userinfo: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

impl Uri {
    fn parse(text: &str) -> Uri {
        let mut uri = Uri::default();
        let (rest, fragment) = split_once_opt(text, '#');
        uri.fragment = fragment;
        let (rest, query) = split_once_opt(&rest, '?');
        uri.query = query;
        let rest = match rest.split_once("://") {
            Some((scheme, after)) if !scheme.contains('/') => {
                uri.scheme = scheme.to_ascii_lowercase();
                after.to_string()
            }
            _ => {
                uri.path = rest;
                return uri;
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest.as_str(), ""),
        };
        uri.path = path.to_string();
        let host_port = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                uri.userinfo = Some(userinfo.to_string());
                host_port
            }
            None => authority,
        };
        match host_port.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
                uri.host = host.to_string();
                uri.port = port.parse().ok();
            }
            _ => uri.host = host_port.to_string(),
        }
        uri
    }

    fn origin(&self) -> String {
        match self.port {
            Some(port) if Some(port) != default_port(&self.scheme) => format!("{}://{}:{port}", self.scheme, self.host),
            _ => format!("{}://{}", self.scheme, self.host),
        }
    }
}

fn split_once_opt(text: &str, separator: char) -> (String, Option<String>) {
    match text.split_once(separator) {
        Some((before, after)) => (before.to_string(), Some(after.to_string())),
        None => (text.to_string(), None),
    }
}

/// The default port of Ruby's URI class for a scheme.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        "ldap" => Some(389),
        "ldaps" => Some(636),
        _ => None,
    }
}

/// Ruby's `File.join` of two parts: exactly one separator where they meet.
fn file_join(head: &str, tail: &str) -> String {
    format!("{}/{}", head.trim_end_matches('/'), tail.trim_start_matches('/'))
}

/// Ruby's `CGI.escape`, which Rails' `to_query` uses.
fn cgi_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_sit_under_the_mirror_prefix() {
        assert_eq!(
            repository_url("http://rmt.example.com", "/SUSE/Products/SLE-BASE/15-SP6/x86_64/product/", Flavor::Rmt),
            "http://rmt.example.com/repo/SUSE/Products/SLE-BASE/15-SP6/x86_64/product/"
        );
        assert_eq!(repository_url("https://rmt:8443", "plain/path", Flavor::Rmt), "https://rmt:8443/repo/plain/path");
        assert_eq!(
            repository_url("https://rmt:8443", "/SUSE/x/", Flavor::Pubcloud),
            "plugin:/susecloud?credentials=&path=/repo/SUSE/x/"
        );
    }

    #[test]
    fn service_urls_carry_the_escaped_name_as_credentials() {
        assert_eq!(
            service_url("http://127.0.0.1:4224", 2600, "SLES_(x86_64)/ä b", Flavor::Rmt),
            "http://127.0.0.1:4224/services/2600?credentials=SLES_%28x86_64%29%2F%C3%A4+b"
        );
        assert_eq!(
            service_url("http://127.0.0.1:4224", 2600, "SLES_15_x86_64", Flavor::Pubcloud),
            "plugin:/susecloud?credentials=SLES_15_x86_64&path=/services/2600"
        );
    }

    #[test]
    fn eula_urls_keep_ruby_uri_port_rules() {
        let eula = "https://updates.suse.com/SUSE/Products/SLE-Product-SLES/15-SP6/x86_64/product.license/";
        assert_eq!(
            eula_url("http://example.org", eula),
            "http://example.org:80/repo/SUSE/Products/SLE-Product-SLES/15-SP6/x86_64/product.license/"
        );
        assert_eq!(
            eula_url("https://rmt", eula),
            "https://rmt/repo/SUSE/Products/SLE-Product-SLES/15-SP6/x86_64/product.license/"
        );
        assert_eq!(eula_url("http://rmt:4224", "http://x/eula?a=1#top"), "http://rmt:4224/repo/eula?a=1#top");
        assert_eq!(eula_url("http://rmt", "http://x"), "http://rmt/repo/");
    }

    #[test]
    fn smt_service_names_are_rmts() {
        assert_eq!(smt_service_name("https://rmt.example.com"), "SMT-http_rmt_example_com");
        assert_eq!(smt_service_name("https://rmt.example.com:8443"), "SMT-http_rmt_example_com:8443");
        assert_eq!(smt_service_name("http://10.0.0.1:80"), "SMT-http_10_0_0_1");
        assert_eq!(
            legacy_repository_url("http://rmt.test", "/SUSE/x/", "SMT-http_rmt_test"),
            "http://rmt.test/repo/SUSE/x/?credentials=SMT-http_rmt_test"
        );
    }
}
