#!/usr/bin/env python3
"""Build a THIRD pool of candidate actor statements (unlabelled): up to 800 new candidates whose
statement text contains a *specific* cooperation / de-escalation cue word, to top up the share of
conciliatory statements further.

Reuses make_pool2.py (imported, not modified) and through it make_pool.py: load(), the article
de-duplication rule (mp2.dedup_articles), extract(), split_of(), year_of(), norm(), COOP2_RE,
topic_weight(), SCHEMA, overlaps().

Inputs (read-only): ../shared/corpora/{allsides_40mb,bbc_news}.jsonl, pool.jsonl, pool2.jsonl,
                    gold_articles.jsonl
Outputs (in OUT_DIR, default = this directory; override with env POOL3_OUT_DIR):
    pool3.jsonl, pool3_shard_0..3.jsonl   (shard field = 200 + k; same schema as pool2)

Selection of statement TEXTS (sampling filter only, NOT a label):
  * the text must match make_pool2.COOP2_RE after masking non-dispute phrases
    ("a great deal", "with respect to", "thanks to", ...; see MASK_RE);
  * tier 1 = text has a SPECIFIC cue (SPECIFIC_RE, brief's list) -> always preferred;
    tier 2 = only weak cues left (deal / agree* / willing to / ready to / open to / sit down /
    meet halfway / hope...) -> used only if tier 1 cannot fill the pool (it is not, see report).
  * extraction: make_pool.MIN_WORDS relaxed 5 -> 4 (still a quote/indirect statement with a
    speech cue and attributed speaker, exactly make_pool.extract()); 4-word statements are
    ranked after >=5-word ones within a tier.

Guarantees (asserted): no id / normalised text of pool.jsonl or pool2.jsonl reused; no span
overlap with them in the same article; no substring/superstring of their texts; no gold article
(nor duplicate) and no text found verbatim in a gold article; split = make_pool.split_of();
<= 2 per article; outlet <= 9% of pool3; topic <= 12%, year <= 16% (as pool2).
No keyword/cue/tier field is written to any output file.

stdlib only, deterministic (seed 31).
"""
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_pool2 as mp2  # noqa: E402
mp = mp2.mp

SEED = 31
OUT_DIR = os.environ.get("POOL3_OUT_DIR", HERE)
PREV_PATHS = [os.path.join(HERE, "pool.jsonl"), os.path.join(HERE, "pool2.jsonl")]
GOLD_PATH = os.path.join(HERE, "gold_articles.jsonl")
POOL_SIZE = 800
N_SHARDS = 4
SHARD_BASE = 200
PER_ARTICLE_CAP = 2
OUTLET_CAP_FRAC = 0.09
TOPIC_CAP_FRAC = 0.12
YEAR_CAP_FRAC = 0.16
MIN_WORDS_RELAXED = 4
SCHEMA = mp2.SCHEMA

# phrases in which a cue word is not used in a dispute / cooperation sense -> masked out
MASK_RE = re.compile(
    r"\b(?:(?:a|the)\s+(?:great|good|big|huge|fair)\s+deal|big deal|(?:Green\s+)?New Deal|deal(?:s|t|ing)? with|"
    r"with respect to|in respect of|in (?:this|that|one|some|many|every|all|other|any) respects?|"
    r"thanks to|thank god|thank goodness|peace of mind|rest in peace|"
    r"agree(?:s|d)? to disagree)\b", re.I)
# brief's preferred (specific) cue list ("x*" = prefix)
SPECIFIC_RE = re.compile(
    r"\b(?:ceasefire|cease-fire|truce|peace|dialogue|compromise|bipartisan|work together|"
    r"working together|common ground|reconcil\w*|de-escalat\w*|restraint|diplomac\w*|negotiat\w*|"
    r"talks|welcome\w*|thank\w*|grateful|praise\w*|commend\w*|good faith|reach across|"
    r"olive branch|hand of friendship|cooperat\w*|co-operat\w*|partnership|unity|respect)\b", re.I)


def masked(t):
    return MASK_RE.sub(lambda m: " " * len(m.group(0)), t)


def tier(text):
    """1 = specific cue, 2 = only weak cue(s), None = no cue outside non-dispute phrases."""
    t = masked(text)
    if SPECIFIC_RE.search(t) and mp2.COOP2_RE.search(t):
        return 1
    if mp2.COOP2_RE.search(t):
        return 2
    return None


def main():
    rng = random.Random(SEED)
    prev = [r for p in PREV_PATHS for r in mp2.read_jsonl(p)]
    gold = mp2.read_jsonl(GOLD_PATH)
    prev_ids = {r["id"] for r in prev}
    prev_norm = {mp.norm(r["text"]) for r in prev}
    prev_joined = "\n" + "\n".join(sorted(prev_norm)) + "\n"
    prev_spans = defaultdict(list)
    prev_maxn = defaultdict(lambda: -1)
    prev_split = {}
    for r in prev:
        prev_spans[r["article_id"]].extend(tuple(x) for x in r["spans"])
        prev_split[r["article_id"]] = r["split"]
        m = re.match(r"^(.*)-(\d+)$", r["id"])
        if m:
            prev_maxn[m.group(1)] = max(prev_maxn[m.group(1)], int(m.group(2)))
    gold_ids = {g["id"] for g in gold}
    gold_keys = set()
    for g in gold:
        gold_keys.add(mp.norm(g["text"])[:400])
        kt = mp.norm(g.get("title", ""))
        if kt and len(kt) > 25:
            gold_keys.add("t:" + kt)
    gold_joined = "\n".join(" " + mp.norm(g["text"]) + " " for g in gold)

    arts = mp.load()
    uniq = mp2.dedup_articles(arts)
    by_id = {a["id"]: a for a in uniq}
    elig_ids = set()
    for a in uniq:
        kt = mp.norm(a.get("title", ""))
        if (a["id"] in gold_ids or mp.norm(a["text"])[:400] in gold_keys
                or (kt and len(kt) > 25 and ("t:" + kt) in gold_keys)):
            continue
        elig_ids.add(a["id"])
    print(f"articles: {len(arts)} loaded, {len(uniq)} after de-dup, {len(elig_ids)} non-gold")

    # extraction with the relaxed minimum length (restored afterwards)
    old_min = mp.MIN_WORDS
    mp.MIN_WORDS = MIN_WORDS_RELAXED
    try:
        allc = []
        for a in uniq:
            for c in mp.extract(a):
                c["article_id"] = a["id"]
                allc.append(c)
    finally:
        mp.MIN_WORDS = old_min
    seen_t, tmp = set(), []
    for c in allc:
        k = mp.norm(c["text"])
        if k in seen_t:
            continue
        seen_t.add(k)
        tmp.append(c)
    allc = tmp
    drop = Counter()
    cands = []
    for c in allc:
        k = mp.norm(c["text"])
        if c["article_id"] not in elig_ids:
            drop["gold article"] += 1; continue
        t = tier(c["text"])
        if t is None:
            drop["no cue in statement text (after masking)"] += 1; continue
        if k in prev_norm:
            drop["text already in pool/pool2"] += 1; continue
        if k in prev_joined:
            drop["substring of a pool/pool2 text"] += 1; continue
        if mp2.overlaps(c["spans"], prev_spans.get(c["article_id"], ())):
            drop["overlaps a pool/pool2 span"] += 1; continue
        if (" " + k + " ") in gold_joined:
            drop["text occurs in a gold article"] += 1; continue
        c["_tier"] = t
        c["_short"] = mp.nwords(c["text"]) < old_min
        cands.append(c)
    prev_norm_long = [p for p in prev_norm if len(p) >= 20]
    tmp = []
    for c in cands:
        k = " " + mp.norm(c["text"]) + " "
        if any((" " + p + " ") in k for p in prev_norm_long):
            drop["superstring of a pool/pool2 text"] += 1
            continue
        tmp.append(c)
    cands = tmp
    print(f"candidates after text de-dup: {len(allc)}; eligible cue candidates: {len(cands)} "
          f"from {len(set(c['article_id'] for c in cands))} articles; "
          f"tier/short: {dict(Counter((c['_tier'], c['_short']) for c in cands))}")
    print("  dropped:", dict(drop))

    # ---- weighted sampling with caps; preference order: tier 1 >=5 words, tier 1 4 words,
    # tier 2 >=5 words, tier 2 4 words; within a group Efraimidis–Spirakis keys (topic weight)
    outlet_cap = int(POOL_SIZE * OUTLET_CAP_FRAC)
    topic_cap = int(POOL_SIZE * TOPIC_CAP_FRAC)
    year_cap = int(POOL_SIZE * YEAR_CAP_FRAC)
    for c in cands:
        a = by_id[c["article_id"]]
        c["_key"] = rng.random() ** (1.0 / mp2.topic_weight(a["corpus"], a["topic"]))
    groups = [(1, False), (1, True), (2, False), (2, True)]
    n_art, n_out, n_top, n_year = Counter(), Counter(), Counter(), Counter()
    chosen, chosen_ids = [], set()
    for g in groups:
        order = sorted((c for c in cands if (c["_tier"], c["_short"]) == g), key=lambda c: -c["_key"])
        for art_cap in range(1, PER_ARTICLE_CAP + 1):
            for c in order:
                if len(chosen) >= POOL_SIZE:
                    break
                if id(c) in chosen_ids:
                    continue
                a = by_id[c["article_id"]]
                y = mp.year_of(a)
                if (n_art[a["id"]] >= art_cap or n_out[a["source"]] >= outlet_cap
                        or n_top[a["topic"]] >= topic_cap or n_year[y] >= year_cap):
                    continue
                chosen.append(c)
                chosen_ids.add(id(c))
                n_art[a["id"]] += 1; n_out[a["source"]] += 1; n_top[a["topic"]] += 1; n_year[y] += 1
    # if short of POOL_SIZE, trim the largest outlets so that no outlet exceeds 9% of the result
    while chosen:
        cap = int(len(chosen) * OUTLET_CAP_FRAC)
        cnt = Counter(by_id[c["article_id"]]["source"] for c in chosen)
        over = [s for s, v in cnt.items() if v > cap]
        if not over:
            break
        s = sorted(over)[0]
        # drop that outlet's lowest-preference candidate (last chosen)
        idx = max(i for i, c in enumerate(chosen) if by_id[c["article_id"]]["source"] == s)
        chosen.pop(idx)
    print(f"chosen: {len(chosen)} (tier/short: {dict(Counter((c['_tier'], c['_short']) for c in chosen))})")

    # ---- records; id = <article_id>-<n>, n continues after the article's pool/pool2 ids
    per_article = defaultdict(list)
    for c in chosen:
        per_article[c["article_id"]].append(c)
    records = []
    for aid in sorted(per_article):
        a = by_id[aid]
        n0 = prev_maxn[aid] + 1
        for n, c in enumerate(sorted(per_article[aid], key=lambda c: c["start"])):
            records.append(dict(
                id=f"{aid}-{n0 + n}", article_id=aid, corpus=a["corpus"], source=a["source"],
                date=a["date"], year=mp.year_of(a), topic=a["topic"], title=a.get("title", ""),
                split=mp.split_of(aid), kind=c["kind"], text=c["text"], start=c["start"],
                end=c["end"], spans=c["spans"], context=c["context"],
                speaker_hint=c["speaker_hint"]))

    # ---- shards: deterministic shuffle of articles (seed 31), greedy to the lightest shard
    aids = sorted(per_article)
    random.Random(SEED).shuffle(aids)
    load_ = [0] * N_SHARDS
    shard_of = {}
    for aid in aids:
        k = min(range(N_SHARDS), key=lambda i: (load_[i], i))
        shard_of[aid] = k
        load_[k] += len(per_article[aid])
    pos = {aid: i for i, aid in enumerate(aids)}
    records.sort(key=lambda r: (pos[r["article_id"]], r["start"]))
    for r in records:
        r["shard"] = SHARD_BASE + shard_of[r["article_id"]]
    records = [{k: r[k] for k in SCHEMA} for r in records]

    # ---- checks
    N = len(records)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == N
    assert not (set(ids) & prev_ids)
    texts = {mp.norm(r["text"]) for r in records}
    assert len(texts) == N and not (texts & prev_norm)
    assert not ({r["article_id"] for r in records} & gold_ids)
    for r in records:
        t = by_id[r["article_id"]]["text"]
        assert r["text"] == " ".join(t[s:e] for s, e in r["spans"]), r["id"]
        assert r["start"] == r["spans"][0][0] and r["end"] == r["spans"][-1][1]
        assert tier(r["text"]) is not None and mp2.COOP2_RE.search(r["text"]), r["id"]
        assert r["split"] == mp.split_of(r["article_id"])
        assert prev_split.get(r["article_id"], r["split"]) == r["split"]
        assert not mp2.overlaps(r["spans"], prev_spans.get(r["article_id"], ()))
        assert mp.nwords(r["text"]) >= MIN_WORDS_RELAXED
    assert max(Counter(r["source"] for r in records).values()) <= OUTLET_CAP_FRAC * N
    assert max(Counter(r["article_id"] for r in records).values()) <= PER_ARTICLE_CAP
    for r in records:
        assert set(r) == set(SCHEMA)

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "pool3.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for k in range(N_SHARDS):
        with open(os.path.join(OUT_DIR, f"pool3_shard_{k}.jsonl"), "w", encoding="utf-8") as f:
            for r in records:
                if r["shard"] == SHARD_BASE + k:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # ---- report
    def show(title, cnt, n=None):
        print(f"\n== {title} ({len(cnt)} distinct)")
        for k, v in cnt.most_common(n):
            print(f"  {v:5d}  {k}")
    print(f"\nPOOL3: {N} candidates from {len(per_article)} articles "
          f"({sum(1 for a in per_article if a in prev_spans)} also have pool/pool2 candidates)")
    show("per corpus", Counter(r["corpus"] for r in records))
    show("per split (candidates)", Counter(r["split"] for r in records))
    show("per source", Counter(r["source"] for r in records), 12)
    show("per topic", Counter(r["topic"] for r in records), 12)
    show("per year", Counter(r["year"] for r in records))
    show("kind", Counter(r["kind"] for r in records))
    show("per shard (candidates)", Counter(r["shard"] for r in records))
    show("per shard (articles)", Counter(SHARD_BASE + shard_of[a] for a in per_article))
    show("per article count", Counter(Counter(r["article_id"] for r in records).values()))
    show("words < 5 (relaxed)", Counter(mp.nwords(r["text"]) < 5 for r in records))
    print("empty speaker_hint:", sum(1 for r in records if not r["speaker_hint"]))


if __name__ == "__main__":
    main()
