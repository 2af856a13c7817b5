"""The peer of `relais bench listen`: Python's vaderSentiment timed on the same texts.

Reads a JSON array of texts on standard input, scores every text `rounds` times after one
warm-up pass, and prints one JSON object: the texts, the processor time of the fastest round,
and the figures per text. Processor time (not wall time) so that other processes of a busy
machine do not count, as on the Relais side.
"""
import json
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    texts = json.load(sys.stdin)
    analyzer = SentimentIntensityAnalyzer()
    for text in texts:
        analyzer.polarity_scores(text)
    best = float("inf")
    for _ in range(rounds):
        started = time.thread_time()
        for text in texts:
            analyzer.polarity_scores(text)
        best = min(best, time.thread_time() - started)
    print(json.dumps({
        "texts": len(texts),
        "seconds": best,
        "us_per_text": best * 1e6 / max(len(texts), 1),
        "texts_per_second": len(texts) / best if best > 0 else None,
    }))


if __name__ == "__main__":
    main()
