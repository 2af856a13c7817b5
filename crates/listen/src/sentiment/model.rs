//! The linear model's weights (`data/sentiment/model_<lang>.tsv`, written by
//! `tools/train_sentiment.py`): three classes (negative, neutral, positive), an intercept, one
//! weight row per dense lexicon feature and one per hashed bucket seen in training.

use super::rules::DENSE_NAMES;

const MODEL_EN: &str = include_str!("../../data/sentiment/model_en.tsv");
const MODEL_FR: &str = include_str!("../../data/sentiment/model_fr.tsv");

#[derive(Debug, thiserror::Error)]
#[error("sentiment weights {file}, line {line}: {problem}")]
pub struct ModelError {
    file: &'static str,
    line: usize,
    problem: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    intercept: [f32; 3],
    dense: [[f32; 3]; DENSE_NAMES.len()],
    buckets: BucketWeights,
}

/// The weights of the hashed buckets, minus the neutral class's weight (softmax does not change
/// when the same number is taken from every logit, so two weights say all three), in an
/// open-addressing table of 12-byte slots: 21,000 buckets take under 400 KB, and a look-up
/// usually reads one cache line.
#[derive(Debug, Clone)]
struct BucketWeights {
    /// (bucket + 1, [negative − neutral, positive − neutral]); key 0 marks an empty slot.
    slots: Vec<(u32, [f32; 2])>,
    shift: u32,
}

impl BucketWeights {
    fn new(entries: &[(u32, [f32; 3])]) -> Self {
        let capacity = (entries.len() * 4 / 3 + 1).next_power_of_two().max(16);
        let mut table = BucketWeights {
            slots: vec![(0, [0.0; 2]); capacity],
            shift: 64 - capacity.trailing_zeros(),
        };
        for &(bucket, [negative, neutral, positive]) in entries {
            let key = bucket + 1;
            let slot = table.slot_of(key);
            table.slots[slot] = (key, [negative - neutral, positive - neutral]);
        }
        table
    }

    fn slot_of(&self, key: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        while self.slots[slot].0 != 0 && self.slots[slot].0 != key {
            slot = (slot + 1) & mask;
        }
        slot
    }

    fn get(&self, bucket: u32) -> Option<&[f32; 2]> {
        let key = bucket + 1;
        let (found, weights) = &self.slots[self.slot_of(key)];
        (*found == key).then_some(weights)
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
        let mut intercept = None;
        let mut dense = [[f32::NAN; 3]; DENSE_NAMES.len()];
        let mut buckets = Vec::with_capacity(text.len() / 32);
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let bad = |problem: String| ModelError {
                file,
                line: index + 1,
                problem,
            };
            let mut fields = line.split('\t');
            let name = fields.next().unwrap_or("");
            let mut weights = [0f32; 3];
            for weight in &mut weights {
                let field = fields
                    .next()
                    .ok_or_else(|| bad("expected 3 weights".into()))?;
                *weight = field
                    .parse()
                    .map_err(|_| bad(format!("{field:?} is not a number")))?;
            }
            if name == "intercept" {
                intercept = Some(weights);
            } else if let Some(feature) = name.strip_prefix("dense:") {
                let at = DENSE_NAMES
                    .iter()
                    .position(|n| *n == feature)
                    .ok_or_else(|| bad(format!("unknown dense feature {feature:?}")))?;
                dense[at] = weights;
            } else {
                let bucket: u32 = name
                    .parse()
                    .ok()
                    .filter(|&b| b < 1 << super::features::BITS)
                    .ok_or_else(|| bad(format!("{name:?} is not a bucket number")))?;
                buckets.push((bucket, weights));
            }
        }
        let missing = |problem: &str| ModelError {
            file,
            line: 0,
            problem: problem.into(),
        };
        let intercept = intercept.ok_or_else(|| missing("no intercept line"))?;
        if let Some(at) = dense.iter().position(|w| w[0].is_nan()) {
            return Err(missing(&format!(
                "no weights for dense:{}",
                DENSE_NAMES[at]
            )));
        }
        Ok(Model {
            intercept,
            dense,
            buckets: BucketWeights::new(&buckets),
        })
    }

    /// Class probabilities (negative, neutral, positive) from a text's distinct buckets (each
    /// counted 1/sqrt(n), as the trainer's L2-normalised rows) and dense features.
    pub(crate) fn probabilities(
        &self,
        buckets: &[u32],
        dense: &[f64; DENSE_NAMES.len()],
    ) -> [f32; 3] {
        let mut logits = self.intercept;
        if !buckets.is_empty() {
            let mut sum = [0f32; 2];
            for &bucket in buckets {
                if let Some(&[negative, positive]) = self.buckets.get(bucket) {
                    sum[0] += negative;
                    sum[1] += positive;
                }
            }
            let norm = 1.0 / (buckets.len() as f32).sqrt();
            logits[0] += sum[0] * norm;
            logits[2] += sum[1] * norm;
        }
        for (value, weights) in dense.iter().zip(&self.dense) {
            for (logit, w) in logits.iter_mut().zip(weights) {
                *logit += *value as f32 * w;
            }
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp = logits.map(|l| (l - max).exp());
        let total: f32 = exp.iter().sum();
        exp.map(|e| e / total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_score() {
        let mut text = String::from("# c\nintercept\t0\t1\t0\n");
        for name in DENSE_NAMES {
            let w = if name == "compound" {
                "-2\t0\t2"
            } else {
                "0\t0\t0"
            };
            text.push_str(&format!("dense:{name}\t{w}\n"));
        }
        text.push_str("7\t0\t0\t4\n");
        let model = Model::parse("test", &text).expect("valid weights");
        let mut dense = [0f64; 11];
        let neutral = model.probabilities(&[], &dense);
        assert!(neutral[1] > neutral[0] && neutral[1] > neutral[2]);
        dense[0] = 1.0;
        let positive = model.probabilities(&[7, 8, 9, 10], &dense);
        // logits: neg -2, neu 1, pos 2 + 4/sqrt(4) = 4.
        assert!(positive[2] > 0.9, "{positive:?}");
        assert!((positive.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn broken_weights_are_errors_not_panics() {
        assert!(Model::parse("t", "intercept\t0\t1\n").is_err());
        assert!(
            Model::parse("t", "intercept\t0\t1\t2\n").is_err(),
            "dense rows missing"
        );
        assert!(Model::parse("t", "intercept\t0\t1\t2\nxyz\t1\t2\t3\n").is_err());
    }

    #[test]
    fn shipped_weights_load() {
        for model in [Model::shipped_english(), Model::shipped_french()] {
            let model = model.expect("shipped weights parse");
            assert!(model.buckets.len() > 1000);
        }
    }
}
