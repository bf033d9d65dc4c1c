#!/usr/bin/env python3
"""TF-IDF + logistic regression baseline for the stance and sentiment tasks.

Run through scripts/sklearn_baseline.sh (creates scripts/.venv), or with any Python that has
scikit-learn.

For each task it uses the records of --train/--dev/--test (JSONL with `text` and the task's label
field, `stance` or `sentiment`; records without that field are skipped, so one file can carry
both tasks), fits TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True) +
LogisticRegression on train for each C of --grid, keeps the C with the best dev macro-F1, and
reports that model on dev and test: accuracy, macro-F1 (mean of per-class F1 over all the task's
labels, F1 = 0 for a class never predicted, as in `stance eval`) and per-class F1. The model is
trained on train only, as stance's own models are, so the test numbers are comparable.
"""

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABELS = {  # label order as in models/recipe.json
    "stance": ["conciliatory", "hardline", "neutral"],
    "sentiment": ["positive", "negative", "neutral"],
}


def read(path, task):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            label = rec.get(task)
            if label is None or label == "":
                continue
            if label not in LABELS[task]:
                sys.exit(f"{path}:{n}: unknown {task} label {label!r} (expected one of {LABELS[task]})")
            texts.append(rec["text"])
            labels.append(label)
    return texts, labels


def metrics(labels, gold, pred):
    """Accuracy, macro-F1, per-class P/R/F1 and confusion[gold][pred], in `labels` order."""
    idx = {l: i for i, l in enumerate(labels)}
    k = len(labels)
    conf = [[0] * k for _ in range(k)]
    for g, p in zip(gold, pred):
        conf[idx[g]][idx[p]] += 1
    per_class = {}
    for c, label in enumerate(labels):
        tp = conf[c][c]
        predicted = sum(conf[g][c] for g in range(k))
        support = sum(conf[c])
        prec = tp / predicted if predicted else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[label] = {"precision": prec, "recall": rec, "f1": f1, "support": support}
    n = len(gold)
    return {"n": n, "accuracy": sum(conf[i][i] for i in range(k)) / n if n else 0.0,
            "macro_f1": sum(m["f1"] for m in per_class.values()) / k,
            "per_class": per_class, "confusion": conf, "labels": labels}


def run_task(task, a):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = {name: read(path, task) for name, path in (("train", a.train), ("dev", a.dev), ("test", a.test))}
    for name, (texts, _) in data.items():
        if not texts:
            print(f"{task}: no `{task}` labels in {name} ({getattr(a, name)}); skipped", file=sys.stderr)
            return None
    labels = LABELS[task]
    (xtr, ytr), (xdev, ydev), (xte, yte) = data["train"], data["dev"], data["test"]

    def fit(c):
        return make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            LogisticRegression(C=c, max_iter=a.max_iter),
        ).fit(xtr, ytr)

    grid = []
    best = None
    for c in a.grid:
        t = time.perf_counter()
        model = fit(c)
        m = metrics(labels, ydev, model.predict(xdev))
        grid.append({"C": c, "dev_macro_f1": m["macro_f1"], "dev_accuracy": m["accuracy"],
                     "train_seconds": time.perf_counter() - t})
        print(f"{task}: C={c:<6g} dev macro-F1 {m['macro_f1']:.3f}  accuracy {m['accuracy']:.3f}",
              file=sys.stderr)
        if best is None or m["macro_f1"] > best[0]:
            best = (m["macro_f1"], c, model)
    _, c, model = best
    if len(a.grid) > 1 and c in (min(a.grid), max(a.grid)):
        print(f"{task}: note: best C={c:g} is at the edge of the grid; consider widening --grid",
              file=sys.stderr)
    return {"task": task, "C": c, "train_n": len(ytr),
            "dev": metrics(labels, ydev, model.predict(xdev)),
            "test": metrics(labels, yte, model.predict(xte)),
            "grid": grid}


def table(results):
    lines = []
    for r in results:
        labels = r["test"]["labels"]
        head = ["task", "split", "n", "accuracy", "macro-F1"] + [f"F1 {l}" for l in labels]
        lines += [f"**{r['task']}**: TF-IDF (1-2 grams) + LogisticRegression, C = {r['C']:g} "
                  f"(best dev macro-F1), trained on {r['train_n']} records", "",
                  "| " + " | ".join(head) + " |",
                  "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
        for split in ("dev", "test"):
            m = r[split]
            lines.append("| " + " | ".join(
                [r["task"], split, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f}"]
                + [f"{m['per_class'][l]['f1']:.3f}" for l in labels]) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    data = REPO / "data" / "statements"
    ap.add_argument("--train", type=Path, default=data / "train.jsonl")
    ap.add_argument("--dev", type=Path, default=data / "dev.jsonl")
    ap.add_argument("--test", type=Path, default=data / "test.jsonl")
    ap.add_argument("--tasks", default="stance,sentiment", help="comma-separated: stance,sentiment")
    ap.add_argument("--grid", type=lambda s: [float(x) for x in s.split(",")],
                    default=[0.1, 0.3, 1, 3, 10, 30, 100],
                    help="values of C to try (default 0.1,0.3,1,3,10,30,100)")
    ap.add_argument("--max-iter", type=int, default=2000)
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    a = ap.parse_args()
    for name in ("train", "dev", "test"):
        if not getattr(a, name).exists():
            sys.exit(f"sklearn_baseline: no {name} file at {getattr(a, name)} (use --{name})")
    tasks = [t for t in a.tasks.split(",") if t]
    for t in tasks:
        if t not in LABELS:
            ap.error(f"unknown task {t!r}")

    results = [r for r in (run_task(t, a) for t in tasks) if r is not None]
    print(table(results))
    if a.json:
        import sklearn
        a.json.write_text(json.dumps({
            "model": "TfidfVectorizer(ngram_range=(1,2), min_df=2, sublinear_tf=True) + LogisticRegression",
            "sklearn": sklearn.__version__,
            "files": {"train": str(a.train), "dev": str(a.dev), "test": str(a.test)},
            "results": results}, indent=1) + "\n")
        print(f"wrote {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
