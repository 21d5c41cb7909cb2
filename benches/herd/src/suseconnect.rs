//! What SUSEConnect (connect-ng) sends when a fresh cloud instance registers:
//! the headers of its HTTP client and the announce body of its collectors.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const ACCEPT: &str = "application/json,application/vnd.scc.suse.com.v4+json";
pub const USER_AGENT: &str = "SUSEConnect/1.14.0";

/// Instances of one image share their PCI devices and kernel modules, so a herd
/// sends a handful of distinct profiles, created once and linked many times.
const IMAGES: usize = 4;

pub fn headers(system_token: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Accept", ACCEPT.to_string()),
        ("Content-Type", "application/json".to_string()),
        ("User-Agent", USER_AGENT.to_string()),
    ];
    if let Some(token) = system_token {
        headers.push(("System-Token", token.to_string()));
    }
    headers
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
    let modules: Vec<String> =
        ["af_packet", "ena", "ext4", "nvme", "xfs"].iter().map(|m| format!("{m}_{image}")).collect();
    let body = json!({
        "hostname": hostname,
        "hwinfo": {
            "arch": "x86_64", "hypervisor": "amazon", "cloud_provider": "amazon", "container_runtime": null,
            "cpus": 2, "sockets": 1, "mem_total": 7863, "vendor": "Amazon EC2",
            "uname": "Linux 6.4.0-150600.23.25-default #1 SMP PREEMPT_DYNAMIC x86_64",
            "hostname": hostname, "uuid": format!("ec2{instance:029x}"), "sap": null, "ha_active": null
        },
        "distro_target": "sle-15-x86_64",
        "instance_data": format!("<document>{{\"instanceId\":\"i-{instance:017x}\",\"region\":\"eu-central-1\"}}</document>"),
        "system_profiles": { "pci_data": profile(pci), "mod_list": profile(modules) }
    });
    serde_json::to_vec(&body).unwrap_or_default()
}
