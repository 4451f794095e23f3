#!/usr/bin/env python3
"""How many of the ranker's candidates the reader needs to read: for each
depth d, every validation question is judged as `ask` judges it (the best
of its first d served candidates by reader logit + ALPHA x ranker score,
answered when that score reaches the threshold), the threshold chosen on
one validation article and measured on the other, both ways, pooled
(judges.py's `point` and `rates`).

  train.py --squad … --squad2 … --candidates FILE --evaluate DIR --dump /tmp/v.jsonl
  python3 scripts/reader/depth.py /tmp/v.jsonl ALPHA

ALPHA is READER_RANK_WEIGHT. Prints, per depth, answerable answered-and-right,
unanswerable refused, their mean, and top-1 right (the best candidate holds a
gold string, answered or not) over the answerable questions.
"""
import json
import sys

from judges import out_of_fold


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    alpha = float(sys.argv[2])
    for depth in range(1, 9):
        # Per question: (article, answerable, best score, best holds gold).
        judged = []
        for q in rows:
            cs = q["candidates"][:depth]
            best = max(cs, key=lambda c: c["logit"] + alpha * c["score"]) if cs else None
            score = best["logit"] + alpha * best["score"] if best else float("-inf")
            judged.append((q["article"], q["answerable"], score, bool(best and best["gold"])))
        answerable = [j for j in judged if j[1]]
        top1 = sum(j[3] for j in answerable) / max(1, len(answerable))
        right, refused = out_of_fold(judged)
        print(
            f"depth {depth}: out-of-fold right {right:.4f} refused {refused:.4f} "
            f"mean {(right + refused) / 2:.4f}; top-1 {top1:.4f}"
        )


if __name__ == "__main__":
    main()
