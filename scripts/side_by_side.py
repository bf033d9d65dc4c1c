#!/usr/bin/env python3
"""Throughput and peak memory of `stance` side by side with common peers.

Run through scripts/side_by_side.sh, which creates scripts/.venv and builds stance first.

What it does:
  1. Reads the article corpus (JSONL with `text`), optionally only its first --limit MB of
     article text, and splits it ONCE into sentences with a simple regex splitter. Writes
     <workdir>/sentences.jsonl ({"text": sentence} per line) and <workdir>/articles.jsonl (the
     articles used). Both are reused on the next run with the same corpus and limit.
  2. Trains the peers on the records of --train that have a `stance` label:
     TF-IDF (1-2 grams) + LogisticRegression, Hashing (1-2 grams, 2**20) + TF-IDF + LogisticRegression,
     fastText supervised (wordNgrams 2). VADER needs no training.
  3. Runs every measurement in its own process: each peer in a worker process of this script,
     with OMP/OPENBLAS/MKL threads set to 1 (all peers are single-threaded); `stance classify`
     on the sentences with -j 1 and -j <all cores>; `stance score` on the articles with the same.
  4. Prints one markdown table and writes it, with the details, to --json.

Timing:
  * peers: the worker times only prediction over the sentences, already in memory (loading the
    sentences and the model is not timed; JSON parsing and writing output are not done at all).
    sklearn and fastText predict class probabilities for every sentence, VADER computes
    polarity_scores per sentence.
  * stance: the seconds of its closing stderr summary, which cover reading and parsing the
    JSONL, classifying and writing the output (to /dev/null) but not loading the model. The whole
    process wall time is reported too. Note that `stance classify` labels each sentence for both
    stance and sentiment, the peers for one task only.
  * MB = bytes (UTF-8) of sentence text for classify rows, of article text for score rows;
    sentences/s for score rows counts the same sentences (the articles' sentences).
  * peak RSS: ru_maxrss of each measured process (os.wait4 in a small launcher process, whose own
    few MB are the floor of what can be reported), in MB (10**6 bytes).
  * --repeat N runs every measurement N times and keeps the fastest; peak RSS is the largest.
"""

import argparse
import datetime
import json
import os
import pickle
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = ["vader", "sklearn-tfidf-lr", "sklearn-hashing-lr", "fasttext"]
STANCE_LABEL = "stance"


# ---------------------------------------------------------------- sentences

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket), then white
# space, then something that looks like the start of a sentence. Paragraph breaks always split.
# Python's lookbehind must be fixed width, hence the two alternatives.
_SPLIT = re.compile(
    r"(?<=[.!?])\s+(?=[\"“‘'(\[]?[A-Z0-9])"
    r"|(?<=[.!?][\"”’')\]])\s+(?=[\"“‘'(\[]?[A-Z0-9])"
)


def split_sentences(text):
    for para in text.splitlines():
        for s in _SPLIT.split(para):
            s = s.strip()
            if s:
                yield s


def prepare_corpus(corpus, limit_mb, workdir):
    """Split the corpus into sentences once; reuse the files if corpus and limit are unchanged."""
    st = corpus.stat()
    key = {"corpus": str(corpus.resolve()), "size": st.st_size, "mtime": st.st_mtime,
           "limit_mb": limit_mb, "splitter": _SPLIT.pattern}
    meta_path = workdir / "corpus.json"
    sentences_path = workdir / "sentences.jsonl"
    articles_path = workdir / "articles.jsonl"
    if meta_path.exists() and sentences_path.exists() and articles_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            print(f"reusing {sentences_path} ({meta['sentences']} sentences)", file=sys.stderr)
            return meta
    limit = None if limit_mb is None else int(limit_mb * 1e6)
    articles = sentences = sentence_bytes = article_bytes = 0
    with open(corpus, encoding="utf-8") as src, \
            open(articles_path, "w", encoding="utf-8") as arts, \
            open(sentences_path, "w", encoding="utf-8") as sents:
        for line in src:
            if limit is not None and article_bytes >= limit:
                break
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            text = rec.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            arts.write(line + "\n")
            articles += 1
            article_bytes += len(text.encode("utf-8"))
            for s in split_sentences(text):
                sents.write(json.dumps({"text": s}, ensure_ascii=False) + "\n")
                sentences += 1
                sentence_bytes += len(s.encode("utf-8"))
    meta = {"key": key, "articles": articles, "article_text_bytes": article_bytes,
            "sentences": sentences, "sentence_text_bytes": sentence_bytes}
    meta_path.write_text(json.dumps(meta, indent=1))
    print(f"split {articles} articles ({article_bytes / 1e6:.1f} MB of text) into {sentences} "
          f"sentences ({sentence_bytes / 1e6:.1f} MB) -> {sentences_path}", file=sys.stderr)
    return meta


# ---------------------------------------------------------------- peers: training

def read_labelled(path, field):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get(field) and isinstance(rec.get("text"), str):
                texts.append(rec["text"])
                labels.append(rec[field])
    return texts, labels


def train_peers(train_path, model_dir, peers, c):
    from sklearn.feature_extraction.text import (HashingVectorizer, TfidfTransformer,
                                                 TfidfVectorizer)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = read_labelled(train_path, STANCE_LABEL)
    if not texts:
        sys.exit(f"side_by_side: no records with a `{STANCE_LABEL}` label in {train_path}")
    print(f"training peers on {len(texts)} {STANCE_LABEL}-labelled records of {train_path} "
          f"({dict(Counter(labels))})", file=sys.stderr)
    model_dir.mkdir(parents=True, exist_ok=True)
    info = {}
    pipelines = {
        "sklearn-tfidf-lr": lambda: make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            LogisticRegression(C=c, max_iter=1000)),
        "sklearn-hashing-lr": lambda: make_pipeline(
            HashingVectorizer(ngram_range=(1, 2), n_features=2 ** 20, alternate_sign=False,
                              norm=None),
            TfidfTransformer(sublinear_tf=True),
            LogisticRegression(C=c, max_iter=1000)),
    }
    for name, build in pipelines.items():
        if name not in peers:
            continue
        t = time.perf_counter()
        model = build().fit(texts, labels)
        with open(model_dir / f"{name}.pkl", "wb") as f:
            pickle.dump(model, f)
        info[name] = {"train_seconds": time.perf_counter() - t}
    if "fasttext" in peers:
        import fasttext
        t = time.perf_counter()
        train_txt = model_dir / "fasttext_train.txt"
        with open(train_txt, "w", encoding="utf-8") as f:
            for text, label in zip(texts, labels):
                f.write(f"__label__{label} {' '.join(text.split())}\n")
        model = fasttext.train_supervised(str(train_txt), wordNgrams=2, epoch=25, lr=0.5,
                                          thread=os.cpu_count() or 1, verbose=0, seed=1)
        model.save_model(str(model_dir / "fasttext.bin"))
        info["fasttext"] = {"train_seconds": time.perf_counter() - t}
    return {"train_records": len(texts), "labels": dict(Counter(labels)), "C": c, "peers": info}


# ---------------------------------------------------------------- peers: worker process

def worker(tool, model_dir, sentences_path, batch):
    """Runs in its own process; prints one JSON line with the timed section's results."""
    with open(sentences_path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    counts = Counter()
    if tool == "vader":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        analyzer = SentimentIntensityAnalyzer()
        t = time.perf_counter()
        for s in texts:
            c = analyzer.polarity_scores(s)["compound"]
            counts["positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"] += 1
        seconds = time.perf_counter() - t
    elif tool.startswith("sklearn"):
        with open(Path(model_dir) / f"{tool}.pkl", "rb") as f:
            model = pickle.load(f)
        classes = model.classes_
        t = time.perf_counter()
        for i in range(0, len(texts), batch):
            proba = model.predict_proba(texts[i:i + batch])
            counts.update(classes[proba.argmax(axis=1)])
        seconds = time.perf_counter() - t
    elif tool == "fasttext":
        import fasttext
        model = fasttext.load_model(str(Path(model_dir) / "fasttext.bin"))
        # fastText refuses text containing "\n"; the splitter never produces it, but be safe.
        texts = [s.replace("\n", " ") for s in texts]
        t = time.perf_counter()
        for i in range(0, len(texts), batch):
            labels, _probs = model.predict(texts[i:i + batch], k=-1)  # all labels with scores
            counts.update(ls[0] for ls in labels)
        seconds = time.perf_counter() - t
    else:
        sys.exit(f"unknown tool {tool}")
    print(json.dumps({"seconds": seconds, "sentences": len(texts),
                      "labels": {str(k): v for k, v in counts.items()}}))


# ---------------------------------------------------------------- measuring

# Peak RSS must come from a small parent: on Linux a child's ru_maxrss starts from the RSS of
# the process it was forked from (kept across exec), so children of this (large, after training)
# process would all report at least its size. This launcher, a bare interpreter of a few MB, runs
# the command as its child and records that child's wall time and rusage.
_LAUNCHER = """
import json, os, sys, time
t = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": wall,
               "maxrss_kib": usage.ru_maxrss}, f)
"""


def run_measured(cmd, env, stdout_path, stderr_path, usage_path):
    """Run cmd in its own process; return (exit code, wall seconds, peak RSS in MB)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(usage_path), *map(str, cmd)],
                       stdout=out, stderr=err, env=env, check=True)
    u = json.loads(Path(usage_path).read_text())
    return u["code"], u["wall"], u["maxrss_kib"] * 1024 / 1e6  # ru_maxrss is in KiB on Linux


_SUMMARY = re.compile(r"([\d.]+) MB in ([\d.]+) s \(([\d.]+) MB/s\)")


def measure(name, threads, cmd, env, workdir, repeat, is_stance):
    best = None
    for r in range(repeat):
        tag = f"{name}-j{threads}-{r}"
        out_path = workdir / "runs" / f"{tag}.out"
        err_path = workdir / "runs" / f"{tag}.err"
        if is_stance:
            out_path = Path(os.devnull)
        code, wall, rss = run_measured(cmd, env, out_path, err_path,
                                       workdir / "runs" / f"{tag}.usage.json")
        err = err_path.read_text(errors="replace")
        if code != 0:
            sys.exit(f"side_by_side: {' '.join(map(str, cmd))} exited with {code}:\n{err[-2000:]}")
        if is_stance:
            m = None
            for m in _SUMMARY.finditer(err):
                pass
            if m is None:
                sys.exit(f"side_by_side: no summary line from stance in:\n{err[-2000:]}")
            res = {"seconds": float(m.group(2)), "stance_reported_mb": float(m.group(1)),
                   "stance_reported_mb_per_s": float(m.group(3)),
                   "summary": err.strip().splitlines()[-1]}
            if res["seconds"] <= 0:  # very small inputs: fall back to the process wall time
                res["seconds"] = wall
        else:
            res = json.loads(out_path.read_text().strip().splitlines()[-1])
        res.update(wall_seconds=wall, peak_rss_mb=rss)
        print(f"  {name:20} -j{threads}  run {r + 1}/{repeat}: {res['seconds']:.2f} s timed, "
              f"{wall:.2f} s process, {rss:.0f} MB peak RSS", file=sys.stderr)
        if best is None or res["seconds"] < best["seconds"]:
            best = {**res, "peak_rss_mb": max(rss, best["peak_rss_mb"]) if best else rss}
        else:
            best["peak_rss_mb"] = max(best["peak_rss_mb"], rss)
    return best


# ---------------------------------------------------------------- report

def table(rows):
    head = ["tool", "threads", "timed s", "process s", "MB/s", "sentences/s", "peak RSS MB",
            "MB/s ÷ stance", "sent/s ÷ stance", "RSS ÷ stance"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in rows:
        def ratio(key):
            v = r.get(f"{key}_vs_stance")
            return "" if v is None else f"{v:.2f}×"
        lines.append("| " + " | ".join([
            r["tool"], str(r["threads"]), f"{r['seconds']:.2f}", f"{r['wall_seconds']:.2f}",
            f"{r['mb_per_s']:.2f}", f"{r['sentences_per_s']:,.0f}", f"{r['peak_rss_mb']:.0f}",
            ratio("mb_per_s"), ratio("sentences_per_s"), ratio("peak_rss_mb")]) + " |")
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        _, _, tool, model_dir, sentences, batch = sys.argv
        return worker(tool, model_dir, sentences, int(batch))

    shared = Path(os.environ.get("STANCE_SHARED", REPO.parent / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--corpus", type=Path, default=shared / "corpora" / "allsides_40mb.jsonl",
                    help="articles JSONL (default: $STANCE_SHARED or ../shared, corpora/allsides_40mb.jsonl)")
    ap.add_argument("--limit", type=float, metavar="MB",
                    help="use only the first articles, up to about MB megabytes of article text")
    ap.add_argument("--train", type=Path, default=REPO / "data" / "statements" / "train.jsonl",
                    help="labelled training data for the peers (JSONL with text and stance)")
    ap.add_argument("--workdir", type=Path, default=REPO / "target" / "side_by_side",
                    help="where sentences, peer models and run logs go (default: target/side_by_side)")
    ap.add_argument("--stance", type=Path, default=REPO / "target" / "release" / "stance",
                    help="stance binary (default: target/release/stance)")
    ap.add_argument("--model", type=Path, help="stance model directory (default: stance's own default)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                    help="thread count for the 'all cores' stance rows (default: usable cores)")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    ap.add_argument("--no-score", action="store_true", help="skip the `stance score` rows")
    ap.add_argument("--C", type=float, default=1.0, help="LogisticRegression C for the sklearn peers")
    ap.add_argument("--batch", type=int, default=10000, help="sentences per predict call for peers")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is kept")
    ap.add_argument("--json", type=Path, help="write results here (default: <workdir>/side_by_side.json)")
    a = ap.parse_args()

    peers = [p for p in a.peers.split(",") if p]
    for p in peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p!r}; choose from {','.join(PEERS)}")
    if not a.stance.exists():
        sys.exit(f"side_by_side: no stance binary at {a.stance}; run `cargo build --release`")
    if not a.corpus.exists():
        sys.exit(f"side_by_side: no corpus at {a.corpus}")
    if any(p != "vader" for p in peers) and not a.train.exists():
        sys.exit(f"side_by_side: no training data at {a.train} (use --train)")
    workdir = a.workdir.resolve()
    (workdir / "runs").mkdir(parents=True, exist_ok=True)
    json_path = a.json or workdir / "side_by_side.json"

    corpus = prepare_corpus(a.corpus, a.limit, workdir)
    sentences_path, articles_path = workdir / "sentences.jsonl", workdir / "articles.jsonl"
    training = train_peers(a.train, workdir / "models", peers, a.C)

    one_thread = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                  "MKL_NUM_THREADS": "1"}
    model_args = ["--model", str(a.model)] if a.model else []
    thread_counts = sorted({1, a.threads})
    runs = []  # (tool, threads, cmd, env, is_stance, input)
    for j in thread_counts:
        cmd = [str(a.stance), "classify", "-j", str(j), *model_args, str(sentences_path)]
        runs.append(("stance classify", j, cmd, os.environ.copy(), True, "sentences"))
    for p in peers:
        cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", p,
               str(workdir / "models"), str(sentences_path), str(a.batch)]
        runs.append((p, 1, cmd, one_thread, False, "sentences"))
    if not a.no_score:
        for j in thread_counts:
            cmd = [str(a.stance), "score", "-j", str(j), *model_args, str(articles_path)]
            runs.append(("stance score", j, cmd, os.environ.copy(), True, "articles"))

    print(f"measuring {len(runs)} configurations on {corpus['sentences']} sentences "
          f"({corpus['sentence_text_bytes'] / 1e6:.1f} MB)", file=sys.stderr)
    rows = []
    for tool, j, cmd, env, is_stance, inp in runs:
        res = measure(tool.replace(" ", "-"), j, cmd, env, workdir, a.repeat, is_stance)
        mb = (corpus["sentence_text_bytes"] if inp == "sentences" else corpus["article_text_bytes"]) / 1e6
        rows.append({"tool": tool, "threads": j, "input": inp, "input_mb": mb,
                     "sentences": corpus["sentences"], **res,
                     "mb_per_s": mb / res["seconds"],
                     "sentences_per_s": corpus["sentences"] / res["seconds"],
                     "command": [str(c) for c in cmd]})
    base = {r["threads"]: r for r in rows if r["tool"] == "stance classify"}
    for r in rows:
        b = base.get(r["threads"])
        if b is not None:
            for key in ("mb_per_s", "sentences_per_s", "peak_rss_mb"):
                r[f"{key}_vs_stance"] = r[key] / b[key]

    md = table(rows)
    print(md)
    versions = {"python": platform.python_version()}
    for mod in ("sklearn", "numpy"):
        try:
            versions[mod] = getattr(__import__(mod), "__version__", "installed")
        except ImportError:
            pass
    try:
        from importlib.metadata import version
        versions["vaderSentiment"] = version("vaderSentiment")
        versions["fasttext-wheel"] = version("fasttext-wheel")
    except Exception:
        pass
    versions["stance"] = subprocess.run([str(a.stance), "--version"], capture_output=True,
                                        text=True).stdout.strip()
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
                    "platform": platform.platform(), "processor": platform.processor()},
        "versions": versions,
        "corpus": {"path": str(a.corpus), "limit_mb": a.limit,
                   **{k: v for k, v in corpus.items() if k != "key"}},
        "train": {"path": str(a.train), **training},
        "stance_model": str(a.model) if a.model else "default",
        "repeat": a.repeat,
        "notes": ["peers: timed section is prediction over sentences already in memory",
                  "stance: seconds from its stderr summary (read+parse+classify+write, no model load)",
                  "stance classify labels stance AND sentiment; peers one task (VADER: sentiment)",
                  "MB = UTF-8 bytes of sentence text (classify rows) or article text (score rows)"],
        "rows": rows,
        "markdown": md,
    }
    json_path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
