//! Random values from the operating system: tokens, keys, generated passwords.

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// 256 bits as 64 hex characters.
pub fn token() -> String {
    hex::encode(bytes::<32>())
}

/// A unique id that sorts by creation time: `prefix` and a ULID (48 bits of milliseconds,
/// 80 random bits). Ids made one after the other sit next to each other in an index, so
/// writing a batch of them touches a page or two instead of one page per id.
pub fn sortable_id(prefix: &str, now_ms: i64) -> String {
    let random = u128::from_le_bytes(bytes::<16>());
    let id = ulid::Ulid::from_parts(u64::try_from(now_ms).unwrap_or(0), random);
    format!("{prefix}{id}")
}

/// A short reference for error pages and the matching log line.
pub fn reference() -> String {
    hex::encode(bytes::<4>())
}

/// A password of `len` characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in bytes::<64>() {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - (256 % ALPHABET.len());
            if (b as usize) < limit && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_values_have_their_length_and_differ() {
        assert_eq!(super::token().len(), 64);
        assert_ne!(super::token(), super::token());
        let a = super::sortable_id("msg_", 1_700_000_000_000);
        let b = super::sortable_id("msg_", 1_700_000_000_001);
        assert_eq!(a.len(), 4 + 26);
        assert!(a.starts_with("msg_") && a < b, "{a} then {b}");
        assert_ne!(a, super::sortable_id("msg_", 1_700_000_000_000));
        let p = super::password(20);
        assert_eq!(p.chars().count(), 20);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
