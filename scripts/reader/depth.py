#!/usr/bin/env python3
"""How many of the ranker's candidates the reader needs to read: for each
depth d, every validation question is judged as `ask` judges it (the best
of its first d served candidates by reader logit + ALPHA x ranker score,
answered when that score reaches the threshold), the threshold chosen on
one validation article and measured on the other, both ways, pooled.

  train.py --squad … --squad2 … --candidates FILE --evaluate DIR --dump /tmp/v.jsonl
  python3 scripts/reader/depth.py /tmp/v.jsonl ALPHA

ALPHA is READER_RANK_WEIGHT. Prints, per depth, answerable answered-and-right,
unanswerable refused, their mean, and top-1 right (the best candidate holds a
gold string, answered or not) over the answerable questions.
"""
import json
import sys


def rates(qs, t):
    """Answerable right and unanswerable refused at threshold t."""
    na = sum(1 for a, _, _ in qs if a)
    nu = len(qs) - na
    right = sum(1 for a, s, ok in qs if a and ok and s >= t) / max(1, na)
    refused = sum(1 for a, s, _ in qs if not a and s < t) / max(1, nu)
    return right, refused, na, nu


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    alpha = float(sys.argv[2])
    for depth in range(1, 9):
        per = {}
        for q in rows:
            cs = q["candidates"][:depth]
            if not cs:
                judged = (q["answerable"], float("-inf"), False)
            else:
                best = max(cs, key=lambda c: c["logit"] + alpha * c["score"])
                judged = (q["answerable"], best["logit"] + alpha * best["score"], best["gold"])
            per.setdefault(q["article"], []).append(judged)
        tot_r = tot_u = all_a = all_u = 0
        for held in per:
            train = [x for a in per if a != held for x in per[a]]
            t = max(sorted({round(s, 3) for _, s, _ in train}), key=lambda t: sum(rates(train, t)[:2]))
            r, u, na, nu = rates(per[held], t)
            tot_r += r * na
            tot_u += u * nu
            all_a += na
            all_u += nu
        answerable = [x for a in per for x in per[a] if x[0]]
        top1 = sum(1 for x in answerable if x[2]) / max(1, len(answerable))
        right, refused = tot_r / all_a, tot_u / all_u
        print(
            f"depth {depth}: out-of-fold right {right:.4f} refused {refused:.4f} "
            f"mean {(right + refused) / 2:.4f}; top-1 {top1:.4f}"
        )


if __name__ == "__main__":
    main()
