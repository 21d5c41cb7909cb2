//! System credentials as RMT generates them, from the OS CSPRNG (v4 UUIDs).

use uuid::Uuid;

/// `SCC_` and the 32 hex digits of a random v4 UUID; SCC recognises its own
/// systems by the prefix, so RMT keeps it.
pub fn generate_login() -> String {
    format!("SCC_{}", Uuid::new_v4().simple())
}

/// The first 16 hex digits of another random v4 UUID.
pub fn generate_password() -> String {
    let mut hex = Uuid::new_v4().simple().to_string();
    hex.truncate(16);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_lower_hex(s: &str) -> bool {
        s.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    }

    #[test]
    fn login_is_scc_prefix_and_32_hex_digits_of_a_v4_uuid() {
        let login = generate_login();
        let hex = login.strip_prefix("SCC_").expect("prefix");
        assert_eq!(hex.len(), 32);
        assert!(is_lower_hex(hex));
        assert_eq!(&hex[12..13], "4", "version nibble of a v4 UUID");
        assert!("89ab".contains(&hex[16..17]), "RFC 4122 variant nibble");
    }

    #[test]
    fn password_is_16_hex_digits() {
        let password = generate_password();
        assert_eq!(password.len(), 16);
        assert!(is_lower_hex(&password));
        assert_eq!(&password[12..13], "4");
    }

    #[test]
    fn values_differ_between_calls() {
        let logins: std::collections::HashSet<_> = (0..1000).map(|_| generate_login()).collect();
        assert_eq!(logins.len(), 1000);
    }
}
