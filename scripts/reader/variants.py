#!/usr/bin/env python3
"""Judges that were tried against the shipped one and not adopted (issue 34,
session 22): each validation question judged as `ask` judges it (its first
4 served candidates, the best by reader logit + 0.2 x ranker score), the
threshold chosen on one validation article and measured on the other, both
ways (as depth.py).

  train.py --squad … --squad2 … --candidates FILE --evaluate DIR --dump /tmp/v.jsonl
  python3 scripts/reader/variants.py SHIPPED_DUMP [OTHER_DUMP ...]

First, on SHIPPED_DUMP, the best candidate's score normalised by the
others' (mean, softmax); then, with more dumps of the same candidates
(other readers), the mean of their logits for each combination.
"""
import itertools
import json
import math
import sys

from judges import out_of_fold

DEPTH = 4
ALPHA = 0.2


def judge(rows, logits, score):
    """`logits(i, k)`: candidate k of question i's logit; `score(cs, s, k)`:
    the judged score of the chosen candidate k given the mixed scores s."""
    judged = []
    for i, q in enumerate(rows):
        cs = q["candidates"][:DEPTH]
        if not cs:
            judged.append((q["article"], q["answerable"], float("-inf"), False))
            continue
        s = [logits(i, k) + ALPHA * c["score"] for k, c in enumerate(cs)]
        k = max(range(len(cs)), key=lambda k: s[k])
        judged.append((q["article"], q["answerable"], score(cs, s, k), cs[k]["gold"]))
    return out_of_fold(judged)


def show(name, rates_):
    r, u = rates_
    print(f"{name:45s} right {r:.3f} refused {u:.3f} mean {(r + u) / 2:.3f}")


def main():
    dumps = [[json.loads(line) for line in open(p)] for p in sys.argv[1:]]
    base = dumps[0]
    for d in dumps[1:]:
        assert len(d) == len(base) and all(
            a["question"] == b["question"] and len(a["candidates"]) == len(b["candidates"])
            for a, b in zip(d, base)
        ), "dumps of other candidates"
    own = lambda i, k: base[i]["candidates"][k]["logit"]
    show("shipped judge", judge(base, own, lambda cs, s, k: s[k]))
    show("logit alone (choice as shipped)", judge(base, own, lambda cs, s, k: cs[k]["logit"]))
    for lam in (0.25, 0.5, 1.0):
        others = lambda s, k: (sum(s) - s[k]) / max(1, len(s) - 1)
        show(f"score - {lam} x mean of the others", judge(base, own, lambda cs, s, k: s[k] - lam * others(s, k)))
    softmax = lambda cs, s, k: cs[k]["logit"] - math.log(sum(math.exp(c["logit"]) for c in cs))
    show("softmax share of the best (logits)", judge(base, own, softmax))
    for n in range(2, len(dumps) + 1):
        for combo in itertools.combinations(range(len(dumps)), n):
            if 0 not in combo:
                continue
            mean = lambda i, k, c=combo: sum(dumps[j][i]["candidates"][k]["logit"] for j in c) / len(c)
            names = "+".join(sys.argv[1 + j].rsplit("/", 1)[-1] for j in combo)
            show(f"mean logit of {names}", judge(base, mean, lambda cs, s, k: s[k]))


if __name__ == "__main__":
    main()
