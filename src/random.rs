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
        let p = super::password(20);
        assert_eq!(p.chars().count(), 20);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
