//! Spike detection on synthetic hourly series whose answers are worked out by hand.

use relais_listen::spike::{SpikeRule, counts, latest_spike, negative_shares, spikes};

/// A small seeded generator (xorshift), so the noisy series are the same every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Around `mean`, within ± `spread`.
    fn around(&mut self, mean: u64, spread: u64) -> u64 {
        mean - spread + self.next() % (2 * spread + 1)
    }
}

fn rule(window: usize, k: f64) -> SpikeRule {
    SpikeRule {
        window,
        min_history: window,
        k,
        min_deviation: 1.0,
        min_value: 5.0,
    }
}

fn indices(series: &[Option<f64>], rule: &SpikeRule) -> Vec<usize> {
    spikes(series, rule).iter().map(|s| s.index).collect()
}

#[test]
fn the_threshold_is_the_mean_plus_k_deviations_of_the_hours_before() {
    // Mean 5, population deviation 2: with k = 2 the threshold is 9.
    let base = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    let with =
        |last: f64| -> Vec<Option<f64>> { base.iter().copied().chain([last]).map(Some).collect() };
    let r = rule(8, 2.0);
    assert!(spikes(&with(9.0), &r).is_empty(), "equal to the threshold");
    let found = spikes(&with(9.01), &r);
    assert_eq!(found.len(), 1);
    let s = found[0];
    assert_eq!(s.index, 8);
    assert!((s.mean - 5.0).abs() < 1e-9 && (s.deviation - 2.0).abs() < 1e-9);
    assert!((s.threshold - 9.0).abs() < 1e-9);
    // k is the caller's: 12 is above 5 + 3 × 2 = 11 and below 5 + 4 × 2 = 13.
    assert_eq!(indices(&with(12.0), &rule(8, 3.0)), [8]);
    assert!(indices(&with(12.0), &rule(8, 4.0)).is_empty());
}

#[test]
fn a_burst_over_a_noisy_week_is_found_and_the_noise_is_not() {
    let mut noise = Noise(0x5eed);
    let mut hours: Vec<u64> = (0..200).map(|_| noise.around(10, 3)).collect();
    hours.push(60);
    hours.extend((0..20).map(|_| noise.around(10, 3)));
    let found = spikes(&counts(&hours), &SpikeRule::counts(3.0));
    assert_eq!(found.iter().map(|s| s.index).collect::<Vec<_>>(), [200]);
    assert!((found[0].mean - 10.0).abs() < 1.0, "{:?}", found[0]);
}

#[test]
fn a_steady_rise_is_not_a_spike() {
    let mut noise = Noise(42);
    let hours: Vec<u64> = (0..400u64)
        .map(|h| 20 + h / 10 + noise.around(3, 3))
        .collect();
    assert!(spikes(&counts(&hours), &SpikeRule::counts(3.0)).is_empty());
}

#[test]
fn a_flat_series_needs_more_than_one_mention_and_a_minimum_to_alert() {
    let mut hours = vec![0u64; 30];
    hours.push(4); // above 0 + 3 × 1, under the minimum of 5
    hours.push(6);
    let r = SpikeRule {
        min_history: 24,
        ..SpikeRule::counts(3.0)
    };
    assert_eq!(indices(&counts(&hours), &r), [31]);
}

#[test]
fn without_enough_history_nothing_is_a_spike() {
    let mut hours = vec![1u64; 10];
    hours.push(500);
    assert!(spikes(&counts(&hours), &SpikeRule::counts(3.0)).is_empty());
}

#[test]
fn old_spikes_leave_the_baseline_when_they_leave_the_window() {
    // Baseline 10; 100 at hour 30 (a spike). At hour 40 the window (16..=39) still holds it:
    // mean 13.75, deviation 17.98, threshold 67.7, so 50 is not a spike. At hour 60 the window
    // (36..=59) holds the 50 but no longer the 100: mean 11.67, deviation 7.99, threshold 35.6.
    let mut hours = vec![10u64; 70];
    hours[30] = 100;
    hours[40] = 50;
    hours[60] = 50;
    assert_eq!(indices(&counts(&hours), &rule(24, 3.0)), [30, 60]);
}

#[test]
fn shares_of_negative_mentions_skip_quiet_hours() {
    let mut negative = vec![1u64; 48];
    let mut total = vec![10u64; 48];
    // A quiet hour: 2 of 2 negative says nothing.
    negative[30] = 2;
    total[30] = 2;
    // The mood turns: 7 of 10.
    negative.push(7);
    total.push(10);
    let shares = negative_shares(&negative, &total, 5);
    assert_eq!(shares[30], None);
    assert_eq!(shares[0], Some(0.1));
    let found = spikes(&shares, &SpikeRule::shares(3.0));
    assert_eq!(found.iter().map(|s| s.index).collect::<Vec<_>>(), [48]);
    assert!((found[0].mean - 0.1).abs() < 1e-9);
    // More negatives than mentions (a bad row) is read as all of them.
    assert_eq!(negative_shares(&[9], &[5], 1), [Some(1.0)]);
}

#[test]
fn the_latest_hour_is_checked_as_the_whole_series_would_say() {
    let mut noise = Noise(7);
    let mut hours: Vec<u64> = (0..300).map(|_| noise.around(20, 4)).collect();
    let r = SpikeRule::counts(3.0);
    assert_eq!(latest_spike(&counts(&hours), &r), None);
    hours.push(90);
    let latest = latest_spike(&counts(&hours), &r).expect("the last hour is a spike");
    assert_eq!(latest.index, 300);
    assert_eq!(Some(&latest), spikes(&counts(&hours), &r).last());
    assert_eq!(latest_spike(&[], &r), None);
}
