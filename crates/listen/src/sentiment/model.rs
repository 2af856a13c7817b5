//! The linear model's weights (`data/sentiment/model_<lang>.tsv`, written by
//! `tools/train_sentiment.py`): three classes (negative, neutral, positive), an intercept, one
//! weight row per dense lexicon feature and one per hashed bucket kept in training (see the
//! trainer's `fit`: the weights are those of three one-vs-rest regressions, scales folded in).

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
/// open-addressing table of 12-byte slots kept at most a third full: most of a text's buckets
/// are not in it, and finding that out takes 1 to 2 probes at that load (4 or more at 2/3).
/// The 9,000 buckets of a shipped model take 400 KB. Buckets are hash values already: their low
/// bits are the slot.
#[derive(Debug, Clone)]
struct BucketWeights {
    /// (bucket + 1, [negative − neutral, positive − neutral]); key 0 marks an empty slot.
    slots: Vec<(u32, [f32; 2])>,
    mask: usize,
}

impl BucketWeights {
    fn new(entries: &[(u32, [f32; 3])]) -> Self {
        let capacity = (entries.len() * 3).next_power_of_two().max(16);
        let mut table = BucketWeights {
            slots: vec![(0, [0.0; 2]); capacity],
            mask: capacity - 1,
        };
        for &(bucket, [negative, neutral, positive]) in entries {
            let slot = table.slot_of(bucket);
            table.slots[slot] = (bucket + 1, [negative - neutral, positive - neutral]);
        }
        table
    }

    #[inline]
    fn slot_of(&self, bucket: u32) -> usize {
        let key = bucket + 1;
        let mut slot = bucket as usize & self.mask;
        while self.slots[slot].0 != 0 && self.slots[slot].0 != key {
            slot = (slot + 1) & self.mask;
        }
        slot
    }

    #[inline]
    fn get(&self, bucket: u32) -> Option<&[f32; 2]> {
        let key = bucket + 1;
        let mut slot = bucket as usize & self.mask;
        loop {
            // One read of the slot per probe (`get` never fails: `slot` is masked).
            let (found, weights) = self.slots.get(slot)?;
            if *found == key {
                return Some(weights);
            }
            if *found == 0 {
                return None;
            }
            slot = (slot + 1) & self.mask;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|(k, _)| *k != 0).count()
    }
}

/// The running sums of one text's bucket weights, fed one bucket at a time by
/// [`Model::add_bucket`] (so that no list of buckets is kept).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BucketSums {
    /// Sums of [negative − neutral, positive − neutral] weights.
    sum: [f32; 2],
    /// Buckets seen, repeats included.
    count: u32,
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
                    .filter(|&b| b < 1 << super::hash::BITS)
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

    /// Adds the weights of one of a text's buckets.
    #[inline]
    pub(crate) fn add_bucket(&self, sums: &mut BucketSums, bucket: u32) {
        sums.count += 1;
        if let Some(&[negative, positive]) = self.buckets.get(bucket) {
            sums.sum[0] += negative;
            sums.sum[1] += positive;
        }
    }

    /// Class probabilities (negative, neutral, positive) from a text's bucket sums (each
    /// bucket counted 1/sqrt(n) for n buckets, as the trainer's rows) and dense features.
    pub(crate) fn probabilities(
        &self,
        sums: &BucketSums,
        dense: &[f64; DENSE_NAMES.len()],
    ) -> [f32; 3] {
        let mut logits = self.intercept;
        if sums.count > 0 {
            let norm = 1.0 / (sums.count as f32).sqrt();
            logits[0] += sums.sum[0] * norm;
            logits[2] += sums.sum[1] * norm;
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

    #[cfg(test)]
    fn probabilities_of(&self, buckets: &[u32], dense: &[f64; DENSE_NAMES.len()]) -> [f32; 3] {
        let mut sums = BucketSums::default();
        for &bucket in buckets {
            self.add_bucket(&mut sums, bucket);
        }
        self.probabilities(&sums, dense)
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
        let neutral = model.probabilities_of(&[], &dense);
        assert!(neutral[1] > neutral[0] && neutral[1] > neutral[2]);
        dense[0] = 1.0;
        let positive = model.probabilities_of(&[7, 8, 9, 10], &dense);
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
