//! CRC-64/XZ, the `x-cos-hash-crc64ecma` checksum, and combining the CRCs of consecutive
//! pieces into the CRC of their concatenation without reading the bytes again (COS
//! reference §8.3; the GF(2) matrix method of zlib's `crc32_combine`).

/// The reflected CRC-64/XZ polynomial (`0x42F0E1EBA9EA3693` bit-reversed).
const POLY_REFLECTED: u64 = 0xC96C_5795_D787_0F42;

/// CRC-64/XZ of `data` in one go.
pub fn crc64(data: &[u8]) -> u64 {
    let mut digest = crc64fast::Digest::new();
    digest.write(data);
    digest.sum64()
}

fn gf2_times(matrix: &[u64; 64], mut vector: u64) -> u64 {
    let mut sum = 0;
    let mut row = 0;
    while vector != 0 {
        if vector & 1 != 0 {
            sum ^= matrix[row];
        }
        vector >>= 1;
        row += 1;
    }
    sum
}

fn gf2_square(matrix: &[u64; 64]) -> [u64; 64] {
    let mut square = [0; 64];
    for (n, out) in square.iter_mut().enumerate() {
        *out = gf2_times(matrix, matrix[n]);
    }
    square
}

/// The CRC of `A‖B` from `crc(A)`, `crc(B)` and `len(B)`.
///
/// Works on the final CRC values because CRC-64/XZ starts from and XORs out all ones, the
/// same structure as CRC-32 in zlib.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    // The operator that feeds one zero bit through the register…
    let mut odd = [0u64; 64];
    odd[0] = POLY_REFLECTED;
    for (n, row) in odd.iter_mut().enumerate().skip(1) {
        *row = 1 << (n - 1);
    }
    // …squared into two, then four zero bits; the loop squares on to one byte and beyond.
    let mut even = gf2_square(&odd);
    odd = gf2_square(&even);
    let mut crc = crc_a;
    let mut len = len_b;
    loop {
        even = gf2_square(&odd);
        if len & 1 != 0 {
            crc = gf2_times(&even, crc);
        }
        len >>= 1;
        if len == 0 {
            break;
        }
        odd = gf2_square(&even);
        if len & 1 != 0 {
            crc = gf2_times(&odd, crc);
        }
        len >>= 1;
        if len == 0 {
            break;
        }
    }
    crc ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_check_value() {
        // CRC-64/XZ check: "123456789" → 0x995DC9BBDF1939FA; the empty input → 0.
        assert_eq!(crc64(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(crc64(b""), 0);
    }

    #[test]
    fn combining_matches_the_direct_crc_for_every_split() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = crc64(&data);
        for cut in [0, 1, 2, 7, 8, 9, 255, 256, 1024, 2999, 3000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                combine(crc64(a), crc64(b), b.len() as u64),
                whole,
                "cut {cut}"
            );
        }
    }
}
