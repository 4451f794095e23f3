#!/usr/bin/env python3
"""Out-of-fold comparison of answerability judges on the served candidates
of the two validation articles, by article: each judge's operating point
(and, for the combinations, a logistic fit) is chosen on one article and
measured on the other, both ways, and the two are pooled.

  train.py --squad … --squad2 … --candidates FILE --evaluate DIR --dump /tmp/v.jsonl
  python3 scripts/reader/judges.py /tmp/v.jsonl ALPHA

ALPHA is the weight of the ranker's score in the reader's (READER_RANK_WEIGHT).
The judges: the reader's mixed score alone (what `ask` ships), the
answerability model of the ranker's first sentence (the reader-off judge),
and logistic combinations of the two with the ranker's score and margins.
"""
import json, sys, math
import numpy as np

def feats(q, a):
    cs = q["candidates"]
    if not cs:
        return None
    mixed = [c["logit"] + a * c["score"] for c in cs]
    order = sorted(range(len(cs)), key=lambda i: -mixed[i])
    b = order[0]
    s2 = mixed[order[1]] if len(order) > 1 else mixed[b] - 5
    return dict(
        s1=mixed[b], z=cs[b]["logit"], r=cs[b]["score"], p=cs[b]["model_p"] or 0.0,
        p0=cs[0]["model_p"] or 0.0, r0=cs[0]["score"], margin=mixed[b] - s2,
        zmax=max(c["logit"] for c in cs), right=cs[b]["gold"],
    )

def rates(x, y_ans, right, t):
    """Answerable answered-and-right and unanswerable refused at threshold t."""
    na = max(1, sum(y_ans)); nu = max(1, len(y_ans) - sum(y_ans))
    r = sum(1 for xi, a, ok in zip(x, y_ans, right) if a and ok and xi >= t) / na
    u = sum(1 for xi, a in zip(x, y_ans) if not a and xi < t) / nu
    return r, u

def point(x, y_ans, right):
    """The threshold on scores x maximising the mean of the two rates."""
    return max(sorted(set(np.round(x, 3))), key=lambda t: sum(rates(x, y_ans, right, t)))

def out_of_fold(judged):
    """Answerable right and unanswerable refused, pooled, with the
    threshold chosen on every other article and measured on each; `judged`
    holds (article, answerable, score, best holds gold) per question."""
    tot_r = tot_u = all_a = all_u = 0
    for held in sorted({j[0] for j in judged}):
        tr = [j for j in judged if j[0] != held]
        te = [j for j in judged if j[0] == held]
        t = point([j[2] for j in tr], [j[1] for j in tr], [j[3] for j in tr])
        r, u = rates([j[2] for j in te], [j[1] for j in te], [j[3] for j in te], t)
        na = sum(j[1] for j in te)
        tot_r += r * na
        tot_u += u * (len(te) - na)
        all_a += na
        all_u += len(te) - na
    return tot_r / all_a, tot_u / all_u


def logistic(X, y, l2=1.0, iters=3000, lr=0.1):
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    w = np.zeros(Z.shape[1]); b = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = Z.T @ (p - y) / len(y) + l2 * w / len(y)
        w -= lr * g; b -= lr * (p - y).mean()
    return lambda X2: ((X2 - mu) / sd) @ w + b

def main():
    rows = [json.loads(l) for l in open(sys.argv[1])]
    alpha = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    data = [(q["article"], q["answerable"], feats(q, alpha)) for q in rows]
    data = [d for d in data if d[2]]
    arts = sorted({d[0] for d in data})
    sets = {
        "mixed score s1": ["s1"],
        "model_p of ranker top (reader off judge)": ["p0"],
        "s1 + p_top": ["s1", "p"],
        "s1 + p0 + r0": ["s1", "p0", "r0"],
        "s1 + margin + p + z + r": ["s1", "margin", "p", "z", "r"],
        "all": ["s1", "margin", "p", "z", "r", "p0", "r0", "zmax"],
    }
    for name, keys in sets.items():
        tot_r = tot_u = 0; na_all = nu_all = 0
        for held in arts:
            tr = [d for d in data if d[0] != held]; te = [d for d in data if d[0] == held]
            Xtr = np.array([[d[2][k] for k in keys] for d in tr]); Xte = np.array([[d[2][k] for k in keys] for d in te])
            # label: answerable and right (what answering should achieve)
            ytr = np.array([1.0 if (d[1] and d[2]["right"]) else 0.0 for d in tr])
            if len(keys) == 1:
                f = lambda X: X[:, 0]
            else:
                f = logistic(Xtr, ytr)
            t = point(list(f(Xtr)), [d[1] for d in tr], [d[2]["right"] for d in tr])
            r, u = rates(list(f(Xte)), [d[1] for d in te], [d[2]["right"] for d in te], t)
            na = sum(d[1] for d in te); nu = len(te) - na
            tot_r += r * na; tot_u += u * nu; na_all += na; nu_all += nu
        R, U = tot_r / na_all, tot_u / nu_all
        print(f"{name:45s} out-of-fold right {R:.4f} refused {U:.4f} mean {(R+U)/2:.4f}")


if __name__ == "__main__":
    main()
