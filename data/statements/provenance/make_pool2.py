#!/usr/bin/env python3
"""Build a SECOND pool of candidate actor statements (unlabelled): 900 new candidates whose
statement text contains a cooperation / de-escalation cue word, to top up the share of
conciliatory statements after labelling of pool.jsonl found too few.

Reuses make_pool.py (imported, not modified): load(), the article de-duplication rule,
extract(), split_of(), year_of(), norm().

Inputs (read-only): ../shared/corpora/{allsides_40mb,bbc_news}.jsonl, pool.jsonl,
                    gold_articles.jsonl (all in/next to this directory)
Outputs (in OUT_DIR, default = this directory; override with env POOL2_OUT_DIR):
    pool2.jsonl, pool2_shard_0..3.jsonl   (shard field = 100 + k)

Guarantees (asserted at the end):
  * no id and no (normalised) statement text of pool.jsonl is reused; no new candidate
    overlaps a pool.jsonl span in the same article, nor is a substring/superstring of a
    pool.jsonl statement;
  * no article of gold_articles.jsonl (nor a duplicate of one, same de-dup key as make_pool) is
    used, and no candidate text occurs verbatim (normalised) in a gold article;
  * split = make_pool.split_of(article_id) (same hash rule -> one split per article);
  * every statement TEXT matches COOP2_RE (cue list of the brief);
  * outlet <= 8% of the pool, <= 3 candidates per article, topic <= 12%, year <= 16%
    (same topic/year caps as make_pool).

IMPORTANT: the cue words are a *sampling filter*, not a label. The whole of pool2 is one
keyword-selected stratum ("cue word in statement text"); it must be re-weighted (or analysed
separately) when estimating corpus-level label prevalence. No keyword/cue/stratum field is
written to any output file, so labellers are not primed.

stdlib only, deterministic (seed 29).
"""
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_pool as mp  # noqa: E402

SEED = 29
OUT_DIR = os.environ.get("POOL2_OUT_DIR", HERE)
POOL_PATH = os.path.join(HERE, "pool.jsonl")
GOLD_PATH = os.path.join(HERE, "gold_articles.jsonl")
POOL_SIZE = 900
N_SHARDS = 4
SHARD_BASE = 100
PER_ARTICLE_CAP = 3
OUTLET_CAP_FRAC = 0.08
TOPIC_CAP_FRAC = 0.12
YEAR_CAP_FRAC = 0.16
SCHEMA = ["id", "article_id", "corpus", "source", "date", "year", "topic", "title", "split", "kind",
          "text", "start", "end", "spans", "context", "speaker_hint", "shard"]

# Cue list exactly as specified in the brief ("x*" = prefix, otherwise whole word/phrase).
COOP2_RE = re.compile(
    r"\b(?:talks|negotiat\w*|deal|agree\w*|compromise|ceasefire|cease-fire|peace|cooperat\w*|"
    r"co-operat\w*|bipartisan|work together|working together|welcome\w*|dialogue|reconcil\w*|"
    r"truce|partnership|common ground|unity|thank\w*|grateful|commend\w*|praise\w*|reach across|"
    r"meet halfway|good faith|restraint|de-escalat\w*|diplomac\w*|diplomatic solution|sit down|"
    r"open to|willing to|ready to|hand of friendship|olive branch|respect)\b", re.I)

# Preferred topics (weight 2x): foreign affairs, war/peace, trade, sanctions, labour disputes,
# elections, domestic politics.
PREFERRED = {
    "allsides": {
        # foreign affairs / war & peace / sanctions
        "foreign_policy", "middle_east", "world", "north_korea", "south_korea", "russia", "israel",
        "palestine", "isis", "china", "europe", "asia", "africa", "mexico", "great_britain",
        "state_department", "national_security", "national_defense", "defense", "us_military",
        "nuclear_weapons", "terrorism", "treasury",
        # trade / labour
        "trade", "labor", "economy_and_jobs", "economic_policy",
        # elections / domestic politics
        "elections", "politics", "white_house", "us_house", "us_senate", "us_congress",
        "impeachment", "republican_party", "democratic_party", "federal_budget", "fiscal_cliff",
        "polarization", "bridging_divides", "campaign_rhetoric", "tea_party", "domestic_policy",
        "voting_rights_and_voter_fraud", "campaign_finance",
    },
    "bbc": {"politics", "business"},
}


def topic_weight(corpus, topic):
    return 2.0 if topic in PREFERRED.get(corpus, ()) else 1.0


def dedup_articles(arts):
    """Exactly make_pool.main()'s article de-duplication."""
    seen, uniq = set(), []
    for a in arts:
        k = mp.norm(a["text"])[:400]
        kt = mp.norm(a.get("title", ""))
        if not k or k in seen or (kt and len(kt) > 25 and ("t:" + kt) in seen):
            continue
        seen.add(k)
        if kt and len(kt) > 25:
            seen.add("t:" + kt)
        uniq.append(a)
    return uniq


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def overlaps(spans, others):
    return any(not (e <= os_ or s >= oe) for s, e in spans for os_, oe in others)


def main():
    rng = random.Random(SEED)
    pool = read_jsonl(POOL_PATH)
    gold = read_jsonl(GOLD_PATH)
    pool_ids = {r["id"] for r in pool}
    pool_norm = {mp.norm(r["text"]) for r in pool}
    pool_joined = "\n" + "\n".join(sorted(pool_norm)) + "\n"
    pool_spans = defaultdict(list)
    pool_maxn = defaultdict(lambda: -1)
    for r in pool:
        pool_spans[r["article_id"]].extend(tuple(x) for x in r["spans"])
        m = re.match(r"^(.*)-(\d+)$", r["id"])
        if m:
            pool_maxn[m.group(1)] = max(pool_maxn[m.group(1)], int(m.group(2)))
    pool_split = {r["article_id"]: r["split"] for r in pool}
    gold_ids = {g["id"] for g in gold}
    gold_keys = set()
    for g in gold:
        gold_keys.add(mp.norm(g["text"])[:400])
        kt = mp.norm(g.get("title", ""))
        if kt and len(kt) > 25:
            gold_keys.add("t:" + kt)
    gold_joined = "\n".join(" " + mp.norm(g["text"]) + " " for g in gold)

    arts = mp.load()
    uniq = dedup_articles(arts)
    by_id = {a["id"]: a for a in uniq}
    eligible = []
    n_gold_excl = 0
    for a in uniq:
        kt = mp.norm(a.get("title", ""))
        if (a["id"] in gold_ids or mp.norm(a["text"])[:400] in gold_keys
                or (kt and len(kt) > 25 and ("t:" + kt) in gold_keys)):
            n_gold_excl += 1
            continue
        eligible.append(a)
    print(f"articles: {len(arts)} loaded, {len(uniq)} after de-dup, {len(eligible)} after excluding "
          f"{n_gold_excl} gold (or gold-duplicate) articles")

    # all candidates from all de-duplicated articles (incl. gold ones, so that the statement-level
    # de-dup sees the same universe as make_pool); gold articles are dropped afterwards
    allc = []
    for a in uniq:
        for c in mp.extract(a):
            c["article_id"] = a["id"]
            allc.append(c)
    seen_t, tmp = set(), []
    for c in allc:
        k = mp.norm(c["text"])
        if k in seen_t:
            continue
        seen_t.add(k)
        tmp.append(c)
    allc = tmp
    elig_ids = {a["id"] for a in eligible}
    drop = Counter()
    cands = []
    for c in allc:
        k = mp.norm(c["text"])
        if c["article_id"] not in elig_ids:
            drop["gold article"] += 1; continue
        if not COOP2_RE.search(c["text"]):
            drop["no cue in statement text"] += 1; continue
        if k in pool_norm:
            drop["text already in pool"] += 1; continue
        if k in pool_joined:  # k has no newline -> a match lies inside one pool text
            drop["substring of a pool text"] += 1; continue
        if overlaps(c["spans"], pool_spans.get(c["article_id"], ())):
            drop["overlaps a pool span"] += 1; continue
        if (" " + k + " ") in gold_joined:
            drop["text occurs in a gold article"] += 1; continue
        cands.append(c)
    # pool texts contained in a candidate (superstring) -> drop too
    pool_norm_long = [p for p in pool_norm if len(p) >= 20]
    tmp = []
    for c in cands:
        k = " " + mp.norm(c["text"]) + " "
        if any((" " + p + " ") in k for p in pool_norm_long):
            drop["superstring of a pool text"] += 1
            continue
        tmp.append(c)
    cands = tmp
    print(f"candidates after text de-dup: {len(allc)}; eligible cue candidates: {len(cands)} "
          f"from {len(set(c['article_id'] for c in cands))} articles")
    print("  dropped:", dict(drop))

    # ---- weighted sampling with caps (Efraimidis–Spirakis keys), same scheme as make_pool
    outlet_cap = int(POOL_SIZE * OUTLET_CAP_FRAC)
    topic_cap = int(POOL_SIZE * TOPIC_CAP_FRAC)
    year_cap = int(POOL_SIZE * YEAR_CAP_FRAC)
    for c in cands:
        a = by_id[c["article_id"]]
        c["_key"] = rng.random() ** (1.0 / topic_weight(a["corpus"], a["topic"]))
    order = sorted(cands, key=lambda c: -c["_key"])
    n_art, n_out, n_top, n_year = Counter(), Counter(), Counter(), Counter()
    chosen, chosen_ids = [], set()
    for art_cap in range(1, PER_ARTICLE_CAP + 1):  # spread over articles first
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
    if len(chosen) < POOL_SIZE:
        sys.exit(f"only {len(chosen)} candidates satisfy the caps (need {POOL_SIZE})")

    # ---- records; id = <article_id>-<n>, n continues after the article's pool.jsonl ids
    per_article = defaultdict(list)
    for c in chosen:
        per_article[c["article_id"]].append(c)
    records = []
    for aid in sorted(per_article):
        a = by_id[aid]
        n0 = pool_maxn[aid] + 1
        for n, c in enumerate(sorted(per_article[aid], key=lambda c: c["start"])):
            records.append(dict(
                id=f"{aid}-{n0 + n}", article_id=aid, corpus=a["corpus"], source=a["source"],
                date=a["date"], year=mp.year_of(a), topic=a["topic"], title=a.get("title", ""),
                split=mp.split_of(aid), kind=c["kind"], text=c["text"], start=c["start"],
                end=c["end"], spans=c["spans"], context=c["context"],
                speaker_hint=c["speaker_hint"]))

    # ---- shards: deterministic shuffle of articles, greedy to the lightest shard
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
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == POOL_SIZE
    assert not (set(ids) & pool_ids)
    assert len({mp.norm(r["text"]) for r in records}) == POOL_SIZE
    assert not ({mp.norm(r["text"]) for r in records} & pool_norm)
    assert not ({r["article_id"] for r in records} & gold_ids)
    for r in records:
        t = by_id[r["article_id"]]["text"]
        assert r["text"] == " ".join(t[s:e] for s, e in r["spans"]), r["id"]
        assert r["start"] == r["spans"][0][0] and r["end"] == r["spans"][-1][1]
        assert COOP2_RE.search(r["text"]), r["id"]
        assert r["split"] == mp.split_of(r["article_id"])
        assert pool_split.get(r["article_id"], r["split"]) == r["split"]
        assert not overlaps(r["spans"], pool_spans.get(r["article_id"], ()))
    assert max(Counter(r["source"] for r in records).values()) <= outlet_cap
    assert max(Counter(r["article_id"] for r in records).values()) <= PER_ARTICLE_CAP

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "pool2.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for k in range(N_SHARDS):
        with open(os.path.join(OUT_DIR, f"pool2_shard_{k}.jsonl"), "w", encoding="utf-8") as f:
            for r in records:
                if r["shard"] == SHARD_BASE + k:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # ---- report
    def show(title, cnt, n=None):
        print(f"\n== {title} ({len(cnt)} distinct)")
        for k, v in cnt.most_common(n):
            print(f"  {v:5d}  {k}")
    print(f"\nPOOL2: {len(records)} candidates from {len(per_article)} articles "
          f"({sum(1 for a in per_article if a in pool_spans)} of them also have pool.jsonl candidates)")
    show("per corpus", Counter(r["corpus"] for r in records))
    show("per split (candidates)", Counter(r["split"] for r in records))
    show("per split (articles)", Counter(mp.split_of(a) for a in per_article))
    show("per source", Counter(r["source"] for r in records))
    show("per topic", Counter(r["topic"] for r in records))
    show("per topic weight", Counter(topic_weight(r["corpus"], r["topic"]) for r in records))
    show("per year", Counter(r["year"] for r in records))
    show("kind", Counter(r["kind"] for r in records))
    show("per shard (candidates)", Counter(r["shard"] for r in records))
    show("per shard (articles)", Counter(SHARD_BASE + shard_of[a] for a in per_article))
    show("per article count", Counter(Counter(r["article_id"] for r in records).values()))
    print("empty speaker_hint:", sum(1 for r in records if not r["speaker_hint"]))


if __name__ == "__main__":
    main()
