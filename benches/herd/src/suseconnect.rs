//! What SUSEConnect (connect-ng), zypper and registercloudguest's python send
//! when a fresh cloud instance registers: the headers of their HTTP clients and
//! the bodies of connect-ng's collectors.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const ACCEPT: &str = "application/json,application/vnd.scc.suse.com.v4+json";
/// registercloudguest and the susecloud zypper plugin (python3-requests on SLES 15 SP6).
const PYTHON_USER_AGENT: &str = "python-requests/2.25.1";

/// Which SUSEConnect the instances run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SUSEConnect 1.24 (connect-ng >= 1.20): a new HTTP client, so a new
    /// connection, per request; profiles (PCI devices, kernel modules) with
    /// the announce.
    Current,
    /// connect-ng 1.13, as the first SLES 15 SP6 images shipped it
    /// (`SUSEConnect-ng/1.13.0`): one HTTP client kept for the run (its
    /// connection kept alive), no profiles, no `vendor` collector.
    V1_13,
}

impl Version {
    pub fn parse(name: &str) -> Option<Version> {
        match name {
            "1.24" | "current" => Some(Version::Current),
            "1.13" => Some(Version::V1_13),
            _ => None,
        }
    }

    pub fn keeps_connection(self) -> bool {
        self == Version::V1_13
    }

    fn user_agent(self) -> &'static str {
        match self {
            Version::Current => "SUSEConnect/1.24.0",
            Version::V1_13 => "SUSEConnect-ng/1.13.0",
        }
    }
}
/// zypper refreshing a service (libzypp's curl backend).
pub const ZYPPER_USER_AGENT: &str = "ZYpp 17.31.15 (curl 8.6.0) SUSE-Linux-Enterprise-Server-15-SP6";

/// Kernel modules of a SLES cloud image; the rest of `MODULES` differ per image.
const COMMON_MODULES: [&str; 24] = [
    "af_packet",
    "ena",
    "ext4",
    "nvme",
    "nvme_core",
    "xfs",
    "libcrc32c",
    "crc32c_intel",
    "ghash_clmulni_intel",
    "aesni_intel",
    "crypto_simd",
    "cryptd",
    "ip_tables",
    "x_tables",
    "nf_tables",
    "nfnetlink",
    "iscsi_ibft",
    "iscsi_boot_sysfs",
    "rfkill",
    "dm_mod",
    "scsi_dh_rdac",
    "scsi_dh_emc",
    "scsi_dh_alua",
    "efivarfs",
];
const MODULES: usize = 110;

/// Instances of one image share their PCI devices and kernel modules, so a herd
/// sends a handful of distinct profiles, created once and linked many times.
const IMAGES: usize = 4;

/// The headers of an announce (no credentials yet: connect-ng sends the
/// registration code, empty without one, and an empty token) or, with `auth`,
/// of a request as the registered system, with the token it holds (empty at
/// first). Go's HTTP client asks for gzip.
pub fn headers(version: Version, auth: Option<&Credentials>, system_token: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Accept", ACCEPT.to_string()),
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", version.user_agent().to_string()),
        ("Accept-Encoding", "gzip".to_string()),
    ];
    match auth {
        Some(credentials) => headers.push(("Authorization", credentials.basic())),
        None => headers.push(("Authorization", "Token token=".to_string())),
    }
    headers.push(("System-Token", system_token.to_string()));
    headers
}

/// zypper's refresh of the service an activation added: the service's
/// credentials (the system's), zypper's user agent, no token. A PAYG
/// instance's services are `plugin:/susecloud` URLs: the plugin adds the
/// instance's data (`X-Instance-Data`).
pub fn zypper_headers(auth: &Credentials, payg_instance: Option<usize>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("User-Agent", ZYPPER_USER_AGENT.to_string()), ("Authorization", auth.basic())];
    if let Some(instance) = payg_instance {
        headers.push(("X-Instance-Data", base64(instance_data(instance).as_bytes())));
    }
    headers
}

/// registercloudguest's own requests (python-requests): the health check
/// without credentials, the product tree and the plugin's credential check
/// with the system's; the tree asks for API v4 only.
pub fn python_headers(auth: Option<&Credentials>, accept: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("User-Agent", PYTHON_USER_AGENT.to_string()),
        ("Accept", accept.to_string()),
        ("Accept-Encoding", "gzip, deflate".to_string()),
    ];
    if let Some(credentials) = auth {
        headers.push(("Authorization", credentials.basic()));
    }
    headers
}

/// The susecloud zypper plugin's credential check (`has_smt_access`):
/// python-requests posting `json={}` to the migrations endpoint with the
/// system's credentials; anything but 401 passes (RMT answers 422 to `{}`).
pub const CREDENTIAL_CHECK_PATH: &str = "/connect/systems/products/migrations";

/// The credential check's headers and body.
pub fn credential_check(auth: &Credentials) -> (Vec<(&'static str, String)>, Vec<u8>) {
    let mut headers = python_headers(Some(auth), "*/*");
    headers.push(("Content-Type", "application/json".to_string()));
    (headers, b"{}".to_vec())
}

/// The login and password RMT handed out at announce.
pub struct Credentials {
    pub login: String,
    pub password: String,
}

impl Credentials {
    pub fn from_announce(body: &[u8]) -> Option<Credentials> {
        let json: Value = serde_json::from_slice(body).ok()?;
        Some(Credentials {
            login: json.get("login")?.as_str()?.to_string(),
            password: json.get("password")?.as_str()?.to_string(),
        })
    }

    fn basic(&self) -> String {
        format!("Basic {}", base64(format!("{}:{}", self.login, self.password).as_bytes()))
    }
}

/// The instance's identity document, as a cloud's metadata service hands it.
pub fn instance_data(instance: usize) -> String {
    format!("<document>{{\"instanceId\":\"i-{instance:017x}\",\"region\":\"eu-central-1\"}}</document>")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A product as the products endpoints take it.
pub fn product_body(identifier: &str, version: &str, arch: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "identifier": identifier, "version": version, "arch": arch })).unwrap_or_default()
}

/// A product as (identifier, version, arch).
pub type Triplet = (String, String, String);

/// The modules a SLES 15 SP6 PAYG image has installed besides SLES and the
/// recommended ones (`/etc/products.d`): registercloudguest registers each
/// with its own `SUSEConnect -p`.
pub const IMAGE_MODULES: [&str; 1] = ["sle-module-public-cloud"];

fn triplet(extension: &Value) -> Triplet {
    let text = |name: &str| extension.get(name).and_then(Value::as_str).unwrap_or("").to_string();
    let arch = Some(text("arch")).filter(|a| !a.is_empty()).unwrap_or_else(|| "x86_64".into());
    (text("identifier"), text("version"), arch)
}

fn extensions(tree: &Value) -> impl Iterator<Item = &Value> {
    tree.get("extensions").and_then(Value::as_array).into_iter().flatten()
}

fn flag(extension: &Value, name: &str) -> bool {
    extension.get(name).and_then(Value::as_bool) == Some(true)
}

/// The extensions SUSEConnect activates after the base product: the
/// recommended ones that are available, depth first (connect-ng's
/// `registerProductTree`).
pub fn recommended_extensions(tree: &Value) -> Vec<Triplet> {
    let mut out = Vec::new();
    for extension in extensions(tree) {
        if flag(extension, "recommended") && flag(extension, "available") {
            out.push(triplet(extension));
            out.extend(recommended_extensions(extension));
        }
    }
    out
}

/// The extensions registercloudguest registers one by one after SUSEConnect
/// did the base product (`register_modules`): the ones not recommended that
/// are installed on the image, depth first, below recommended ones too.
pub fn installed_extensions(tree: &Value, installed: &[&str]) -> Vec<Triplet> {
    let mut out = Vec::new();
    for extension in extensions(tree) {
        let product = triplet(extension);
        if !flag(extension, "recommended") && installed.contains(&product.0.as_str()) {
            out.push(product);
        }
        out.extend(installed_extensions(extension, installed));
    }
    out
}

/// A profile as connect-ng builds it: the identifier is the SHA-256 of the
/// data's JSON, the data the collector's lines.
fn profile(lines: Vec<String>) -> Value {
    let digest = Sha256::digest(serde_json::to_vec(&lines).unwrap_or_default());
    let identifier: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    json!({ "identifier": identifier, "data": lines })
}

fn hostname(instance: usize) -> String {
    format!("ip-10-{}-{}-{}", instance / 65536 % 256, instance / 256 % 256, instance % 256)
}

/// What connect-ng's collectors detect; it leaves out what they did not
/// detect (no nulls). 1.13 had no `vendor` collector.
fn hwinfo(version: Version, instance: usize) -> Value {
    let mut hwinfo = json!({
        "arch": "x86_64", "hypervisor": "amazon", "cloud_provider": "amazon",
        "cpus": 2, "sockets": 1, "mem_total": 7863, "vendor": "Amazon EC2",
        "uname": "Linux 6.4.0-150600.23.25-default #1 SMP PREEMPT_DYNAMIC x86_64",
        "hostname": hostname(instance), "uuid": format!("ec2{instance:029x}")
    });
    if version == Version::V1_13 {
        hwinfo.as_object_mut().map(|h| h.remove("vendor"));
    }
    hwinfo
}

/// The instance's profiles: `data` only when `with_data` (connect-ng sends a
/// profile's data once and then only its identifier, from its cache).
fn profiles(instance: usize, with_data: bool) -> Value {
    let image = instance % IMAGES;
    let pci: Vec<String> =
        (0..6).map(|slot| format!("00:0{slot}.0 Device class {image}{slot}: Amazon.com, Inc.")).collect();
    // /proc/modules of a SLES 15 SP6 cloud image: about a hundred modules.
    let modules: Vec<String> = COMMON_MODULES
        .iter()
        .map(|m| m.to_string())
        .chain((0..MODULES - COMMON_MODULES.len()).map(|i| format!("mod_{image}_{i:03}")))
        .collect();
    let mut profiles = json!({ "pci_data": profile(pci), "mod_list": profile(modules) });
    if !with_data {
        for profile in profiles.as_object_mut().into_iter().flat_map(|p| p.values_mut()) {
            profile["data"] = Value::Null;
        }
    }
    profiles
}

/// The announce; a PAYG instance's carries its instance data
/// (registercloudguest's `--instance-data`).
pub fn announce_body(version: Version, instance: usize, payg: bool) -> Vec<u8> {
    let mut body = json!({
        "hostname": hostname(instance),
        "hwinfo": hwinfo(version, instance),
        "distro_target": "sle-15-x86_64",
    });
    if payg {
        body["instance_data"] = instance_data(instance).into();
    }
    if version == Version::Current {
        body["system_profiles"] = profiles(instance, true);
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The update a registered SUSEConnect sends before `-p` activates a product
/// (and its daily timer sends): `PUT /connect/systems` with the hostname,
/// hwinfo and, from its cache, the profiles' identifiers without data.
pub fn update_body(version: Version, instance: usize) -> Vec<u8> {
    let mut body = json!({ "hostname": hostname(instance), "hwinfo": hwinfo(version, instance) });
    if version == Version::Current {
        body["system_profiles"] = profiles(instance, false);
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The metadata zypper downloads when it refreshes the repositories of a
/// service (`repodata/repomd.xml` of each enabled one), as paths on the
/// server, from the service's repoindex: `https://<server>/repo/…?credentials=…`,
/// or with the public-cloud engines `plugin:/susecloud?credentials=…&path=/repo/…`.
pub fn repository_metadata(repoindex: &str) -> Vec<String> {
    repoindex
        .split("<repo ")
        .skip(1)
        .filter(|repo| attribute(repo, "enabled").as_deref() == Some("true"))
        .filter_map(|repo| attribute(repo, "url"))
        .filter_map(|url| {
            let url = url.replace("&amp;", "&");
            let path = match url.split_once("path=") {
                Some((_, path)) => path.split('&').next()?.to_string(),
                None => {
                    let without_query = url.split('?').next()?;
                    let after_scheme = without_query.split_once("://")?.1;
                    after_scheme[after_scheme.find('/')?..].to_string()
                }
            };
            Some(format!("{}/repodata/repomd.xml", path.trim_end_matches('/')))
        })
        .collect()
}

fn attribute(element: &str, name: &str) -> Option<String> {
    let element = format!(" {element}");
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = element[start..].find('"')?;
    Some(element[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_the_rfc() {
        assert_eq!(base64(b"SCC_a:b"), "U0NDX2E6Yg==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn walks_recommended_and_available_extensions_depth_first() {
        let tree = json!({"extensions": [
            {"identifier": "a", "version": "1", "arch": "x86_64", "recommended": true, "available": true,
             "extensions": [{"identifier": "a1", "version": "1", "arch": null, "recommended": true, "available": true, "extensions": []}]},
            {"identifier": "b", "version": "1", "arch": "x86_64", "recommended": false, "available": true,
             "extensions": [{"identifier": "b1", "version": "1", "arch": "x86_64", "recommended": true, "available": true, "extensions": []}]},
            {"identifier": "c", "version": "1", "arch": "x86_64", "recommended": true, "available": false, "extensions": []}
        ]});
        let ids: Vec<String> = recommended_extensions(&tree).into_iter().map(|(i, _, _)| i).collect();
        assert_eq!(ids, ["a", "a1"]);
        let installed: Vec<String> =
            installed_extensions(&tree, &["a", "b", "b1", "c"]).into_iter().map(|(i, _, _)| i).collect();
        assert_eq!(installed, ["b"], "registercloudguest leaves the recommended ones to SUSEConnect");
    }

    #[test]
    fn finds_the_enabled_repositories_metadata() {
        let plain = r#"<repoindex ttl="86400"><repo url="https://rmt.herd.test/repo/SUSE/Products/SLES/15.6/x86_64/Pool/?credentials=SLES_x86_64" alias="a" enabled="true"/><repo url="https://rmt.herd.test/repo/SUSE/x/Debug/?credentials=S" alias="b" enabled="false"/></repoindex>"#;
        assert_eq!(repository_metadata(plain), ["/repo/SUSE/Products/SLES/15.6/x86_64/Pool/repodata/repomd.xml"]);
        let cloud = r#"<repo url="plugin:/susecloud?credentials=SLES_x86_64&amp;path=/repo/SUSE/U/x86_64/Updates/" enabled="true" autorefresh="true"/>"#;
        assert_eq!(
            repository_metadata(&format!("<repoindex>{cloud}</repoindex>")),
            ["/repo/SUSE/U/x86_64/Updates/repodata/repomd.xml"]
        );
    }

    #[test]
    fn profiles_go_once_with_data_then_by_identifier() {
        let announce: Value = serde_json::from_slice(&announce_body(Version::Current, 3, true)).unwrap();
        let update: Value = serde_json::from_slice(&update_body(Version::Current, 3)).unwrap();
        let ids = |v: &Value| v["system_profiles"]["mod_list"]["identifier"].clone();
        assert_eq!(ids(&announce), ids(&update));
        assert!(announce["system_profiles"]["mod_list"]["data"].is_array());
        assert!(update["system_profiles"]["mod_list"]["data"].is_null());
        let old: Value = serde_json::from_slice(&announce_body(Version::V1_13, 3, false)).unwrap();
        assert!(old.get("system_profiles").is_none() && old.get("instance_data").is_none());
        assert!(old["hwinfo"].get("vendor").is_none());
    }
}
