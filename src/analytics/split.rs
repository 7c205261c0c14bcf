//! Sharing an approval's money among its funding sources (แหล่งเงิน) so that
//! the parts add up to the whole, to the satang.
//!
//! Each part is the whole times the source's share of the approved amount,
//! rounded down to the satang; the satang left over (fewer than the number of
//! sources) go one each to the parts with the largest remainders — Hamilton's
//! largest-remainder method. Ties between equal remainders go to the source
//! that comes first on the manual's approval form (the order of
//! [`super::frames::SOURCES`]: เงินอุดหนุนทั่วไป first, ไม่ทราบแหล่งที่มา last).
//! An approval with no amount on any source puts the whole on the last
//! source, ไม่ทราบแหล่งที่มา (UNKNOWN), so no money is dropped.
//! See docs/performance-score.md, "Money by funding source".

/// Splits `whole` satang among parts in proportion to `weights` (satang of
/// each source; negative weights count as zero), so that the parts add up to
/// `whole` exactly. A part whose weight is zero gets nothing, except that
/// when every weight is zero the last part gets the whole. A negative whole
/// (a remaining balance overspent) is split as its size and given its sign.
pub fn split(whole: i64, weights: &[i64]) -> Vec<i64> {
    let mut parts = vec![0i64; weights.len()];
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 {
        if let Some(last) = parts.last_mut() {
            *last = whole;
        }
        return parts;
    }
    let sign: i128 = if whole < 0 { -1 } else { 1 };
    let size = i128::from(whole).abs();
    // (remainder, index) of each part, to hand out the satang left over.
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let w = i128::from((*w).max(0));
        let product = size * w;
        let floor = product / total;
        given += floor;
        parts[i] = to_i64(sign * floor);
        if w > 0 {
            remainders.push((product % total, i));
        }
    }
    // Largest remainder first; equal remainders in the form's order.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = usize::try_from(size - given).unwrap_or(0);
    for (_, i) in remainders.into_iter().take(left) {
        parts[i] += to_i64(sign);
    }
    parts
}

/// A part is never larger than the whole, which is an i64.
fn to_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::split;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    #[test]
    fn thirds_go_to_the_first_sources_on_a_tie() {
        assert_eq!(split(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(split(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(split(2, &[0, 5, 0, 5, 5]), vec![0, 1, 0, 1, 0]);
    }

    #[test]
    fn the_largest_remainder_wins() {
        // 10 × 2/7 = 2.857…, 10 × 5/7 = 7.142…: the first gets the satang.
        assert_eq!(split(10, &[2, 5]), vec![3, 7]);
    }

    #[test]
    fn nothing_on_any_source_goes_to_the_unknown_source() {
        assert_eq!(split(500, &[0, 0, 0]), vec![0, 0, 500]);
    }

    #[test]
    fn parts_always_add_up_and_stay_within_a_satang_of_the_share() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        for _ in 0..20_000 {
            let n = 1 + (rng.next_u32() % 9) as usize;
            let weights: Vec<i64> = (0..n)
                .map(|_| match rng.next_u32() % 3 {
                    0 => 0,
                    _ => i64::from(rng.next_u32()) * 3,
                })
                .collect();
            let whole = i64::from(rng.next_u32()) - i64::from(u32::MAX / 4);
            let parts = split(whole, &weights);
            assert_eq!(parts.iter().sum::<i64>(), whole, "{whole} {weights:?}");
            let total: i128 = weights.iter().map(|w| i128::from(*w)).sum();
            for (p, w) in parts.iter().zip(&weights) {
                if total > 0 {
                    let exact = i128::from(whole) * i128::from(*w);
                    let diff = (i128::from(*p) * total - exact).abs();
                    assert!(diff < total, "{p} vs {whole}×{w}/{total}");
                }
            }
        }
    }
}
