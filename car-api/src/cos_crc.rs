//! CRC-64/XZ, COS's `x-cos-hash-crc64ecma`, and combining the CRCs of consecutive parts
//! into the whole object's without reading the bytes again (the GF(2) matrix method of
//! zlib's `crc32_combine`). One implementation for the uploader, which checks what COS
//! reports, and the emulator, which reports it.

/// A running CRC-64/XZ (SIMD-accelerated by `crc64fast`).
#[derive(Clone)]
pub struct Crc64(crc64fast::Digest);

impl Default for Crc64 {
    fn default() -> Self {
        Crc64(crc64fast::Digest::new())
    }
}

impl Crc64 {
    /// A CRC over nothing yet.
    pub fn new() -> Crc64 {
        Crc64::default()
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.write(data);
    }

    /// The CRC of everything fed so far.
    pub fn value(&self) -> u64 {
        self.0.sum64()
    }

    /// The CRC of `data` in one go.
    pub fn of(data: &[u8]) -> u64 {
        let mut c = Crc64::new();
        c.update(data);
        c.value()
    }
}

/// The reflected CRC-64/XZ polynomial (`0x42F0E1EBA9EA3693` bit-reversed).
const POLY_REFLECTED: u64 = 0xC96C_5795_D787_0F42;

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

/// The CRC of `A‖B` from `crc(A)`, `crc(B)` and `len(B)`. It works on final CRC values
/// because CRC-64/XZ starts from and XORs out all ones, as zlib's CRC-32 does.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    // The operator feeding one zero bit through the register, squared up to whole bytes.
    let mut odd = [0u64; 64];
    odd[0] = POLY_REFLECTED;
    for (n, row) in odd.iter_mut().enumerate().skip(1) {
        *row = 1 << (n - 1);
    }
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

    /// The catalogue check value of CRC-64/XZ: "123456789" → 0x995DC9BBDF1939FA.
    #[test]
    fn check_value_is_the_catalogues() {
        assert_eq!(Crc64::of(b"123456789"), 11_051_210_869_376_104_954);
        assert_eq!(Crc64::of(b""), 0);
    }

    /// The vector file's 3 MiB input: three 1 MiB parts of CRC 12198584541786614250
    /// combine into 7798054842253009186 (the values COS returned, in the vector file).
    #[test]
    fn three_published_part_crcs_combine_into_the_published_whole() {
        let part = 12_198_584_541_786_614_250u64;
        let mib = 1024 * 1024;
        let whole = combine(combine(part, part, mib), part, mib);
        assert_eq!(whole, 7_798_054_842_253_009_186);
    }

    #[test]
    fn combining_uneven_pieces_matches_a_direct_crc() {
        let data: Vec<u8> = (0..100_003u32).map(|i| (i * 7 % 251) as u8).collect();
        let (a, b) = data.split_at(65_537);
        assert_eq!(
            combine(Crc64::of(a), Crc64::of(b), b.len() as u64),
            Crc64::of(&data)
        );
    }

    #[test]
    fn combining_matches_the_direct_crc_for_every_split() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = Crc64::of(&data);
        for cut in [0, 1, 2, 7, 8, 9, 255, 256, 1024, 2999, 3000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                combine(Crc64::of(a), Crc64::of(b), b.len() as u64),
                whole,
                "cut {cut}"
            );
        }
    }
}
