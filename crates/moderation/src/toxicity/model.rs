//! The logistic regression's weights (`data/toxicity/model_<lang>.tsv`, written by
//! `tools/train_toxicity.py`): the decision threshold, an intercept, one weight per dense
//! feature and one per hashed bucket seen in training.

use super::features::{BITS, DENSE_NAMES, Dense};

const MODEL_EN: &str = include_str!("../../data/toxicity/model_en.tsv");
const MODEL_FR: &str = include_str!("../../data/toxicity/model_fr.tsv");

#[derive(Debug, thiserror::Error)]
#[error("toxicity weights {file}, line {line}: {problem}")]
pub struct ModelError {
    file: &'static str,
    line: usize,
    problem: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// P(toxic) at or above which a message is called toxic (chosen by cross-validation on the
    /// train part, for the best macro-F1).
    pub threshold: f32,
    intercept: f32,
    dense: [f32; DENSE_NAMES.len()],
    buckets: BucketWeights,
}

/// The weights of the hashed buckets in an open-addressing table of 8-byte slots, so that a
/// look-up usually reads one cache line.
#[derive(Debug, Clone)]
struct BucketWeights {
    /// (bucket + 1, weight); key 0 marks an empty slot.
    slots: Vec<(u32, f32)>,
    shift: u32,
}

impl BucketWeights {
    fn new(entries: &[(u32, f32)]) -> Self {
        // At most half full: short probe runs for the hundreds of look-ups of a message.
        let capacity = (entries.len() * 2).next_power_of_two().max(16);
        let mut table = BucketWeights {
            slots: vec![(0, 0.0); capacity],
            shift: 64 - capacity.trailing_zeros(),
        };
        for &(bucket, weight) in entries {
            let key = bucket + 1;
            let slot = table.slot_of(key);
            table.slots[slot] = (key, weight);
        }
        table
    }

    fn slot_of(&self, key: u32) -> usize {
        let mask = self.slots.len() - 1;
        // Fibonacci hashing: the top bits of the product mix every bit of the key.
        let mut slot = (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        while self.slots[slot].0 != 0 && self.slots[slot].0 != key {
            slot = (slot + 1) & mask;
        }
        slot
    }

    fn get(&self, bucket: u32) -> f32 {
        let key = bucket + 1;
        let (found, weight) = self.slots[self.slot_of(key)];
        if found == key { weight } else { 0.0 }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|(k, _)| *k != 0).count()
    }
}

impl Model {
    pub(crate) fn shipped_english() -> Result<Self, ModelError> {
        Self::parse("model_en.tsv", MODEL_EN)
    }

    pub(crate) fn shipped_french() -> Result<Self, ModelError> {
        Self::parse("model_fr.tsv", MODEL_FR)
    }

    pub(crate) fn parse(file: &'static str, text: &str) -> Result<Self, ModelError> {
        let mut threshold = None;
        let mut intercept = None;
        let mut dense = [f32::NAN; DENSE_NAMES.len()];
        let mut buckets = Vec::with_capacity(text.len() / 16);
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let bad = |problem: String| ModelError {
                file,
                line: index + 1,
                problem,
            };
            let (name, value) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected a name, a tab and a number".into()))?;
            let value: f32 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite())
                .ok_or_else(|| bad(format!("{value:?} is not a number")))?;
            if name == "threshold" {
                if !(0.0..=1.0).contains(&value) {
                    return Err(bad(format!("threshold {value} is not in 0..1")));
                }
                threshold = Some(value);
            } else if name == "intercept" {
                intercept = Some(value);
            } else if let Some(feature) = name.strip_prefix("dense:") {
                let at = DENSE_NAMES
                    .iter()
                    .position(|n| *n == feature)
                    .ok_or_else(|| bad(format!("unknown dense feature {feature:?}")))?;
                dense[at] = value;
            } else {
                let bucket: u32 = name
                    .parse()
                    .ok()
                    .filter(|&b| b < 1 << BITS)
                    .ok_or_else(|| bad(format!("{name:?} is not a bucket number")))?;
                buckets.push((bucket, value));
            }
        }
        let missing = |problem: String| ModelError {
            file,
            line: 0,
            problem,
        };
        let threshold = threshold.ok_or_else(|| missing("no threshold line".into()))?;
        let intercept = intercept.ok_or_else(|| missing("no intercept line".into()))?;
        if let Some(at) = dense.iter().position(|w| w.is_nan()) {
            return Err(missing(format!("no weight for dense:{}", DENSE_NAMES[at])));
        }
        Ok(Model {
            threshold,
            intercept,
            dense,
            buckets: BucketWeights::new(&buckets),
        })
    }

    /// P(toxic) from a message's distinct buckets (each counted 1/sqrt(n), as the trainer's
    /// L2-normalised rows) and dense features.
    pub(crate) fn probability(&self, buckets: &[u32], dense: &Dense) -> f32 {
        let mut logit = self.intercept;
        if !buckets.is_empty() {
            let sum: f32 = buckets.iter().map(|&b| self.buckets.get(b)).sum();
            logit += sum / (buckets.len() as f32).sqrt();
        }
        for (value, weight) in dense.iter().zip(&self.dense) {
            logit += *value as f32 * weight;
        }
        1.0 / (1.0 + (-logit).exp())
    }

    #[cfg(test)]
    pub(crate) fn bucket_count(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(extra: &str) -> String {
        let mut text = String::from("# c\nthreshold\t0.6\nintercept\t-1\n");
        for name in DENSE_NAMES {
            let w = if name == "insult" { "3" } else { "0" };
            text.push_str(&format!("dense:{name}\t{w}\n"));
        }
        text.push_str(extra);
        text
    }

    #[test]
    fn weights_parse_and_score() {
        let model = Model::parse("test", &weights("7\t4\n")).expect("valid weights");
        assert_eq!(model.threshold, 0.6);
        let mut dense = [0f64; DENSE_NAMES.len()];
        let calm = model.probability(&[], &dense);
        assert!((calm - 1.0 / (1.0 + 1f32.exp())).abs() < 1e-6, "{calm}");
        // logit: −1 + 4/sqrt(4) + 3 = 4.
        dense[0] = 1.0;
        let toxic = model.probability(&[7, 8, 9, 10], &dense);
        assert!(
            (toxic - 1.0 / (1.0 + (-4f32).exp())).abs() < 1e-6,
            "{toxic}"
        );
    }

    #[test]
    fn broken_weights_are_errors_not_panics() {
        assert!(Model::parse("t", "intercept\t0\n").is_err(), "no threshold");
        assert!(
            Model::parse("t", "threshold\t0.5\nintercept\t0\n").is_err(),
            "no dense"
        );
        assert!(Model::parse("t", &weights("xyz\t1\n")).is_err());
        assert!(Model::parse("t", &weights("7\tNaN\n")).is_err());
        assert!(Model::parse("t", &weights("99999999\t1\n")).is_err());
        assert!(Model::parse("t", &weights("threshold\t2\n")).is_err());
        assert!(Model::parse("t", &weights("dense:nope\t1\n")).is_err());
    }

    #[test]
    fn shipped_weights_load() {
        for model in [Model::shipped_english(), Model::shipped_french()] {
            let model = model.expect("shipped weights parse");
            assert!(model.bucket_count() > 1000);
            assert!(model.threshold > 0.0 && model.threshold < 1.0);
        }
    }
}
