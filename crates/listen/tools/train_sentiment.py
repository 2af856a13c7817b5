#!/usr/bin/env python3
"""Trains the sentiment weights shipped in crates/listen/data/sentiment/ (model_en.tsv, model_fr.tsv)
and writes the fixture that proves the Rust features equal these (fixture_features.tsv).

The feature code below is the reference that crates/listen/src/sentiment/ mirrors exactly:
change one, change the other, then run `cargo test -p relais-listen --test sentiment_features`.

Usage (Python 3.10+, scikit-learn and numpy from PyPI):
    python3 crates/listen/tools/train_sentiment.py [--data ../shared/data/sentiment] [--cv] [--report]
--cv prints 5-fold cross-validated macro-F1 on the train split (what the settings were tuned on);
--report prints validation macro-F1 and Pearson r on VADER's snippets (reported, never tuned on).
The tweets (xlmt-english, xlmt-french train splits) are for evaluation and research use only:
see crates/listen/NOTICE.md before shipping weights trained on them.
"""
import argparse, math, os, re, sys
# One BLAS thread: on a small machine, more threads only fight (scikit-learn's L-BFGS ran 15x slower).
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); os.environ.setdefault('OMP_NUM_THREADS', '1')
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data', 'sentiment')

FOLD = {'à':'a','â':'a','ä':'a','á':'a','ã':'a','å':'a','é':'e','è':'e','ê':'e','ë':'e','í':'i','ì':'i','î':'i','ï':'i',
        'ó':'o','ò':'o','ô':'o','ö':'o','õ':'o','ú':'u','ù':'u','û':'u','ü':'u','ç':'c','ñ':'n','ÿ':'y','œ':'oe','æ':'ae'}
APOSTROPHES = {'\u2019', '\u2018', '`', '\u00b4'}
IGNORED = {'\ufe0f', '\u200d'}  # emoji presentation selector, zero-width joiner

def fold(word):
    return ''.join(FOLD.get(c, c) for c in word)

def collapse(word):
    """Runs of 3+ identical chars shortened to 2; returns (word, elongated)."""
    out = []; elongated = False
    for c in word:
        if len(out) >= 2 and out[-1] == c and out[-2] == c:
            elongated = True; continue
        out.append(c)
    return ''.join(out), elongated

def squeeze(word):
    out = []
    for c in word:
        if not out or out[-1] != c: out.append(c)
    return ''.join(out)

def read_tsv(name):
    rows = []
    for line in open(os.path.join(DATA, name), encoding='utf-8'):
        if line.startswith('#'): continue
        rows.append(line.rstrip('\n').split('\t'))
    return rows[1:]

def load_lexicon(lang):
    lex = {}
    files = ['en_vader.tsv'] if lang == 'en' else ['fr_relais.tsv', 'fr_pattern.tsv']
    for f in files:  # earlier files win
        for w, v, *_ in read_tsv(f):
            key = fold(w.lower()).replace("'", '')
            if key and key not in lex: lex[key] = float(v)
    return lex

def load_emoji():
    return {e: float(v) for e, v, *_ in read_tsv('emoji.tsv')}

def load_rules(lang):
    neg, boost, contrast = set(), {}, set()
    for l, kind, w, v in read_tsv('rules.tsv'):
        if l != lang: continue
        w = fold(w)
        if kind == 'negator': neg.add(w)
        elif kind == 'booster': boost[w] = float(v)
        elif kind == 'contrast': contrast.add(w)
    return neg, boost, contrast

WORD, EMOJI, EMOTICON, PUNCT, URL, USER = range(6)

class Tok:
    __slots__ = ('kind', 'text', 'caps', 'elongated', 'nt', 'squeezed')
    def __init__(self, kind, text, caps=False, elongated=False, nt=False, squeezed=None):
        self.kind, self.text, self.caps, self.elongated, self.nt, self.squeezed = kind, text, caps, elongated, nt, squeezed
    def __repr__(self): return f'{self.kind}:{self.text}'

def is_alnum(c):
    return c.isalnum()

class Lang:
    def __init__(self, lang):
        self.lang = lang
        self.lex = load_lexicon(lang)
        self.emoji = load_emoji()
        self.neg, self.boost, self.contrast = load_rules(lang)
        # Emoticons: lexicon entries made only of non-space ASCII with at least one punctuation mark.
        self.emoticons = {k for k in self.lex if k.isascii() and any(not c.isalnum() for c in k) and ' ' not in k}
        if lang == 'fr':
            en = load_lexicon('en')
            for k, v in en.items():
                if k.isascii() and any(not c.isalnum() for c in k) and ' ' not in k:
                    self.emoticons.add(k); self.lex.setdefault(k, v)

    def tokens(self, text):
        out = []
        for chunk in text.split():
            low = chunk.lower()
            if low.startswith('http') or low.startswith('www.'):
                out.append(Tok(URL, '')); continue
            if low.startswith('@') or low.startswith('.@'):
                out.append(Tok(USER, '')); continue
            if low in self.emoticons:
                out.append(Tok(EMOTICON, low)); continue
            self._split(chunk, out)
        return out

    def _word(self, raw, nt, out):
        caps = sum(1 for c in raw if c.isalpha()) >= 2 and raw.isupper()
        w, elongated = collapse(fold(raw.lower()))
        out.append(Tok(WORD, w, caps, elongated, nt, squeeze(w) if elongated else None))

    def _punct(self, run, out):
        if run in self.emoticons: out.append(Tok(EMOTICON, run))
        else: out.append(Tok(PUNCT, run[:3]))

    def _split(self, chunk, out):
        word = []; punct = []; nt = False
        chars = [APOSTROPHE if c in APOSTROPHES else c for c in chunk]
        n = len(chars)
        for i, c in enumerate(chars):
            if c in IGNORED or '\U0001F3FB' <= c <= '\U0001F3FF':
                continue
            if is_alnum(c):
                if punct: self._punct(''.join(punct).lower(), out); punct = []
                word.append(c); continue
            if c == APOSTROPHE and word and i + 1 < n and is_alnum(chars[i + 1]):
                if self.lang == 'en':
                    if word[-1] in 'nN' and chars[i + 1] in 'tT': nt = True
                    continue  # "don't" -> "dont"
                self._word(''.join(word), nt, out); word = []; nt = False  # "l'eau" -> "l", "eau"
                continue
            if word: self._word(''.join(word), nt, out); word = []; nt = False
            if c == '#':  # a hashtag's word counts as a word
                if punct: self._punct(''.join(punct).lower(), out); punct = []
                continue
            if c.isascii():
                punct.append(c); continue
            if punct: self._punct(''.join(punct).lower(), out); punct = []
            out.append(Tok(EMOJI, c))
        if word: self._word(''.join(word), nt, out)
        if punct: self._punct(''.join(punct).lower(), out)

APOSTROPHE = "'"

# ---- lexicon scoring (VADER-like rules, our own implementation) ----
NEG_SCALAR = -0.74
CAPS_BOOST = 0.733
EXCLAIM_STEP = 0.292
QUESTION_STEP = 0.18
CLAUSE_MARKS = set('.,;:!?')

def valence_of(L, t):
    if t.kind == WORD:
        v = L.lex.get(t.text)
        if v is None and t.squeezed is not None: v = L.lex.get(t.squeezed)
        return v
    if t.kind == EMOJI: return L.emoji.get(t.text)
    if t.kind == EMOTICON: return L.lex.get(t.text)
    return None

def word_in(table, t):
    """The entry of a word token in a rules table, trying the de-elongated form second."""
    if t.text in table: return table[t.text] if isinstance(table, dict) else True
    if t.squeezed is not None and t.squeezed in table:
        return table[t.squeezed] if isinstance(table, dict) else True
    return None

def lexicon_scores(L, toks):
    """Returns dict of dense lexicon features."""
    vals = []  # (position among scored tokens, adjusted valence, is_emoji)
    words = [i for i, t in enumerate(toks) if t.kind in (WORD, EMOJI, EMOTICON)]
    # Where the clause of each scored token starts: negators and boosters act within a clause.
    clause_start = []; start = 0; k = 0
    for i, t in enumerate(toks):
        if t.kind == PUNCT and any(c in CLAUSE_MARKS for c in t.text): start = k
        elif t.kind in (WORD, EMOJI, EMOTICON): clause_start.append(start); k += 1
    mixed_case = any(t.kind == WORD and not t.caps for t in toks)
    contrast_at = -1
    for pos, i in enumerate(words):
        t = toks[i]
        if t.kind == WORD and word_in(L.contrast, t): contrast_at = pos
        v = valence_of(L, t)
        if v is None or v == 0: continue
        if t.kind != WORD:
            vals.append([pos, v, True]); continue
        if word_in(L.boost, t) is not None or word_in(L.neg, t): continue
        if t.caps and mixed_case: v += CAPS_BOOST if v > 0 else -CAPS_BOOST
        negated = False
        for back in range(1, 4):
            if pos - back < clause_start[pos]: break
            p = toks[words[pos - back]]
            if p.kind != WORD: continue
            b = word_in(L.boost, p)
            if b is not None:
                scalar = b * (1.0 - 0.05 * (back - 1))
                if p.caps and mixed_case: scalar += CAPS_BOOST if b > 0 else -CAPS_BOOST
                v += scalar if v > 0 else -scalar
            if p.nt or word_in(L.neg, p): negated = True
        if negated: v *= NEG_SCALAR
        vals.append([pos, v, False])
    if contrast_at >= 0:
        for x in vals:
            x[1] *= 0.5 if x[0] < contrast_at else 1.5 if x[0] > contrast_at else 1.0
    total = sum(x[1] for x in vals)
    exclaim = sum(t.text.count('!') for t in toks if t.kind == PUNCT)
    question = sum(t.text.count('?') for t in toks if t.kind == PUNCT)
    if total != 0:
        emph = min(exclaim, 4) * EXCLAIM_STEP
        if question > 1: emph += min(question, 4) * QUESTION_STEP
        total += emph if total > 0 else -emph
    compound = total / math.sqrt(total * total + 15.0)
    pos = sum(x[1] for x in vals if x[1] > 0); neg = -sum(x[1] for x in vals if x[1] < 0)
    return {
        'compound': compound,
        'pos': math.tanh(pos / 4.0), 'neg': math.tanh(neg / 4.0),
        'npos': min(sum(1 for x in vals if x[1] > 0), 4) / 4.0,
        'nneg': min(sum(1 for x in vals if x[1] < 0), 4) / 4.0,
        'emopos': min(sum(1 for x in vals if x[2] and x[1] > 0), 3) / 3.0,
        'emoneg': min(sum(1 for x in vals if x[2] and x[1] < 0), 3) / 3.0,
        'exclaim': min(exclaim, 3) / 3.0, 'question': min(question, 3) / 3.0,
        'caps': 1.0 if any(t.caps for t in toks) and mixed_case else 0.0,
        'negation': 1.0 if any(t.kind == WORD and (t.nt or word_in(L.neg, t)) for t in toks) else 0.0,
    }

DENSE = ['compound', 'pos', 'neg', 'npos', 'nneg', 'emopos', 'emoneg', 'exclaim', 'question', 'caps', 'negation']

# ---- hashed features (mirror of src/sentiment/hash.rs and features.rs) ----
M64 = (1 << 64) - 1
BITS = 20          # hashed feature space: 2^20 buckets

def fnv64(text):
    """64-bit FNV-1a of the UTF-8 bytes of `text`: the lexicon key of a token, the seed of its features."""
    h = 0xCBF29CE484222325
    for b in text.encode('utf-8'):
        h = ((h ^ b) * 0x100000001B3) & M64
    return h

# One random odd constant per kind of feature (hash.rs's `Tag`).
TAGS = {'word': 0x5851F42D4C957F2D, 'negated': 0x14057B7EF767814F, 'pair': 0x2545F4914F6CDD1D,
        'prefix': 0x9E6C63D0676A9A99, 'suffix': 0xD6E8FEB86659FD93, 'emoji': 0xA0761D6478BD642F,
        'punct': 0xE7037ED1A0B428DB, 'url': 0x8EBC6AF09C88C6E3, 'user': 0x589965CC75374CC3}

def bucket(tag, value):
    """The top BITS bits of (value xor tag) times the golden-ratio constant."""
    return (((value ^ TAGS[tag]) * 0x9E3779B97F4A7C15) & M64) >> (64 - BITS)

def pair(first, second):
    return ((first * 0xBF58476D1CE4E5B9) & M64) ^ second

def feature_buckets(L, toks):
    """The buckets of a text's features (with repeats): each word, the word under negation (until
    a contrast word or a clause mark), the pair with the word before, the first 4 and 5 and last 3
    chars of longer words; emoji and emoticons, runs of marks, links, handles."""
    out = []
    prev = None; in_neg = False
    for t in toks:
        if t.kind == WORD:
            h = fnv64(t.text)
            out.append(bucket('word', h))
            if in_neg: out.append(bucket('negated', h))
            if prev is not None: out.append(bucket('pair', pair(prev, h)))
            prev = h
            # Beginnings and ends of longer words: a cheap stand-in for stems and inflections.
            if len(t.text) > 4:
                out.append(bucket('prefix', fnv64(t.text[:4])))
                if len(t.text) > 5: out.append(bucket('prefix', fnv64(t.text[:5])))
                out.append(bucket('suffix', fnv64(t.text[-3:])))
            if t.nt or word_in(L.neg, t): in_neg = True
            elif word_in(L.contrast, t): in_neg = False
            continue
        prev = None
        if t.kind in (EMOJI, EMOTICON): out.append(bucket('emoji', fnv64(t.text)))
        elif t.kind == PUNCT:
            out.append(bucket('punct', fnv64(t.text)))
            if any(c in CLAUSE_MARKS for c in t.text): in_neg = False
        elif t.kind == URL: out.append(bucket('url', 0))
        elif t.kind == USER: out.append(bucket('user', 0))
    return out


# ---- training ----
C = {'en': 10.0, 'fr': 10.0}  # inverse L2 strength per language, chosen by 5-fold CV on train
NB_ALPHA = 1.0     # smoothing of the naive-Bayes ratios (CV: 0.5 same, 2 worse)
PRUNE = 0.5        # buckets whose three weights are all smaller are not shipped (CV: -0.002, a third of the buckets)
LABELS = ['negative', 'neutral', 'positive']
_U = re.compile(r'\\u([0-9a-fA-F]{4})')

def clean(line):
    """The tweet files carry `\\uXXXX` escapes (the Rust test decodes them the same way)."""
    return _U.sub(lambda m: chr(int(m.group(1), 16)), line.rstrip('\n')).strip()

def load_split(root, lang, split):
    d = os.path.join(root, 'xlmt-english' if lang == 'en' else 'xlmt-french')
    texts = [clean(l) for l in open(os.path.join(d, f'{split}_text.txt'), encoding='utf-8')]
    labels = [int(l) for l in open(os.path.join(d, f'{split}_labels.txt'))]
    assert len(texts) == len(labels)
    return texts, labels

def featurize(L, text):
    """(sorted buckets, repeats included, and dense values) of one text, as the Rust side computes them."""
    toks = L.tokens(text)
    buckets = sorted(feature_buckets(L, toks))
    d = lexicon_scores(L, toks)
    return buckets, [d[k] for k in DENSE]

def matrix(L, texts):
    import numpy as np, scipy.sparse as sp
    rows, cols, vals, dense = [], [], [], []
    for r, t in enumerate(texts):
        b, d = featurize(L, t)
        norm = 1.0 / math.sqrt(len(b)) if b else 0.0  # each occurrence 1/sqrt(n); repeats add up
        rows += [r] * len(b); cols += b; vals += [norm] * len(b); dense.append(d)
    H = sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << BITS))
    return sp.hstack([H, sp.csr_matrix(np.array(dense))]).tocsr()

class Fitted:
    """Three one-vs-rest logistic regressions, their weights in the units of the unscaled features."""
    def __init__(self, used, coef, intercept):
        self.used, self.coef, self.intercept = used, coef, intercept

    def logits(self, M):
        return M[:, self.used] @ self.coef.T + self.intercept

    def predict(self, M):
        return self.logits(M).argmax(1)

    def score(self, M):
        """P(positive) - P(negative), the probabilities being the softmax of the logits (as in Rust)."""
        import numpy as np
        z = self.logits(M); z = np.exp(z - z.max(1, keepdims=True)); p = z / z.sum(1, keepdims=True)
        return p[:, 2] - p[:, 0]

def fit(M, y, lang):
    """One binary logistic regression per class over the hashed columns scaled by their naive-Bayes
    log-count ratio for that class (NB-LR: a word's evidence for the class, smoothed by NB_ALPHA,
    sets its starting scale) and the dense columns as they are. The scales are folded into the
    weights, so the Rust side applies plain weights. Hashed columns whose weights all stay under
    PRUNE are dropped."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    y = np.asarray(y)
    used = np.unique(M.indices); X = M[:, used].tocsc()
    hashed = used < (1 << BITS)
    present = (X[:, np.where(hashed)[0]] > 0).astype(np.float64)
    coef = np.zeros((3, len(used))); intercept = np.zeros(3)
    for c in range(3):
        p = np.asarray(present[y == c].sum(0)).ravel() + NB_ALPHA
        q = np.asarray(present[y != c].sum(0)).ravel() + NB_ALPHA
        scale = np.ones(len(used)); scale[hashed] = np.log((p / p.sum()) / (q / q.sum()))
        model = LogisticRegression(C=C[lang], max_iter=5000).fit(X.multiply(scale).tocsr(), (y == c).astype(int))
        coef[c] = model.coef_[0] * scale; intercept[c] = model.intercept_[0]
    coef[:, (np.abs(coef).max(0) < PRUNE) & hashed] = 0.0
    return Fitted(used, coef, intercept)

def cross_validate(L, texts, y, lang, seeds=(0, 1, 2)):
    """Macro-F1 of 5-fold cross-validation on train, averaged over 3 shuffles."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold
    from sklearn.metrics import f1_score
    M = matrix(L, texts); y = np.array(y); scores = []
    for seed in seeds:
        pred = np.zeros_like(y)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(M, y):
            pred[te] = fit(M[tr], y[tr], lang).predict(M[te])
        scores.append(f1_score(y, pred, average='macro'))
    return float(np.mean(scores))

def snippets(root):
    """VADER's snippets with their human ratings (latin-1: id, rating, text)."""
    d = os.path.join(root, 'vader-snippets'); out = []
    for name in sorted(os.listdir(d)):
        for line in open(os.path.join(d, name), encoding='latin-1'):
            parts = line.rstrip('\n').split('\t', 2)
            if len(parts) == 3:
                try: out.append((parts[2], float(parts[1])))
                except ValueError: pass
    return out

def export(lang, fitted, path, n_train):
    dense_base = 1 << BITS
    with open(path, 'w', encoding='utf-8') as out:
        out.write(f'# Relais sentiment weights, {lang}: one-vs-rest logistic regressions on naive-Bayes-scaled features\n')
        out.write(f'# (scikit-learn, C={C[lang]}, alpha={NB_ALPHA}; scales folded into the weights) on {n_train} tweets of the\n')
        out.write('# XLM-T sentiment train split (research use only: see NOTICE.md). Made by tools/train_sentiment.py.\n')
        out.write('# Columns: negative, neutral, positive; probabilities are the softmax of the three logits.\n')
        out.write('intercept\t' + '\t'.join(f'{w:.6f}' for w in fitted.intercept) + '\n')
        for j, col in enumerate(fitted.used):
            if col >= dense_base:
                out.write(f'dense:{DENSE[col - dense_base]}\t' + '\t'.join(f'{w:.6f}' for w in fitted.coef[:, j]) + '\n')
        for j, col in enumerate(fitted.used):
            w = fitted.coef[:, j]
            if col < dense_base and max(abs(w)) > 0:
                out.write(f'{col}\t' + '\t'.join(f'{x:.4f}' for x in w) + '\n')

FIXTURE_TEXTS = [
    ('en', "I don't LOVE it :) sooo baaad!!! #fail @bob http://x.y \U0001F602\U0001F602 great:D"),
    ('en', "This is not good, but the service was really EXCELLENT!!"),
    ('en', "Can't wait… <3 so happy today \U0001F44D\U0001F3FD #blessed"),
    ('en', "meh. the update broke everything?? worst app ever :-("),
    ('en', "Nobody said it was easy \u2014 kinda sad tbh :/ www.example.com"),
    ('fr', "L\u2019écologie c'est TROOOP bien :-( mais bof... \U0001F44D\U0001F3FD pas génial"),
    ('fr', "Je ne suis pas content du tout, service nul !!! @SNCF #grève"),
    ('fr', "Merci beaucoup pour ce SUPER accueil \u2764\ufe0f à bientôt"),
    ('fr', "Ce n'est vraiment pas terrible... déçu \U0001F61E http://t.co/x"),
    ('fr', "Bravo à l'équipe, quelle réussite ! #fier"),
]

def write_fixture(path, langs):
    with open(path, 'w', encoding='utf-8') as out:
        out.write('# Features of sample texts as tools/train_sentiment.py computes them: lang, text, sorted\n')
        out.write('# buckets with repeats (see feature_buckets), dense lexicon features in DENSE order.\n')
        for lang, text in FIXTURE_TEXTS:
            b, d = featurize(langs[lang], text)
            out.write(f'{lang}\t{text}\t' + ','.join(map(str, b)) + '\t' + ','.join(f'{x:.9f}' for x in d) + '\n')

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', '..', 'shared', 'data', 'sentiment'))
    ap.add_argument('--cv', action='store_true', help='print cross-validated macro-F1 on train (what settings are chosen by)')
    ap.add_argument('--report', action='store_true',
                    help='print validation macro-F1 and Pearson r on the snippets (to report; never to choose settings)')
    args = ap.parse_args()
    langs = {lang: Lang(lang) for lang in ('en', 'fr')}
    write_fixture(os.path.join(DATA, 'fixture_features.tsv'), langs)
    for lang, L in langs.items():
        texts, y = load_split(args.data, lang, 'train')
        if args.cv:
            print(f'{lang}: 5-fold cross-validated macro-F1 on train (3 shuffles): {cross_validate(L, texts, y, lang):.4f}', flush=True)
        fitted = fit(matrix(L, texts), y, lang)
        export(lang, fitted, os.path.join(DATA, f'model_{lang}.tsv'), len(texts))
        print(f'{lang}: wrote model_{lang}.tsv ({int((abs(fitted.coef) > 0).any(0).sum()) - len(DENSE)} buckets)', flush=True)
        if args.report:
            import numpy as np
            from sklearn.metrics import f1_score
            vt, vy = load_split(args.data, lang, 'val')
            print(f'{lang}: validation macro-F1 {f1_score(vy, fitted.predict(matrix(L, vt)), average="macro"):.4f}', flush=True)
            if lang == 'en':
                pairs = snippets(args.data)
                r = np.corrcoef(fitted.score(matrix(L, [t for t, _ in pairs])), [v for _, v in pairs])[0, 1]
                print(f'en: Pearson r with the snippets\' human ratings {r:.4f}', flush=True)

if __name__ == '__main__':
    main()
