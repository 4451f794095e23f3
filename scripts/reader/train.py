#!/usr/bin/env python3
"""Fine-tunes the answer reader: a cross-encoder that reads a question and a
candidate sentence together and says whether the sentence answers it.

It starts from the vendored all-MiniLM-L6-v2 weights (models/all-minilm-l6-v2)
and trains on SQuAD tuning data only:
  - SQuAD v1.1 dev articles 0-23: the sentence holding the gold answer is a
    positive, the other sentences of its paragraph and the sentences of the
    article's other paragraphs that share most words with the question are
    negatives;
  - SQuAD 2.0 dev, the 8 labelled articles of 0-23 (dev-v2.0-tune.json): the
    same for the answerable questions; for the human-written unanswerable
    ones every candidate sentence is a negative.
With --candidates (the shipped weights), the candidates are the served
path's own: `verbatim bench squad2 --export-candidates FILE` writes the
ranker's best sentences for every tuning question, and each question's
best --hard of them are its pairs (hard negatives, as `ask` meets them),
plus its gold paragraph's answer sentence and --own-negatives of that
paragraph's other sentences. --evaluate DIR then reports the served path
on the validation articles for the reader in DIR, per weight of the
ranker's score mixed into the reader's logit.

Two SQuAD 2.0 articles (European_Union_law, Packet_switching: v1.1 articles
15 and 19, the last two of the file) are kept out of training whole, v1.1
questions included: they choose the operating point and give the
out-of-fold figures. Articles 24-47 are never read.

The model is the serving model exactly: `[CLS] question [SEP] sentence [SEP]`
(with --context-words N, then the first N words of the sentence before,
after one more [SEP]: `pair_text`) tokenized by the vendored tokenizer as
one text (segment ids all 0, as src/embed/bert.rs computes), BERT, mean
pooling over the mask, L2 normalisation, then one linear unit:
logit = w . v + b. With --span-weight, training also asks the last layer's
word pieces where the gold string starts and ends in each positive pair (an
auxiliary loss whose head is never saved), so the encoder learns where an
answer is as well as whether there is one. The output directory
gets model.safetensors (the encoder, f16, the base model's tensor names),
head.json (w, b and the threshold logit chosen on the validation articles),
tokenizer.json and config.json (the base model's, unchanged), training.json
(data counts, validation figures) and probe.json (reference logits for the
Rust parity test).

Deterministic for a given seed on one machine (torch's CPU kernels, one
thread count): python3 scripts/reader/train.py --help.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

VALIDATION_V11 = {15, 19}
# Words of the sentence before a candidate that the reader reads after it
# (--context-words' default; 0: the candidate alone). The weights record
# theirs in head.json's "context_words" and the served path reads that, so
# the two cannot drift apart.
CONTEXT_WORDS = 0
HEAD_NORM = 4.0
TUNE_V11 = range(24)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
WORD = re.compile(r"[a-z0-9]+")
STOP = set(
    "a an the of in on at to for by with from and or but is are was were be been being "
    "what which who whom whose when where why how that this these those it its as did do "
    "does has have had not no than then there their they he she his her i you we our".split()
)


def before(paragraph, spans, i):
    """The sentence before sentence `i` of a paragraph ("" for the first)."""
    return paragraph[spans[i - 1][0] : spans[i - 1][1]] if i > 0 else ""


def sentences(text):
    """(start, end) char spans of the paragraph's sentences."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        end = m.start()
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def words(text):
    return {w for w in WORD.findall(text.lower()) if w not in STOP}


def overlap(q, s):
    return len(q & s) / (1 + math.log1p(len(s)))


class Bert(torch.nn.Module):
    """BERT as src/embed/bert.rs runs it (segment 0 everywhere)."""

    def __init__(self, cfg, tensors):
        super().__init__()
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg["layer_norm_eps"]
        self.p = torch.nn.ParameterDict(
            {k.replace(".", "__"): torch.nn.Parameter(v.float()) for k, v in tensors.items()}
        )
        self.layers = cfg["num_hidden_layers"]
        self.dropout = cfg.get("hidden_dropout_prob", 0.1)

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def ln(self, x, name):
        return F.layer_norm(x, x.shape[-1:], self.w(name + ".weight"), self.w(name + ".bias"), self.eps)

    def lin(self, x, name):
        return F.linear(x, self.w(name + ".weight"), self.w(name + ".bias"))

    def forward(self, ids, mask):
        return self.pool(self.states(ids, mask), mask)

    @staticmethod
    def pool(x, mask):
        m = mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)

    def states(self, ids, mask):
        """The last layer's word-piece states."""
        b, n = ids.shape
        x = (
            F.embedding(ids, self.w("embeddings.word_embeddings.weight"))
            + self.w("embeddings.position_embeddings.weight")[:n]
            + self.w("embeddings.token_type_embeddings.weight")[0]
        )
        x = F.dropout(self.ln(x, "embeddings.LayerNorm"), self.dropout, self.training)
        bias = (1.0 - mask[:, None, None, :].float()) * -1e4
        hd = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            split = lambda t: t.view(b, n, self.heads, hd).transpose(1, 2)
            q = split(self.lin(x, f"{p}.attention.self.query"))
            k = split(self.lin(x, f"{p}.attention.self.key"))
            v = split(self.lin(x, f"{p}.attention.self.value"))
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1)
            att = F.dropout(att, self.dropout, self.training)
            ctx = (att @ v).transpose(1, 2).reshape(b, n, -1)
            h = F.dropout(self.lin(ctx, f"{p}.attention.output.dense"), self.dropout, self.training)
            x = self.ln(x + h, f"{p}.attention.output.LayerNorm")
            h = F.gelu(self.lin(x, f"{p}.intermediate.dense"))
            h = F.dropout(self.lin(h, f"{p}.output.dense"), self.dropout, self.training)
            x = self.ln(x + h, f"{p}.output.LayerNorm")
        return x


class Reader(torch.nn.Module):
    def __init__(self, bert, span=False):
        super().__init__()
        self.bert = bert
        dim = bert.w("embeddings.word_embeddings.weight").shape[1]
        self.head = torch.nn.Linear(dim, 1)
        # The pooled vector has unit length, so the logit's range is the
        # weight's norm: start it at HEAD_NORM (not PyTorch's ~0.6, which
        # squeezes every logit into a band too narrow to tell "answers"
        # from "close") and let it learn at its own rate (--head-lr).
        with torch.no_grad():
            self.head.weight.normal_(0.0, HEAD_NORM / math.sqrt(dim))
            self.head.bias.zero_()
        # Training only (--span-weight): start and end logits of the answer
        # over the word pieces. Never saved; the served reader is the
        # pooled head alone. Made only when asked for, so that without it
        # the random draws, and so the weights, are as before it existed.
        self.span = torch.nn.Linear(dim, 2) if span else None

    def forward(self, ids, mask):
        return self.head(self.bert(ids, mask)).squeeze(-1)

    def with_spans(self, ids, mask):
        """The logit, and the start and end logits per word piece (padding
        masked out)."""
        x = self.bert.states(ids, mask)
        logit = self.head(self.bert.pool(x, mask)).squeeze(-1)
        se = self.span(x).masked_fill(mask.unsqueeze(-1) == 0, -1e4)
        return logit, se[..., 0], se[..., 1]


def load_articles(squad, squad2):
    """Per v1.1 article index: (paragraph texts, [(question, paragraph, answer starts or None)])."""
    v11 = json.load(open(squad))["data"]
    out = {}
    for a in TUNE_V11:
        paras = [p["context"] for p in v11[a]["paragraphs"]]
        qs = [
            (q["question"], pi, [x["answer_start"] for x in q["answers"]], [x["text"] for x in q["answers"]])
            for pi, p in enumerate(v11[a]["paragraphs"])
            for q in p["qas"]
        ]
        out[a] = (paras, qs)
    for art in json.load(open(squad2))["data"]:
        a = art["v11_article"]
        paras, qs = out[a]
        index = {c: i for i, c in enumerate(paras)}
        for p in art["paragraphs"]:
            pi = index[p["context"]]
            for q in p["qas"]:
                if q.get("is_impossible"):
                    qs.append((q["question"], pi, None, None))
                else:
                    qs.append(
                        (q["question"], pi, [x["answer_start"] for x in q["answers"]], [x["text"] for x in q["answers"]])
                    )
    return out


def candidates(paras, spans, bags, question, pi, other):
    """Candidate sentences for a question: every sentence of its paragraph,
    then the `other` sentences of the article's other paragraphs sharing most
    words with it (what retrieval brings)."""
    qw = words(question)
    own = [(pi, si) for si in range(len(spans[pi]))]
    rest = [
        (overlap(qw, bags[j][si]), j, si)
        for j in range(len(paras))
        if j != pi
        for si in range(len(spans[j]))
    ]
    rest.sort(key=lambda t: (-t[0], t[1], t[2]))
    return own + [(j, si) for _, j, si in rest[:other]]


def build(articles, which, rng, own_negatives, other):
    """(question, sentence, label, article, question index, answerable,
    sentence before, gold strings) rows."""
    rows = []
    for a in which:
        paras, qs = articles[a]
        spans = [sentences(p) for p in paras]
        bags = [[words(p[s:e]) for s, e in sp] for p, sp in zip(paras, spans)]
        for qi, (question, pi, starts, texts) in enumerate(qs):
            cands = candidates(paras, spans, bags, question, pi, other)
            pos = set()
            if starts is not None:
                for (s, e), si in zip(spans[pi], range(len(spans[pi]))):
                    if any(s <= st < e for st in starts):
                        pos.add((pi, si))
            labelled = [(c, c in pos) for c in cands]
            if own_negatives is not None:
                negs_own = [c for c, l in labelled if not l and c[0] == pi]
                negs_other = [c for c, l in labelled if not l and c[0] != pi]
                rng.shuffle(negs_own)
                keep = set(negs_own[:own_negatives]) | set(negs_other) | pos
                labelled = [(c, l) for c, l in labelled if c in keep]
            for (j, si), l in labelled:
                s, e = spans[j][si]
                rows.append((question, paras[j][s:e], float(l), a, qi, starts is not None, before(paras[j], spans[j], si), tuple(texts or ())))
    return rows


def load_served(path):
    """Per v1.1 article: the exported served questions (`verbatim bench squad2
    --export-candidates`), deduplicated by question text (SQuAD 2.0's
    answerable questions are SQuAD v1.1's)."""
    out, seen = {}, set()
    with open(path) as f:
        for line in f:
            q = json.loads(line)
            if q["article"] not in TUNE_V11:
                raise SystemExit(f"article {q['article']} is held out: not training data")
            if (q["article"], q["question"]) in seen:
                continue
            seen.add((q["article"], q["question"]))
            out.setdefault(q["article"], []).append(q)
    return out


def build_served(articles, served, which, rng, hard, own_negatives):
    """(question, sentence, label, article, question index, answerable) rows
    from the served path: the ranker's best `hard` candidates of every
    question (labelled by whether they hold a gold string), plus the gold
    paragraph's answer sentences as positives and `own_negatives` of its
    other sentences, so every answerable question has its positive."""
    rows = []
    for a in which:
        paras, qs = articles[a]
        spans = [sentences(p) for p in paras]
        # Per answerable question: its gold paragraph's answer sentences,
        # and all of that paragraph's sentences.
        # The sentence before each (train.py's segmentation, for the
        # sentences the export does not carry).
        answers, paragraph, prev = {}, {}, {}
        for question, pi, starts, texts in qs:
            if starts is None:
                continue
            for i, (s, e) in enumerate(spans[pi]):
                prev.setdefault(paras[pi][s:e], before(paras[pi], spans[pi], i))
                if any(s <= st < e for st in starts):
                    answers.setdefault(question, set()).add(paras[pi][s:e])
            paragraph.setdefault(question, set()).update(paras[pi][s:e] for s, e in spans[pi])
        for qi, q in enumerate(served.get(a, [])):
            answerable = bool(q["golds"])
            seen = {}
            for c in q["candidates"][:hard]:
                seen.setdefault(c["text"], c["gold"])
                prev.setdefault(c["text"], c.get("prev", ""))
            if answerable:
                for t in answers.get(q["question"], ()):
                    seen[t] = True
                own = sorted(paragraph.get(q["question"], set()) - set(seen))
                rng.shuffle(own)
                for t in own[:own_negatives]:
                    seen[t] = False
            for t, label in seen.items():
                rows.append((q["question"], t, float(label), a, qi, answerable, prev.get(t, ""), tuple(q["golds"])))
    return rows


ENTITY = re.compile(r"(?<![\w'])(?:[A-Z][\w'-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]*)*|\d[\d,.]*\d|\d)(?![\w'])")


def entities(text, skip_first=True):
    """(start, end, kind) of the capitalised phrases and numbers of `text`;
    kind is "number" or "name". A capitalised first word is a sentence's
    start, not a name, unless it is followed by another capitalised word."""
    out = []
    for m in ENTITY.finditer(text):
        span = m.group(0)
        end = m.end()
        if span.endswith("'s"):
            span, end = span[:-2], end - 2
        kind = "number" if span[0].isdigit() else "name"
        if kind == "name" and skip_first and m.start() == 0 and " " not in span:
            continue
        if kind == "name" and span.lower() in STOP:
            continue
        out.append((m.start(), end, kind))
    return out


def swapped(question, gold_sentences, paragraph, pool, rng):
    """An unanswerable twin of an answerable question, in the way SQuAD 2.0's
    writers made many of theirs: one name or number of the question that its
    answer sentence holds is replaced by another of the same kind from the
    same article that the question's paragraph never mentions. None when the
    question has no such name or number."""
    spans = [
        (s, e, k) for s, e, k in entities(question)
        if any(question[s:e] in g for g in gold_sentences)
    ]
    if not spans:
        return None
    s, e, kind = rng.choice(spans)
    options = [x for x in pool[kind] if x not in paragraph and x != question[s:e]]
    if kind == "number":
        # A year for a year, a count for a count: the same number of digits.
        digits = sum(ch.isdigit() for ch in question[s:e])
        options = [x for x in options if sum(ch.isdigit() for ch in x) == digits]
    if not options:
        return None
    return question[:s] + rng.choice(sorted(options)) + question[e:]


def build_swapped(articles, which, rng, share):
    """(question, sentence, label 0, article, question index, answerable
    False) rows for `share` of the answerable questions of `which`: each
    question's entity-swapped twin (`swapped`) against every sentence of its
    gold paragraph, all negatives."""
    rows = []
    for a in which:
        paras, qs = articles[a]
        pool = {"name": set(), "number": set()}
        for p in paras:
            for a0, a1 in sentences(p):
                for s, e, k in entities(p[a0:a1]):
                    pool[k].add(p[a0 + s:a0 + e])
        for qi, (question, pi, starts, texts) in enumerate(qs):
            if starts is None or rng.random() >= share:
                continue
            spans = sentences(paras[pi])
            golds = [paras[pi][s:e] for s, e in spans if any(s <= st < e for st in starts)]
            twin = swapped(question, golds, paras[pi], pool, rng)
            if twin is None:
                continue
            for i, (s, e) in enumerate(spans):
                rows.append((twin, paras[pi][s:e], 0.0, a, -1 - qi, False, before(paras[pi], spans, i), ()))
    return rows


# General English opposites (both ways), for antonym twins (--antonyms): one
# of the commonest ways SQuAD 2.0's writers made a question unanswerable
# (Rajpurkar et al. 2018 count antonyms in 20% of them, entity swaps in 21%).
OPPOSITES = dict(
    pair
    for a, b in [
        ("largest", "smallest"), ("biggest", "smallest"), ("highest", "lowest"), ("most", "least"),
        ("first", "last"), ("earliest", "latest"), ("oldest", "newest"), ("longest", "shortest"),
        ("before", "after"), ("increase", "decrease"), ("increased", "decreased"), ("north", "south"),
        ("east", "west"), ("northern", "southern"), ("eastern", "western"), ("maximum", "minimum"),
        ("larger", "smaller"), ("higher", "lower"), ("older", "younger"), ("best", "worst"),
        ("better", "worse"), ("won", "lost"), ("win", "lose"), ("early", "late"), ("above", "below"),
        ("major", "minor"), ("upper", "lower"), ("opened", "closed"),
        ("public", "private"), ("domestic", "foreign"), ("ancient", "modern"), ("top", "bottom"),
        ("rich", "poor"), ("strongest", "weakest"), ("fastest", "slowest"), ("imported", "exported"),
        ("legal", "illegal"), ("accepted", "rejected"), ("successful", "unsuccessful"), ("common", "rare"),
        ("heaviest", "lightest"), ("inner", "outer"), ("minimum", "maximum"), ("less", "more"),
    ]
    for pair in ((a, b), (b, a))
)


def antonym_twin(question, paragraph, rng):
    """The question with one word replaced by its opposite (OPPOSITES), when
    the paragraph never uses that opposite (else the twin might be
    answerable); None when it has no such word."""
    options = []
    for m in re.finditer(r"[A-Za-z]+", question):
        w = m.group(0).lower()
        other = OPPOSITES.get(w)
        if other and not re.search(rf"\b{other}\b", paragraph, re.I):
            options.append((m.start(), m.end(), other))
    if not options:
        return None
    s, e, other = rng.choice(options)
    if question[s].isupper():
        other = other[0].upper() + other[1:]
    return question[:s] + other + question[e:]


def build_antonyms(articles, which, rng, share):
    """As build_swapped, for antonym twins (`antonym_twin`): `share` of the
    answerable questions of `which`, each twin against every sentence of its
    gold paragraph, all negatives. (Negated twins were tried and dropped:
    "not" goes after the subject in English, which needs a parser to place;
    put after the auxiliary it makes "How many goals did not McManus kick?",
    a cue no reader's question has.)"""
    rows = []
    for a in which:
        paras, qs = articles[a]
        for qi, (question, pi, starts, texts) in enumerate(qs):
            if starts is None or rng.random() >= share:
                continue
            twin = antonym_twin(question, paras[pi], rng)
            if twin is None:
                continue
            spans = sentences(paras[pi])
            for i, (s0, e0) in enumerate(spans):
                rows.append((twin, paras[pi][s0:e0], 0.0, a, -1_000_000 - qi, False, before(paras[pi], spans, i), ()))
    return rows


def served_report(model, tok, served, which, max_len, context_words, depth=8):
    """The served path over `which`, as `ask` runs it: the reader scores the
    ranker's best `depth` candidates; a question is answered when the best
    combined score reaches the threshold, and right when that candidate holds
    a gold string. The combined score is logit + alpha * ranker score; for
    each alpha, the best threshold and the rates there."""
    qs = [q for a in which for q in served.get(a, [])]
    rows = [(q["question"], c["text"], c.get("prev", "")) for q in qs for c in q["candidates"][:depth]]
    z = score(model, encode(tok, rows, max_len, context_words))
    out, k = [], 0
    for q in qs:
        n = len(q["candidates"][:depth])
        out.append((bool(q["golds"]), [(float(z[k + i]), c["score"], c["gold"]) for i, c in enumerate(q["candidates"][:n])]))
        k += n
    return out


def sweep(per_q, alphas=(0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)):
    """For each alpha: (alpha, mean, threshold, right, refused, top1) on the
    served candidates `per_q` from served_report."""
    res = []
    for alpha in alphas:
        qs = []
        for answerable, cs in per_q:
            if not cs:
                qs.append((answerable, -1e9, False))
                continue
            best = max(cs, key=lambda c: c[0] + alpha * c[1])
            qs.append((answerable, best[0] + alpha * best[1], best[2]))
        mean, t, right, refused = operating_point(qs)
        ans = [q for q in qs if q[0]]
        res.append((alpha, mean, t, right, refused, sum(q[2] for q in ans) / max(1, len(ans))))
    return res


def pair_text(question, sentence, prev, context_words):
    """What the reader reads: `question [SEP] sentence`, then, when
    `context_words` > 0 and the sentence has one before it, `[SEP]` and the
    first `context_words` words of that sentence (the subject a pronoun in
    the candidate usually points back to). src/embed/reader.rs builds the
    same text."""
    context = " ".join(prev.split()[:context_words]) if context_words else ""
    return f"{question} [SEP] {sentence} [SEP] {context}" if context else f"{question} [SEP] {sentence}"


def answer_spans(tok, rows, ids, max_len, context_words):
    """Per row: the (first, last) word piece of a gold string inside the
    candidate sentence of its pair text, or (-1, -1) when the row is a
    negative, holds no gold string, or the string was cut by --max-len.
    The auxiliary span loss (--span-weight) reads these."""
    out = []
    texts = [pair_text(r[0], r[1], r[6], context_words) for r in rows]
    enc = tok.encode_batch(texts)
    for r, e, kept in zip(rows, enc, ids):
        span = (-1, -1)
        if r[2] > 0.5:
            base = len(r[0]) + len(" [SEP] ")
            for g in r[7]:
                k = r[1].find(g) if g else -1
                if k < 0:
                    continue
                cs, ce = base + k, base + k + len(g)
                toks = [i for i, (a, b) in enumerate(e.offsets) if b > a and a < ce and b > cs and i < len(kept) - 1]
                if toks:
                    span = (toks[0], toks[-1])
                    break
        out.append(span)
    return out


def triples(rows):
    """(question, sentence, sentence before) of training rows."""
    return [(r[0], r[1], r[6]) for r in rows]


def encode(tok, pairs, max_len, context_words):
    """Word-piece ids of each (question, sentence, sentence before)'s pair text."""
    enc = tok.encode_batch([pair_text(q, s, p, context_words) for q, s, p in pairs])
    return [e.ids[:max_len] if len(e.ids) <= max_len else e.ids[: max_len - 1] + [e.ids[-1]] for e in enc]


def batches(ids, order, tokens_per_batch):
    """Length-bucketed batches under a padded-token budget, in `order`."""
    out, cur, width = [], [], 0
    for i in order:
        w = max(width, len(ids[i]))
        if cur and w * (len(cur) + 1) > tokens_per_batch:
            out.append(cur)
            cur, w = [], len(ids[i])
        cur.append(i)
        width = w
    if cur:
        out.append(cur)
    return out


def question_batches(rows, ids, tokens_per_batch, epochs, rng):
    """Listwise batches: lists of questions (each a list of row indices),
    shuffled per epoch and packed while their rows' tokens fit the budget."""
    groups = {}
    for i, r in enumerate(rows):
        groups.setdefault((r[3], r[4]), []).append(i)
    groups = list(groups.values())
    plan = []
    for _ in range(epochs):
        order = list(range(len(groups)))
        rng.shuffle(order)
        cur, used = [], 0
        for g in order:
            n = sum(len(ids[i]) for i in groups[g])
            if cur and used + n > tokens_per_batch:
                plan.append(cur)
                cur, used = [], 0
            cur.append(groups[g])
            used += n
        if cur:
            plan.append(cur)
    return plan


NULL_LOGIT = 0.0


def listwise_loss(model, ids, labels, questions, tokens_per_batch):
    """Mean over `questions` of -log P(target), P a softmax over the
    question's candidate logits and a null logit NULL_LOGIT; the target is
    the question's positive rows together, or the null when it has none.
    The rows are scored in length-sorted passes so padding stays small."""
    flat = [i for q in questions for i in q]
    order = sorted(range(len(flat)), key=lambda k: len(ids[flat[k]]))
    parts, where = [], []
    for b in batches([ids[i] for i in flat], order, tokens_per_batch):
        t, m = tensors(ids, [flat[k] for k in b])
        parts.append(model(t, m))
        where.extend(b)
    z = torch.cat(parts)[torch.argsort(torch.tensor(where))]
    null = torch.tensor([NULL_LOGIT])
    loss, k = 0.0, 0
    for q in questions:
        zq = z[k : k + len(q)]
        pos = labels[q] > 0.5
        k += len(q)
        denominator = torch.logsumexp(torch.cat([zq, null]), 0)
        numerator = torch.logsumexp(zq[pos], 0) if pos.any() else null[0]
        loss = loss + denominator - numerator
    return loss / len(questions)


def tensors(ids, idx):
    n = max(len(ids[i]) for i in idx)
    t = torch.zeros(len(idx), n, dtype=torch.long)
    m = torch.zeros(len(idx), n, dtype=torch.long)
    for r, i in enumerate(idx):
        t[r, : len(ids[i])] = torch.tensor(ids[i])
        m[r, : len(ids[i])] = 1
    return t, m


@torch.no_grad()
def score(model, ids, tokens_per_batch=4096):
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros(len(ids), dtype=np.float64)
    for b in batches(ids, order, tokens_per_batch):
        t, m = tensors(ids, b)
        out[b] = model(t, m).double().numpy()
    return out


def per_question(rows, logits):
    """For each question: (answerable, best logit, whether the best sentence is a positive)."""
    best = {}
    for (q, s, l, a, qi, answerable, *_), z in zip(rows, logits):
        k = (a, qi)
        if k not in best or z > best[k][1]:
            best[k] = (answerable, z, l > 0.5)
    return list(best.values())


def operating_point(qs):
    """The threshold on the best logit maximising the mean of answerable
    answered-and-right and unanswerable refused, and the two rates there."""
    ans = [q for q in qs if q[0]]
    una = [q for q in qs if not q[0]]
    best = None
    for t in sorted({round(z, 2) for _, z, _ in qs}):
        right = sum(1 for _, z, ok in ans if z >= t and ok) / max(1, len(ans))
        refused = sum(1 for _, z, _ in una if z < t) / max(1, len(una))
        if best is None or (right + refused) / 2 > best[0]:
            best = ((right + refused) / 2, t, right, refused)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--squad", required=True, help="SQuAD v1.1 dev (../shared/bench/squad/dev-v1.1.json)")
    ap.add_argument("--squad2", required=True, help="../shared/bench/squad2/dev-v2.0-tune.json")
    ap.add_argument("--base", default="models/all-minilm-l6-v2")
    ap.add_argument("--out", default="models/reader-minilm-l6")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--balance", choices=["pos-weight", "none"], default="pos-weight",
                    help="weight positives by the negatives-to-positives ratio, or not")
    ap.add_argument("--unanswerable-weight", type=float, default=1.0,
                    help="loss weight of the rows of unanswerable questions")
    ap.add_argument("--head-lr", type=float, default=2e-3, help="learning rate of the linear head")
    ap.add_argument("--tokens-per-batch", type=int, default=2048)
    ap.add_argument("--own-negatives", type=int, default=4, help="negatives kept from the gold paragraph")
    ap.add_argument("--other", type=int, default=2, help="sentences from the article's other paragraphs")
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--context-words", type=int, default=CONTEXT_WORDS,
                    help="words of the sentence before a candidate read after it (0: the candidate alone)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--limit", type=int, default=0, help="train rows at most (0: all), for a smoke run")
    ap.add_argument("--candidates", metavar="FILE",
                    help="the served path's candidates (verbatim bench squad2 --export-candidates FILE): "
                    "train on its ranked sentences (hard negatives) and report the served path on the "
                    "validation articles")
    ap.add_argument("--hard", type=int, default=8, help="served candidates read per question (with --candidates)")
    ap.add_argument("--swapped", type=float, default=0.0,
                    help="share of answerable training questions given an entity-swapped unanswerable twin")
    ap.add_argument("--antonyms", type=float, default=0.0,
                    help="share of answerable training questions given an antonym twin (a word replaced by its "
                    "opposite, OPPOSITES), paired with its gold paragraph as negatives")
    ap.add_argument("--loss", choices=["pointwise", "listwise"], default="pointwise",
                    help="pointwise: binary cross-entropy per pair; listwise: per question, a softmax over "
                    "its candidates and a null candidate of logit 0, the target being the gold sentences "
                    "(answerable) or the null (unanswerable), which trains the served decision (best "
                    "logit against a threshold) directly")
    ap.add_argument("--span-weight", type=float, default=0.0,
                    help="weight of an auxiliary loss (training only): on positive pairs, the start and end word "
                    "pieces of the gold string in the sentence, so the encoder learns where an answer is, not "
                    "only whether (0: off)")
    ap.add_argument("--evaluate", metavar="DIR",
                    help="train nothing: report the served path (--candidates) for the reader in DIR")
    ap.add_argument("--dump", metavar="FILE",
                    help="with --evaluate: write each validation question's scored candidates as JSON Lines")
    args = ap.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    articles = load_articles(args.squad, args.squad2)
    served = load_served(args.candidates) if args.candidates else None
    train_articles = [a for a in TUNE_V11 if a not in VALIDATION_V11]
    if args.evaluate:
        if served is None:
            raise SystemExit("--evaluate needs --candidates")
        cfg = json.load(open(os.path.join(args.evaluate, "config.json")))
        model = Reader(Bert(cfg, {k: v.float() for k, v in load_file(os.path.join(args.evaluate, "model.safetensors")).items()}))
        head = json.load(open(os.path.join(args.evaluate, "head.json")))
        context_words = head.get("context_words", 0)
        model.head.weight.data = torch.tensor([head["weight"]])
        model.head.bias.data = torch.tensor([head["bias"]])
        tok = Tokenizer.from_file(os.path.join(args.evaluate, "tokenizer.json"))
        tok.no_padding()
        tok.no_truncation()
        per_q = served_report(model, tok, served, sorted(VALIDATION_V11), args.max_len, context_words, args.hard)
        if args.dump:
            # Per validation question: answerable, then per candidate (the
            # reader's logit, the ranker's score, whether it holds a gold
            # string), in served order; with the answerability model's
            # probability of each, for studying how the judges combine.
            qs = [q for a in sorted(VALIDATION_V11) for q in served.get(a, [])]
            with open(args.dump, "w") as f:
                for q, (answerable, cs) in zip(qs, per_q):
                    f.write(json.dumps({
                        "article": q["article"], "question": q["question"], "answerable": answerable,
                        "candidates": [
                            {"logit": z, "score": sc, "gold": g, "model_p": c.get("model_p")}
                            for (z, sc, g), c in zip(cs, q["candidates"])
                        ],
                    }) + "\n")
        ans = [cs for answerable, cs in per_q if answerable]
        ranker = sum(1 for cs in ans if cs and cs[0][2]) / max(1, len(ans))
        print(f"the ranker alone (served order): top-1 right {ranker:.4f} over {len(ans)} answerable questions")
        for alpha, mean, t, right, refused, top1 in sweep(per_q):
            print(f"alpha {alpha:.2f}: mean {mean:.4f} at logit {t:.2f} (right {right:.4f}, refused {refused:.4f}); top-1 right {top1:.4f}")
        return
    if served is not None:
        train_rows = build_served(articles, served, train_articles, rng, args.hard, args.own_negatives)
    else:
        train_rows = build(articles, train_articles, rng, args.own_negatives, args.other)
    swapped_rows = build_swapped(articles, train_articles, rng, args.swapped) if args.swapped else []
    train_rows += swapped_rows
    # Drawn after the swapped twins, and only when asked for, so that
    # without them the data and its order are as before.
    antonym_rows = build_antonyms(articles, train_articles, rng, args.antonyms) if args.antonyms else []
    train_rows += antonym_rows
    val_rows = build(articles, sorted(VALIDATION_V11), rng, None, args.other)
    rng.shuffle(train_rows)
    if args.limit:
        train_rows = train_rows[: args.limit]
    tok = Tokenizer.from_file(os.path.join(args.base, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    train_ids = encode(tok, triples(train_rows), args.max_len, args.context_words)
    val_ids = encode(tok, triples(val_rows), args.max_len, args.context_words)
    labels = torch.tensor([r[2] for r in train_rows])
    spans = torch.tensor(answer_spans(tok, train_rows, train_ids, args.max_len, args.context_words)) if args.span_weight else None
    # Rows of a human-written unanswerable question: the hard negatives the
    # reader exists for, weighted by --unanswerable-weight.
    row_weight = torch.tensor([1.0 if r[5] else args.unanswerable_weight for r in train_rows])
    if spans is not None:
        print(f"answer spans located in {int((spans[:, 0] >= 0).sum())} of {int(labels.sum())} positive pairs", flush=True)
    print(
        f"train: {len(train_rows)} pairs ({int(labels.sum())} positive); "
        f"validation: {len(val_rows)} pairs over {len({(r[3], r[4]) for r in val_rows})} questions",
        flush=True,
    )

    cfg = json.load(open(os.path.join(args.base, "config.json")))
    base = load_file(os.path.join(args.base, "model.safetensors"))
    model = Reader(Bert(cfg, base), span=args.span_weight > 0)
    # The word-piece table stays as the base model has it: a third of the
    # parameters, a dense gradient every step on two cores, and little to
    # gain from 50k pairs.
    model.bert.w("embeddings.word_embeddings.weight").requires_grad_(False)
    pos_weight = (
        ((len(labels) - labels.sum()) / labels.sum()).detach() if args.balance == "pos-weight" else None
    )
    enc = [(n, p) for n, p in model.named_parameters() if p.requires_grad and not n.startswith(("head.", "span."))]
    decay = [p for n, p in enc if p.dim() >= 2]
    no_decay = [p for n, p in enc if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.01},
            {"params": no_decay, "weight_decay": 0.0},
            {"params": list(model.head.parameters()) + (list(model.span.parameters()) if model.span else []),
             "weight_decay": 0.0, "lr": args.head_lr},
        ],
        lr=args.lr,
    )

    epochs_whole = math.ceil(args.epochs)
    if args.loss == "listwise":
        # Whole questions per batch, under the same token budget.
        plan = question_batches(train_rows, train_ids, args.tokens_per_batch, epochs_whole, rng)
    else:
        # Length-bucketed batches: sort by length within shuffled chunks.
        plan = []
        for _ in range(epochs_whole):
            order = list(range(len(train_ids)))
            rng.shuffle(order)
            chunk = 2048
            order = [i for c in range(0, len(order), chunk) for i in sorted(order[c : c + chunk], key=lambda i: len(train_ids[i]))]
            bs = batches(train_ids, order, args.tokens_per_batch)
            rng.shuffle(bs)
            plan.extend(bs)
    plan = plan[: int(len(plan) * args.epochs / epochs_whole)]
    warmup = max(1, len(plan) // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (len(plan) - s) / max(1, len(plan) - warmup))
    )
    t0 = time.time()
    model.train()
    running = 0.0
    for step, b in enumerate(plan):
        if args.loss == "listwise":
            loss = listwise_loss(model, train_ids, labels, b, args.tokens_per_batch)
        elif args.span_weight:
            t, m = tensors(train_ids, b)
            logit, start, end = model.with_spans(t, m)
            loss = F.binary_cross_entropy_with_logits(logit, labels[b], weight=row_weight[b], pos_weight=pos_weight)
            sp = spans[b]
            has = sp[:, 0] >= 0
            if has.any():
                loss = loss + args.span_weight * 0.5 * (
                    F.cross_entropy(start[has], sp[has, 0]) + F.cross_entropy(end[has], sp[has, 1])
                )
        else:
            t, m = tensors(train_ids, b)
            loss = F.binary_cross_entropy_with_logits(
                model(t, m), labels[b], weight=row_weight[b], pos_weight=pos_weight
            )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 100 == 0 or step == len(plan) - 1:
            print(f"step {step + 1}/{len(plan)} loss {running:.4f} {time.time() - t0:.0f}s", flush=True)
    train_seconds = time.time() - t0

    logits = score(model, val_ids)
    qs = per_question(val_rows, logits)
    mean, threshold, right, refused = operating_point(qs)
    # Ranking alone: the best sentence of an answerable question is a positive.
    ans = [q for q in qs if q[0]]
    top1 = sum(1 for q in ans if q[2]) / max(1, len(ans))
    report = {
        "seed": args.seed,
        "epochs": args.epochs,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "loss": args.loss,
        "balance": args.balance,
        "unanswerable_weight": args.unanswerable_weight,
        "tokens_per_batch": args.tokens_per_batch,
        "own_negatives": args.own_negatives,
        "swapped_share": args.swapped,
        "swapped_pairs": len(swapped_rows),
        "swapped_questions": len({(r[3], r[4]) for r in swapped_rows}),
        "antonym_share": args.antonyms,
        "antonym_questions": len({(r[3], r[4]) for r in antonym_rows}),
        "antonym_pairs": len(antonym_rows),
        "other": args.other,
        "context_words": args.context_words,
        "max_len": args.max_len,
        "span_weight": args.span_weight,
        "train_pairs": len(train_rows),
        "train_positive": int(labels.sum()),
        "train_seconds": round(train_seconds),
        "threads": args.threads,
        "validation_articles_v11": sorted(VALIDATION_V11),
        "validation_questions": len(qs),
        "validation_answerable": len(ans),
        "validation_top1_in_candidates": round(top1, 4),
        "threshold_logit": threshold,
        "validation_answerable_right": round(right, 4),
        "validation_unanswerable_refused": round(refused, 4),
        "validation_mean": round(mean, 4),
        "note": "validation candidates are the question's paragraph plus the article's best-overlapping sentences, not the served retrieval",
    }
    context_words = args.context_words
    if served is not None:
        per_q = served_report(model, tok, served, sorted(VALIDATION_V11), args.max_len, context_words, args.hard)
        report["candidates"] = f"served: the ranker's best {args.hard} per question, plus the gold paragraph's answer sentences and {args.own_negatives} of its others"
        report["served_validation"] = [
            {"alpha": a, "mean": round(m, 4), "threshold": t, "right": round(r, 4), "refused": round(u, 4), "top1": round(t1, 4)}
            for a, m, t, r, u, t1 in sweep(per_q)
        ]
    print(json.dumps(report, indent=1), flush=True)

    os.makedirs(args.out, exist_ok=True)
    out = {k: model.bert.w(k).detach().to(torch.float16).contiguous() for k in base}
    save_file(out, os.path.join(args.out, "model.safetensors"))
    head = {
        "weight": [float(x) for x in model.head.weight.detach().reshape(-1)],
        "bias": float(model.head.bias.detach().reshape(-1)[0]),
        "threshold": float(threshold),
        "context_words": args.context_words,
    }
    json.dump(head, open(os.path.join(args.out, "head.json"), "w"))
    for f in ("tokenizer.json", "config.json"):
        shutil.copy(os.path.join(args.base, f), os.path.join(args.out, f))
    json.dump(report, open(os.path.join(args.out, "training.json"), "w"), indent=1)
    # Reference logits for the Rust parity test: fixed pairs scored by the
    # saved (f16) encoder and the saved head.
    probe = [
        ("When was the joint venture set up?", "The joint venture was formally set up in April 2026 by SoftBank, NEC, Sony, and Honda.", ""),
        ("When was the joint venture set up?", "Japan is investing billions in homegrown AI.", ""),
        ("Who is the chief executive?", "The project is led by a consortium of four companies.", ""),
        ("When was the joint venture set up?", "It was formally set up in April 2026.",
         "SoftBank, NEC, Sony and Honda announced a joint venture to build homegrown AI models for Japanese industry, with government support over five years."),
    ]
    saved = Reader(Bert(cfg, {k: v.float() for k, v in out.items()}))
    saved.head.weight.data = torch.tensor([head["weight"]])
    saved.head.bias.data = torch.tensor([head["bias"]])
    ref = score(saved, encode(tok, probe, args.max_len, args.context_words))
    json.dump(
        [{"question": q, "sentence": s, "before": p, "logit": float(z)} for (q, s, p), z in zip(probe, ref)],
        open(os.path.join(args.out, "probe.json"), "w"),
        indent=1,
    )


if __name__ == "__main__":
    main()
