//! Spike detection on hourly series: the count of mentions of a query, or the share of them that
//! are negative. An hour is a spike when it rises above the mean of the hours before it plus
//! `k` standard deviations ("rolling mean plus k sigma"), the hour itself left out of its own
//! baseline. Pure: the caller brings the series, oldest hour first.

/// When an hour counts as a spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRule {
    /// Hours of history the baseline is computed on (a week: 168).
    pub window: usize,
    /// Fewest hours of history before anything is called a spike (a new query has no baseline).
    pub min_history: usize,
    /// How many standard deviations above the mean.
    pub k: f64,
    /// The smallest deviation assumed: on a flat series (a deviation of 0) one more mention
    /// would otherwise be a spike. For counts, 1 mention; for shares, a few points.
    pub min_deviation: f64,
    /// The smallest value that can be a spike at all (3 mentions in an hour where there are
    /// usually none is not a crisis).
    pub min_value: f64,
}

impl SpikeRule {
    /// For hourly counts of mentions: a week of history, at least a day of it, k = 3.
    pub fn counts(k: f64) -> SpikeRule {
        SpikeRule {
            window: 168,
            min_history: 24,
            k,
            min_deviation: 1.0,
            min_value: 5.0,
        }
    }

    /// For the hourly share of negative mentions (0 to 1): a week of history, k = 3, a
    /// deviation of at least 5 points, and at least a third negative.
    pub fn shares(k: f64) -> SpikeRule {
        SpikeRule {
            window: 168,
            min_history: 24,
            k,
            min_deviation: 0.05,
            min_value: 1.0 / 3.0,
        }
    }
}

/// An hour above its baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Position of the hour in the series.
    pub index: usize,
    pub value: f64,
    /// Mean and standard deviation of the hours before it (the window).
    pub mean: f64,
    pub deviation: f64,
    /// `mean + k × max(deviation, min_deviation)`: what the hour went above.
    pub threshold: f64,
}

/// Every spike of a series (oldest hour first). Hours with no value (`None`: a share over no
/// mention) are left out of baselines and are never spikes.
pub fn spikes(series: &[Option<f64>], rule: &SpikeRule) -> Vec<Spike> {
    let mut found = Vec::new();
    // Running sums over the window's known values, updated as the window slides.
    let (mut n, mut sum, mut squares) = (0usize, 0.0f64, 0.0f64);
    for (index, value) in series.iter().enumerate() {
        if let Some(value) = *value
            && value.is_finite()
            && n >= rule.min_history.max(1)
        {
            let mean = sum / n as f64;
            let variance = (squares / n as f64 - mean * mean).max(0.0);
            let deviation = variance.sqrt();
            let threshold = mean + rule.k * deviation.max(rule.min_deviation);
            if value > threshold && value >= rule.min_value {
                found.push(Spike {
                    index,
                    value,
                    mean,
                    deviation,
                    threshold,
                });
            }
        }
        // The hour joins the window; the one that falls out of it leaves.
        if let Some(v) = value.filter(|v| v.is_finite()) {
            n += 1;
            sum += v;
            squares += v * v;
        }
        if index >= rule.window
            && let Some(old) = series[index - rule.window].filter(|v| v.is_finite())
        {
            n -= 1;
            sum -= old;
            squares -= old * old;
        }
    }
    found
}

/// Whether the latest hour of a series is a spike (what an alert checks every hour).
pub fn latest_spike(series: &[Option<f64>], rule: &SpikeRule) -> Option<Spike> {
    let from = series.len().saturating_sub(rule.window + 1);
    spikes(&series[from..], rule)
        .into_iter()
        .find(|s| s.index == series.len() - from - 1)
        .map(|s| Spike {
            index: s.index + from,
            ..s
        })
}

/// The hourly share of negative mentions; `None` for hours with fewer than `min_total`
/// mentions (two negative replies out of three say nothing of the mood).
pub fn negative_shares(negative: &[u64], total: &[u64], min_total: u64) -> Vec<Option<f64>> {
    negative
        .iter()
        .zip(total)
        .map(|(&neg, &all)| (all >= min_total.max(1)).then(|| neg.min(all) as f64 / all as f64))
        .collect()
}

/// Counts as a series for [`spikes`].
pub fn counts(series: &[u64]) -> Vec<Option<f64>> {
    series.iter().map(|&c| Some(c as f64)).collect()
}
