//! The Rust features must equal the trainer's (`tools/train_sentiment.py`), or the shipped
//! weights would be applied to the wrong inputs. The trainer writes the features of a few
//! texts to `data/sentiment/fixture_features.tsv`; this test recomputes them.

use relais_listen::lang::Lang;
use relais_listen::sentiment::SentimentAnalyzer;

const FIXTURE: &str = include_str!("../data/sentiment/fixture_features.tsv");

#[test]
fn features_equal_the_trainers() {
    let analyzer = SentimentAnalyzer::new().expect("shipped sentiment data loads");
    let mut checked = 0;
    for line in FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [code, text, buckets, dense] = fields[..] else {
            panic!("fixture line with {} fields: {line}", fields.len());
        };
        let lang = Lang::from_code(code).expect("fixture language");
        let want_buckets: Vec<u32> = buckets
            .split(',')
            .map(|b| b.parse().expect("bucket number"))
            .collect();
        let want_dense: Vec<f64> = dense
            .split(',')
            .map(|d| d.parse().expect("dense value"))
            .collect();
        let (got_buckets, got_dense) = analyzer
            .features_for_test(text, lang)
            .expect("fixture languages have models");
        assert_eq!(got_buckets, want_buckets, "buckets of {text:?}");
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
