//! Bech32 (BIP 173) encoding without the 90-character limit, as age uses it
//! for `age1…` recipients and `AGE-SECRET-KEY-1…` identities.

use zeroize::Zeroizing;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR: [u32; 5] = [
    0x3b6a_57b2,
    0x2650_8e6d,
    0x1ea1_19fa,
    0x3d42_33dd,
    0x2a14_62b3,
];

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &[u8]) -> impl Iterator<Item = u8> + '_ {
    hrp.iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|c| c & 31))
}

/// Regroups bits from `from`-bit to `to`-bit words; `None` if padding is invalid.
fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Zeroizing<Vec<u8>>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let maxv: u32 = (1 << to) - 1;
    let mut out = Zeroizing::new(Vec::with_capacity(
        data.len() * from as usize / to as usize + 1,
    ));
    for &value in data {
        let v = u32::from(value);
        if v >> from != 0 {
            return None;
        }
        acc = (acc << from) | v;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

/// Encodes `data` under the lower-case human-readable part `hrp`.
pub(crate) fn encode(hrp: &str, data: &[u8]) -> Zeroizing<String> {
    let hrp_bytes = hrp.as_bytes();
    let words = convert_bits(data, 8, 5, true).unwrap_or_default();
    let checksum_input: Vec<u8> = hrp_expand(hrp_bytes)
        .chain(words.iter().copied())
        .chain([0u8; 6])
        .collect();
    let pm = polymod(checksum_input.into_iter()) ^ 1;
    let mut out = Zeroizing::new(String::with_capacity(hrp.len() + 1 + words.len() + 6));
    out.push_str(hrp);
    out.push('1');
    for &w in words.iter() {
        out.push(char::from(CHARSET[usize::from(w)]));
    }
    for i in 0..6 {
        out.push(char::from(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize]));
    }
    out
}

/// Decodes a Bech32 string; returns the lower-cased human-readable part and the data.
/// Mixed case, bad characters and bad checksums are rejected.
pub(crate) fn decode(s: &str) -> Option<(String, Zeroizing<Vec<u8>>)> {
    let has_lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = s.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return None;
    }
    let lower = Zeroizing::new(s.to_ascii_lowercase());
    let sep = lower.rfind('1')?;
    if sep == 0 || sep + 7 > lower.len() {
        return None;
    }
    let (hrp, rest) = lower.split_at(sep);
    if !hrp.bytes().all(|b| (33..=126).contains(&b)) {
        return None;
    }
    let mut words = Zeroizing::new(Vec::with_capacity(rest.len()));
    for c in rest[1..].bytes() {
        let idx = CHARSET.iter().position(|&x| x == c)?;
        words.push(idx as u8);
    }
    let check = polymod(hrp_expand(hrp.as_bytes()).chain(words.iter().copied()));
    if check != 1 {
        return None;
    }
    let data_words = &words[..words.len() - 6];
    let data = convert_bits(data_words, 5, 8, false)?;
    Some((hrp.to_owned(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip173_valid_vectors_decode() {
        for s in [
            "A12UEL5L",
            "a12uel5l",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        ] {
            assert!(decode(s).is_some(), "{s}");
        }
    }

    #[test]
    fn invalid_strings_are_rejected() {
        for s in [
            "A12uEL5L",
            "a12uel5m",
            "1pzry9x0s0muk",
            "pzry9x0s0muk",
            "abc1",
            "a1b2c3",
        ] {
            assert!(decode(s).is_none(), "{s}");
        }
    }

    #[test]
    fn round_trip() {
        let data: Vec<u8> = (0u8..32).collect();
        let s = encode("age", &data);
        let (hrp, back) = decode(&s).expect("decodes");
        assert_eq!(hrp, "age");
        assert_eq!(back.as_slice(), data.as_slice());
    }
}
