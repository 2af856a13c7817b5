//! Retry delays: exponential (2 s, 4 s, 8 s … capped at one hour) with "equal jitter" (the
//! delay is between half and all of the exponential step), so that jobs failing together do
//! not all retry at the same instant.

const BASE_MS: i64 = 2_000;
const CAP_MS: i64 = 3_600_000;

/// The delay before the next attempt after `attempts` attempts; `jitter` is in [0, 1].
pub fn retry_delay_ms(attempts: u32, jitter: f64) -> i64 {
    let exp = BASE_MS
        .saturating_mul(1_i64 << attempts.saturating_sub(1).min(30))
        .min(CAP_MS);
    let half = exp / 2;
    half + (half as f64 * jitter.clamp(0.0, 1.0)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_jitter_bounds_and_caps() {
        assert_eq!(retry_delay_ms(1, 0.0), 1_000);
        assert_eq!(retry_delay_ms(1, 1.0), 2_000);
        assert_eq!(retry_delay_ms(3, 1.0), 8_000);
        assert_eq!(retry_delay_ms(3, 0.0), 4_000);
        assert_eq!(retry_delay_ms(40, 1.0), CAP_MS);
        assert_eq!(retry_delay_ms(0, 5.0), 2_000, "jitter is clamped");
    }
}
