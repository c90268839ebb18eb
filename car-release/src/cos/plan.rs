//! How a file is cut into parts, within COS's limits (reference §6).

use super::error::CosError;

/// Smallest part (the last may be smaller): 1 MiB satisfies both readings of "1 MB".
pub const MIN_PART_SIZE: u64 = 1024 * 1024;
/// Largest part, and largest simple PUT.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Most parts one upload may have.
pub const MAX_PARTS: u64 = 10_000;

/// A file's division into parts: all `part_size` long but the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// The file's size.
    pub size: u64,
    /// Every part's size but the last's.
    pub part_size: u64,
}

impl PartPlan {
    /// Parts of `requested` bytes, grown to whole MiB if the file would otherwise need more
    /// than [`MAX_PARTS`]. A requested size outside COS's limits is refused.
    pub fn new(size: u64, requested: u64) -> Result<PartPlan, CosError> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&requested) {
            return Err(CosError::Invalid {
                parameter: "part size",
                expected: format!("{MIN_PART_SIZE} to {MAX_PART_SIZE} bytes"),
                given: requested.to_string(),
            });
        }
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIN_PART_SIZE) * MIN_PART_SIZE;
        let part_size = requested.max(needed);
        if part_size > MAX_PART_SIZE {
            return Err(CosError::Invalid {
                parameter: "file size",
                expected: format!("at most {} bytes", MAX_PART_SIZE * MAX_PARTS),
                given: size.to_string(),
            });
        }
        Ok(PartPlan { size, part_size })
    }

    /// How many parts (at least one, so an empty file is one empty part).
    pub fn count(&self) -> u32 {
        self.size.div_ceil(self.part_size).max(1) as u32
    }

    /// Offset and length of part `number` (1-based).
    pub fn range(&self, number: u32) -> (u64, u64) {
        let start = u64::from(number - 1) * self.part_size;
        (start, self.part_size.min(self.size - start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn parts_cover_the_file_and_the_last_is_the_remainder() {
        let p = PartPlan::new(10 * MIB + 5, 4 * MIB).unwrap();
        assert_eq!(p.count(), 3);
        assert_eq!(p.range(1), (0, 4 * MIB));
        assert_eq!(p.range(3), (8 * MIB, 2 * MIB + 5));
    }

    #[test]
    fn a_huge_file_gets_bigger_parts_to_stay_within_ten_thousand() {
        let size = 100_000 * MIB + 1;
        let p = PartPlan::new(size, MIB).unwrap();
        assert!(p.count() as u64 <= MAX_PARTS, "{}", p.count());
        assert_eq!(p.part_size % MIB, 0);
    }

    #[test]
    fn part_sizes_outside_cos_limits_are_refused_by_name() {
        let e = PartPlan::new(10, MIB - 1).unwrap_err().to_string();
        assert!(e.contains("part size") && e.contains("1048575"), "{e}");
        assert!(PartPlan::new(10, MAX_PART_SIZE + 1).is_err());
    }
}
