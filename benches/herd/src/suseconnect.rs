//! What SUSEConnect (connect-ng) sends when a fresh cloud instance registers:
//! the headers of its HTTP client and the announce body of its collectors.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const ACCEPT: &str = "application/json,application/vnd.scc.suse.com.v4+json";
pub const USER_AGENT: &str = "SUSEConnect/1.24.0";
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
pub fn headers(auth: Option<&Credentials>, system_token: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Accept", ACCEPT.to_string()),
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", USER_AGENT.to_string()),
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
/// credentials (the system's), zypper's user agent, no token.
pub fn zypper_headers(auth: &Credentials) -> Vec<(&'static str, String)> {
    vec![("User-Agent", ZYPPER_USER_AGENT.to_string()), ("Authorization", auth.basic())]
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

/// registercloudguest's addition for a pay-as-you-go instance once announced:
/// its requests carry the instance's data (`X-Instance-Data`, as the
/// susecloud plugin sends it).
pub fn payg_headers(instance: usize) -> Vec<(&'static str, String)> {
    vec![("X-Instance-Data", base64(instance_data(instance).as_bytes()))]
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

/// The extensions SUSEConnect activates after the base product: the
/// recommended ones that are available, depth first, as
/// (identifier, version, arch).
pub fn recommended_extensions(tree: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for extension in tree.get("extensions").and_then(Value::as_array).into_iter().flatten() {
        let flag = |name: &str| extension.get(name).and_then(Value::as_bool) == Some(true);
        if flag("recommended") && flag("available") {
            let text = |name: &str| extension.get(name).and_then(Value::as_str).unwrap_or("").to_string();
            let arch = Some(text("arch")).filter(|a| !a.is_empty()).unwrap_or_else(|| "x86_64".into());
            out.push((text("identifier"), text("version"), arch));
            out.extend(recommended_extensions(extension));
        }
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

pub fn announce_body(instance: usize) -> Vec<u8> {
    let image = instance % IMAGES;
    let hostname = format!("ip-10-{}-{}-{}", instance / 65536 % 256, instance / 256 % 256, instance % 256);
    let pci: Vec<String> =
        (0..6).map(|slot| format!("00:0{slot}.0 Device class {image}{slot}: Amazon.com, Inc.")).collect();
    // /proc/modules of a SLES 15 SP6 cloud image: about a hundred modules.
    let modules: Vec<String> = COMMON_MODULES
        .iter()
        .map(|m| m.to_string())
        .chain((0..MODULES - COMMON_MODULES.len()).map(|i| format!("mod_{image}_{i:03}")))
        .collect();
    // connect-ng leaves out what it did not detect (no nulls).
    let body = json!({
        "hostname": hostname,
        "hwinfo": {
            "arch": "x86_64", "hypervisor": "amazon", "cloud_provider": "amazon",
            "cpus": 2, "sockets": 1, "mem_total": 7863, "vendor": "Amazon EC2",
            "uname": "Linux 6.4.0-150600.23.25-default #1 SMP PREEMPT_DYNAMIC x86_64",
            "hostname": hostname, "uuid": format!("ec2{instance:029x}")
        },
        "distro_target": "sle-15-x86_64",
        "instance_data": instance_data(instance),
        "system_profiles": { "pci_data": profile(pci), "mod_list": profile(modules) }
    });
    serde_json::to_vec(&body).unwrap_or_default()
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
    }
}
