//! The Rust features must equal the trainer's (`tools/train_toxicity.py`), or the shipped
//! weights would be applied to the wrong inputs. The trainer writes the tokens and features of
//! a few texts to `data/toxicity/fixture_features.tsv`; this test recomputes them.

use relais_listen::lang::Lang;
use relais_moderation::toxicity::ToxicityScorer;

const FIXTURE: &str = include_str!("../data/toxicity/fixture_features.tsv");

#[test]
fn features_equal_the_trainers() {
    let scorer = ToxicityScorer::new().expect("shipped toxicity data loads");
    let mut checked = 0;
    for line in FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [code, text, buckets, dense, tokens] = fields[..] else {
            panic!("fixture line with {} fields: {line}", fields.len());
        };
        let lang = Lang::from_code(code).expect("fixture language");
        let (got_buckets, got_dense, got_tokens) = scorer
            .features_for_test(text, lang)
            .expect("fixture languages have models");
        let want_tokens: Vec<&str> = tokens.split('|').collect();
        assert_eq!(got_tokens, want_tokens, "tokens of {text:?}");
        let want_buckets: Vec<u32> = buckets
            .split(',')
            .map(|b| b.parse().expect("bucket number"))
            .collect();
        assert_eq!(got_buckets, want_buckets, "buckets of {text:?}");
        let want_dense: Vec<f64> = dense
            .split(',')
            .map(|d| d.parse().expect("dense value"))
            .collect();
        assert_eq!(
            got_dense.len(),
            want_dense.len(),
            "dense features of {text:?}"
        );
        for (i, (got, want)) in got_dense.iter().zip(&want_dense).enumerate() {
            assert!(
                (got - want).abs() < 1e-6,
                "dense feature {i} of {text:?}: rust {got} python {want}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "the fixture has {checked} texts");
}
