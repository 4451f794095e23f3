#!/usr/bin/env python3
"""Would another answerability model do better? Cross-validation on the
tuning split only (articles 0-23, grouped by article), over the TSV that
`verbatim bench squad --dump-evidence FILE` writes (held-out rows are never
in it).

For each model and input set it prints, out of fold, the share of
answerable questions answered and right at the lowest threshold that
abstains on at least 80% of the unanswerable ones (the issue's target
trade-off). Needs numpy and scikit-learn:

    python3 -m venv /tmp/ana && /tmp/ana/bin/pip install numpy scikit-learn
    verbatim bench squad --data ../shared/bench/squad/dev-v1.1.json --dump-evidence /tmp/lgo-tune.tsv
    /tmp/ana/bin/python benches/answerability_cv.py /tmp/lgo-tune.tsv
"""
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
header, data = rows[0], np.array(rows[1:], dtype=float)
col = {n: i for i, n in enumerate(header)}
article = data[:, 0].astype(int)
answerable = data[:, 1] == 1
right = (data[:, 2] == 1).astype(int)
evidence = [i for i, n in enumerate(header) if n.startswith("e_") and n != "e_bias"]
features = [i for i, n in enumerate(header) if n.startswith("f_")]
extras = [col[n] for n in ("best_sentence_cos", "best_passage_cos", "top_bm25_rank", "candidates")]
gaps = np.column_stack([
    data[:, col["e_sentence_cosine"]] - data[:, col["best_sentence_cos"]],
    data[:, col["e_passage_cosine"]] - data[:, col["best_passage_cos"]],
])
print(f"{len(data)} tuning questions; {answerable.sum()} answerable, "
      f"top sentence right on {right[answerable].mean():.4f} of them (the ceiling)")


def at_80(p):
    """Answered-and-right share at the lowest threshold abstaining on >= 80%."""
    u = np.sort(p[~answerable])
    t = u[int(np.ceil(0.8 * len(u))) - 1] + 1e-12
    return (right[answerable] * (p[answerable] >= t)).mean()


def out_of_fold(make, x):
    p = np.zeros(len(data))
    for tr, te in GroupKFold(4).split(x, right, article):
        m = make()
        pos = right[tr].sum()
        w = np.where(right[tr] == 1, 0.5 / pos, 0.5 / (len(tr) - pos)) * len(tr)
        step = m.steps[-1][0] + "__sample_weight" if hasattr(m, "steps") else "sample_weight"
        try:
            m.fit(x[tr], right[tr], **{step: w})
        except (TypeError, ValueError):
            m.fit(x[tr], right[tr])
        p[te] = m.predict_proba(x[te])[:, 1]
    return at_80(p)


models = {
    "logistic (shipped)": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "gradient-boosted trees": lambda: HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40),
    "MLP, 16 ReLU units": lambda: make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(16,), alpha=1e-2, max_iter=2000, random_state=0)),
}
inputs = {
    "evidence": data[:, evidence],
    "evidence + ranking features + candidate extras": np.hstack(
        [data[:, evidence + features + extras], gaps]),
}
print("| model | inputs | answered and right at 80% abstained (out of fold) |")
print("|---|---|---|")
for name, make in models.items():
    for iname, x in inputs.items():
        print(f"| {name} | {iname} | {out_of_fold(make, x):.4f} |")
