"""Assemble the labelled statement corpus from candidate pools and annotation files.

Inputs (kept outside the repository because the pools carry article context):
  pool.jsonl, pool2.jsonl, pool3.jsonl   candidates made by make_pool*.py from ../shared/corpora
  labels_*.jsonl                          one annotation line per candidate (keep, speaker, stance, sentiment)
  blind_labels.jsonl                      the blind second annotation of 200 random pool candidates
  gold_*.jsonl                            extraction gold statements for 60 articles
Usage: python3 assemble.py POOL_DIR LABEL_DIR OUT_DIR
Deterministic (seed 41). Neutral statements are randomly subsampled within each split so that
conciliatory statements make up at least 25% of every split; the rest go to extra_neutral.jsonl.
"""
import collections, glob, json, math, os, random, sys

pool_dir, label_dir, out = sys.argv[1:4]
recs = {}
for f in ["pool.jsonl", "pool2.jsonl", "pool3.jsonl"]:
    for line in open(os.path.join(pool_dir, f), encoding="utf-8"):
        r = json.loads(line)
        recs[r["id"]] = r
labels = {}
for f in sorted(glob.glob(os.path.join(label_dir, "labels_*.jsonl"))):
    for line in open(f, encoding="utf-8"):
        r = json.loads(line)
        labels[r["id"]] = r

def record(r, l):
    return {"id": r["id"], "article_id": r["article_id"], "corpus": r["corpus"], "source": r["source"],
            "date": r["date"], "topic": r["topic"], "split": r["split"], "kind": r["kind"],
            "text": r["text"], "speaker": l["speaker"], "stance": l["stance"], "sentiment": l["sentiment"]}

kept = [record(recs[i], l) for i, l in sorted(labels.items()) if l.get("keep") and i in recs]
rng = random.Random(41)
splits = {}
extra = []
for split in ["train", "dev", "test"]:
    rows = [r for r in kept if r["split"] == split]
    conc = [r for r in rows if r["stance"] == "conciliatory"]
    hard = [r for r in rows if r["stance"] == "hardline"]
    neut = [r for r in rows if r["stance"] == "neutral"]
    keep_neutral = min(len(neut), 4 * len(conc) - len(conc) - len(hard))
    rng.shuffle(neut)
    chosen = neut[:keep_neutral]
    extra += neut[keep_neutral:]
    rows = sorted(conc + hard + chosen, key=lambda r: r["id"])
    splits[split] = rows
os.makedirs(out, exist_ok=True)
for split, rows in splits.items():
    with open(os.path.join(out, f"{split}.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(os.path.join(out, "extra_neutral.jsonl"), "w", encoding="utf-8") as f:
    for r in sorted(extra, key=lambda r: r["id"]):
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# Blind second annotation: agreement and Cohen's kappa per task on items both annotators kept.
blind = {}
for line in open(os.path.join(label_dir, "blind_labels.jsonl"), encoding="utf-8"):
    r = json.loads(line)
    blind[r["id"]] = r
with open(os.path.join(out, "blind_relabel.jsonl"), "w", encoding="utf-8") as f:
    for i, b in blind.items():
        f.write(json.dumps({"id": i, "first": {k: labels[i].get(k) for k in ("keep", "stance", "sentiment")},
                            "second": {k: b.get(k) for k in ("keep", "stance", "sentiment")}}) + "\n")

def kappa(pairs):
    n = len(pairs)
    po = sum(a == b for a, b in pairs) / n
    ca = collections.Counter(a for a, _ in pairs)
    cb = collections.Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return po, (po - pe) / (1 - pe)

both = [i for i in blind if i in labels and labels[i].get("keep") and blind[i].get("keep")]
keep_pairs = [(bool(labels[i].get("keep")), bool(blind[i].get("keep"))) for i in blind if i in labels]
report = {"blind_sample": len(blind), "kept_by_both": len(both)}
for task in ["stance", "sentiment"]:
    po, k = kappa([(labels[i][task], blind[i][task]) for i in both])
    report[task] = {"agreement": round(po, 3), "kappa": round(k, 3)}
po, k = kappa(keep_pairs)
report["keep"] = {"agreement": round(po, 3), "kappa": round(k, 3)}
counts = {s: dict(collections.Counter(r["stance"] for r in rows)) for s, rows in splits.items()}
sent = {s: dict(collections.Counter(r["sentiment"] for r in rows)) for s, rows in splits.items()}
sources = collections.Counter(r["source"] for rows in splits.values() for r in rows)
report.update({"stance_per_split": counts, "sentiment_per_split": sent, "extra_neutral": len(extra),
               "annotated": len(labels), "kept": len(kept), "sources": len(sources),
               "top_sources": sources.most_common(10),
               "corpora": dict(collections.Counter(r["corpus"] for rows in splits.values() for r in rows)),
               "articles": len({r["article_id"] for rows in splits.values() for r in rows})})
with open(os.path.join(out, "stats.json"), "w", encoding="utf-8") as f:
    json.dump(report, f, indent=1)
print(json.dumps(report, indent=1))
