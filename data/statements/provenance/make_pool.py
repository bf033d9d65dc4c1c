#!/usr/bin/env python3
"""Build a pool of candidate actor statements (unlabelled) for human-style labelling.

Inputs (read-only): ../shared/corpora/allsides_40mb.jsonl and ../shared/corpora/bbc_news.jsonl
Outputs (in OUT_DIR): pool.jsonl, shard_0..7.jsonl, blind_sample_ids.txt,
                      gold_articles.jsonl, gold_part_0..3.jsonl

No stance/sentiment labels are produced here. Keyword groups are used ONLY to choose which
candidates enter the pool (sampling strata); they are kept in pool.jsonl (`stratum`, for
re-weighting) but stripped from the shards handed to labellers so they do not prime labels.

Offsets: `start`/`end` are Python str (Unicode code point) offsets into the article `text`.
For a direct quote split around its attribution ("A," she said, "B.") the candidate has
`spans` = [[s1,e1],[s2,e2]]; `text` == " ".join(article[s:e] for s,e in spans), start = s1,
end = e2. Otherwise spans == [[start, end]] and text == article[start:end].

stdlib only, deterministic (seed 13).
"""
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

SEED = 13
CORPORA = "/work/shared/corpora"
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
POOL_SIZE = 3000
N_SHARDS = 8
PER_ARTICLE_CAP = 4
OUTLET_CAP_FRAC = 0.08
TOPIC_CAP_FRAC = 0.12
YEAR_CAP_FRAC = 0.16
STRATUM_TARGET = {"coop": 0.40, "conflict": 0.30, "other": 0.30}
MIN_WORDS, MAX_WORDS = 5, 60
N_BLIND = 200
N_GOLD = 60

# ----------------------------------------------------------------------------- lexical resources
CUE_VERBS = (
    r"said|says|say|told|tells|added|adds|warned|warns|urged|urges|called|accused|accuses|stated|"
    r"wrote|writes|declared|declares|vowed|vows|insisted|insists|stressed|stresses|argued|argues|"
    r"noted|announced|announces|explained|explains|asked|replied|responded|claimed|claims|"
    r"maintained|tweeted|posted|acknowledged|admitted|conceded|continued|concluded|suggested|"
    r"pledged|promised|threatened|demanded|remarked|observed|predicted|complained|emphasized|"
    r"emphasised|contended|countered|cautioned|testified|according to"
)
CUE_RE = re.compile(r"\b(?:%s)\b" % CUE_VERBS, re.I)
# verbs used for indirect speech "X said (that) ..." (a narrower, less ambiguous set)
IND_VERBS = (r"said|says|added|warned|stated|declared|insisted|stressed|argued|noted|announced|"
             r"claimed|acknowledged|admitted|conceded|explained|maintained|contended|predicted|"
             r"cautioned|emphasized|emphasised|told (?:reporters|journalists|lawmakers|the [A-Za-z]+(?: [A-Z][\w.]*)*|"
             r"[A-Z][\w.]*(?: [A-Z][\w.]*)*|him|her|them|us|me)")
DAY = (r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|"
       r"last week|this week|last month|on Twitter|in a statement|in an interview|in a speech)")
IND_A = re.compile(
    r"(?P<cue>\b(?:%s))\b(?P<adj>(?:,?\s+(?:on\s+)?%s)*)"
    r"(?:(?P<that>[^.,;:!?\"“”]{0,50}?,?\s+that\s+)|\s+(?=(?:the|a|an|he|she|it|they|we|I|his|her|"
    r"their|its|there|this|these|those|no|any|[A-Z][a-z]+)\b))" % (IND_VERBS, DAY))
AUX = re.compile(r"\b(?:is|was|were|are|would|will|had|has|have|could|should|must|did|does|do|can|"
                 r"may|might|wanted|wants|needed|needs|planned|plans)\b")
IND_B = re.compile(   # "Content, X said."  /  "Content, said X."
    r"^(?P<c>.{20,}?),\s+(?:(?P<s1>[^,;:\"“”]{2,70}?)\s+(?P<v1>said|says|added|warned|noted|argued|"
    r"insisted|stressed|wrote|explained|told [^,.]{2,40}?|claimed|predicted)|(?P<v2>said|says|added|"
    r"warned|noted|argued)\s+(?P<s2>[^\"“”]{2,90}?))(?:\s+(?:on\s+)?%s)?\s*[.!?]?$" % DAY)
ACC_B = re.compile(r"^(?P<c>.{20,}?),\s+according to\s+(?P<s>[^\"“”]{2,90}?)[.!?]?$")
ACC_A = re.compile(r"^According to\s+(?P<s>[^,\"“”]{2,90}?),\s+(?P<c>.{20,})$")

PRONOUNS = {"he", "she", "they", "we", "i", "it", "you", "him", "her", "them"}
ABBREV = {"mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "st", "jr", "sr",
          "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec",
          "no", "vs", "inc", "co", "corp", "prof", "rev", "d.c", "calif", "fla", "ill", "mass",
          "pa", "va", "n.y", "ariz", "wash", "mich", "ohio", "tex", "ga", "minn", "wis", "e.g",
          "i.e", "etc", "a.m", "p.m", "ft", "mt", "pres", "atty", "supt", "capt", "cmdr", "adm"}

COOP_RE = re.compile(
    r"\b(?:talks|negotiat\w*|deal|deals|agree\w*|compromise\w*|ceasefire|cease-fire|peace\w*|"
    r"cooperat\w*|co-operat\w*|bipartisan\w*|work together|working together|welcom\w*|dialogue|"
    r"reconcil\w*|truce|partnership\w*|hope\w*|hoping|common ground|unity|thank\w*)\b", re.I)
CONFLICT_RE = re.compile(
    r"\b(?:sanction\w*|threat\w*|reject\w*|condemn\w*|refus\w*|war|wars|attack\w*|tariff\w*|"
    r"retaliat\w*|never|unacceptable|strike|strikes|impeach\w*|fight\w*)\b", re.I)

# topic priority (oversampling weights)
PRIORITY_TOPICS = {
    # foreign affairs / war & peace / sanctions
    "foreign_policy": 3, "middle_east": 3, "world": 3, "north_korea": 3, "russia": 3, "israel": 3,
    "palestine": 3, "isis": 3, "china": 3, "europe": 3, "asia": 3, "africa": 3, "mexico": 3,
    "south_korea": 3, "great_britain": 3, "state_department": 3, "national_security": 3,
    "national_defense": 3, "defense": 3, "us_military": 3, "nuclear_weapons": 3, "terrorism": 3,
    # trade / labour
    "trade": 3, "labor": 3, "economy_and_jobs": 2, "economic_policy": 2,
    # elections / domestic politics
    "elections": 3, "politics": 3, "white_house": 3, "us_house": 3, "us_senate": 3,
    "us_congress": 3, "impeachment": 3, "republican_party": 3, "democratic_party": 3,
    "federal_budget": 3, "fiscal_cliff": 3, "polarization": 2, "bridging_divides": 3,
    "campaign_rhetoric": 2, "tea_party": 2, "immigration": 2, "supreme_court": 2,
    "domestic_policy": 2, "taxes": 2, "healthcare": 2,
    # BBC corpus topics
    "bbc:politics": 3, "bbc:business": 2,
}


def topic_weight(corpus, topic):
    if corpus == "bbc":
        return PRIORITY_TOPICS.get("bbc:" + topic, 1)
    return PRIORITY_TOPICS.get(topic, 1)


# ----------------------------------------------------------------------------- text utilities
def paragraphs(text):
    """Yield (start, end) of paragraphs (split on newlines)."""
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            yield s, e


def is_boundary(p, i):
    """p[i] is in '.!?'; decide whether it ends a sentence."""
    j = i + 1
    while j < len(p) and p[j] in "\"”’')":
        j += 1
    if j < len(p) and not p[j].isspace():
        return False
    k = j
    while k < len(p) and p[k].isspace():
        k += 1
    if k < len(p) and not (p[k].isupper() or p[k] in "\"“‘(" or p[k].isdigit()):
        return False
    if p[i] == ".":
        m = re.search(r"([A-Za-z.]+)$", p[:i])
        if m:
            tok = m.group(1).lower().rstrip(".")
            if tok in ABBREV or len(tok) == 1:
                return False
    return True


def sentences(p, base=0):
    """Split paragraph string p into sentences, return [(start,end)] offsets + base."""
    out, s = [], 0
    for i, ch in enumerate(p):
        if ch in ".!?" and is_boundary(p, i):
            j = i + 1
            while j < len(p) and p[j] in "\"”’')":
                j += 1
            out.append((s, j))
            s = j
            while s < len(p) and p[s].isspace():
                s += 1
    if s < len(p):
        out.append((s, len(p)))
    return [(a + base, b + base) for a, b in out if b > a]


def nwords(s):
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", s))


def trim(text, s, e):
    """Trim whitespace and trailing , ; : from a span."""
    while s < e and text[s] in " \t,;:—–-":
        s += 1
    while e > s and text[e - 1] in " \t,;:—–-":
        e -= 1
    return s, e


LEAD_RE = re.compile(r"^(?:During|In|On|At|After|Before|Last|Earlier|Later|When|While|If|For|But|And|"
                     r"However|Meanwhile|Still|Yet|Asked|Speaking|Seizing|Since|Although|Though|As|"
                     r"Instead|Now|Then|Today|Yesterday|Recently|Separately|Also)\b")


def clean_hint(h):
    h = re.sub(r"\s+", " ", h.replace("\x00", ".")).strip(" ,;:—–-\"“”")
    if "," in h:
        head = h.split(",")[0].strip()
        if LEAD_RE.match(head) or not (nwords(head) <= 5 and re.match(r"^[A-Z]", head)):
            h = h.split(",")[-1]
        else:
            h = head
        h = h.strip(" ,;:—–-")
    h = re.sub(r"^(?:.*\s)?(?:and|but|when|while|because|as|if)\s*$", "", h).strip()
    h = re.sub(r"^(?:but|and|so|yet|then|meanwhile|however|also|still|instead)\s+", "", h, flags=re.I)
    h = re.sub(r"\b(?:also|later|previously|earlier|has|had|have|once|then)$", "", h).strip()
    w = h.split()
    if len(w) > 9:
        h = " ".join(w[-8:])
    return h


ABBR_DOT = re.compile(r"\b(Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|St|Jr|Sr|Prof|Rev|Capt|Adm|Sens|Reps|[A-Z])\.")


def mask_abbrev(p):
    """Same-length copy of p with abbreviation dots replaced by NUL (so offsets stay valid)."""
    return ABBR_DOT.sub(lambda m: m.group(1) + "\x00", p)


def find_quotes(p):
    """Return list of (qs, qe) of quote *content* within paragraph p (exclusive of marks)."""
    spans = []
    # curly quotes
    i = 0
    while True:
        a = p.find("“", i)
        if a < 0:
            break
        b = p.find("”", a + 1)
        nxt = p.find("“", a + 1)
        if b < 0:
            spans.append((a + 1, len(p), True))  # quote continues into next paragraph
            break
        if 0 <= nxt < b:  # unbalanced: skip the first opener
            i = nxt
            continue
        spans.append((a + 1, b, False))
        i = b + 1
    # straight quotes
    pos = [m.start() for m in re.finditer('"', p)]
    for k in range(0, len(pos) - 1, 2):
        spans.append((pos[k] + 1, pos[k + 1], False))
    if len(pos) % 2 == 1:
        spans.append((pos[-1] + 1, len(p), True))
    spans.sort()
    return spans


AFTER_RE = re.compile(r"^[\s,]*(?P<pre>[^.!?\"“”]{0,70}?)\b(?P<v>%s|According to)\b(?P<post>[^.!?\"“”;]{0,80})" % CUE_VERBS)


def attribution_after(p, qe):
    """Text right after a closing quote mark: returns (speaker_hint, cue, end_of_attr) or None."""
    rest = p[qe + 1: qe + 1 + 160]
    if not rest[:3].strip(" ") or rest.lstrip().startswith(("(", "—")) is None:
        pass
    m = AFTER_RE.match(rest)
    if not m:
        return None
    pre = m.group("pre")
    if not rest.lstrip().startswith(",") and not pre.strip() == "" and not re.match(r"^\s*[a-z]", rest):
        # text after the quote starts a new clause with a capital: accept only if short (X said)
        if nwords(pre) > 6:
            return None
    if nwords(pre) > 8:
        return None
    spk = pre.strip()
    if not spk or spk.lower() in {"it", "the statement"}:
        post = m.group("post")
        post = re.split(r",|\bin\b|\bon\b|\bduring\b|\bat\b|\bwhen\b|\bwho\b|\bafter\b", post)[0]
        spk = post if not spk else spk
        if m.group("v").lower().startswith("told"):
            spk = pre.strip()
    return clean_hint(spk), m.group("v"), qe + 1 + m.end()


BEFORE_RE = re.compile(r"(?P<pre>[^.!?\"“”]{0,120}?)\b(?P<v>%s|According to)\b(?P<post>[^.!?\"“”]{0,60})$" % CUE_VERBS)


def attribution_before(p, qs, sent_start):
    """Text in the same sentence before the opening quote mark."""
    lead = p[max(sent_start, qs - 1 - 200): qs - 1]
    if not lead.strip():
        return None
    if not re.search(r"(?:[:,]|\bthat|\bas)\s*$", lead):
        return None
    m = BEFORE_RE.search(lead)
    if not m:
        return None
    v = m.group("v")
    if v.lower() == "according to":
        spk = m.group("post")
    else:
        spk = m.group("pre")
        spk = re.split(r"[,;]\s*(?=[a-z]|[A-Z][a-z]+ (?:[A-Z]|\b))", spk)[-1] if "," in spk else spk
    return clean_hint(spk), v


# ----------------------------------------------------------------------------- extraction
def extract(art):
    text = art["text"]
    cands = []
    for ps, pe in paragraphs(text):
        p = text[ps:pe]
        pm = mask_abbrev(p)
        sents = sentences(p)
        def sent_start_of(off):
            for a, b in sents:
                if a <= off < b:
                    return a
            return 0
        qs_list = find_quotes(p)
        used = []
        direct = []
        for qs, qe, unclosed in qs_list:
            s, e = trim(p, qs, qe)
            if e <= s:
                continue
            att = None
            if not unclosed:
                att = attribution_after(pm, qe)
            pos = "after"
            if att is None:
                b = attribution_before(pm, qs, sent_start_of(max(0, qs - 1)))
                if b:
                    att = (b[0], b[1], None)
                    pos = "before"
            direct.append([s, e, att, pos])
        # merge split quotes: "A," she said, "B."
        merged = []
        i = 0
        while i < len(direct):
            s, e, att, pos = direct[i]
            spans = [(s, e)]
            if att and pos == "after" and i + 1 < len(direct):
                ns, ne, natt, npos = direct[i + 1]
                gap = p[e:ns]
                attr_end = att[2]
                if (attr_end is not None and len(gap) < 90 and re.match(r'^[,.]?\s*["”]', gap)
                        and re.search(r",\s*[\"“]$", gap) and ns - 1 >= attr_end - 3):
                    spans.append((ns, ne))
                    i += 1
            if att:
                merged.append((spans, att[0], att[1]))
            i += 1
        for spans, spk, cue in merged:
            stext = " ".join(p[a:b] for a, b in spans)
            if not (MIN_WORDS <= nwords(stext) <= MAX_WORDS):
                continue
            used.extend(spans)
            cands.append(dict(kind="direct", spans=[[a + ps, b + ps] for a, b in spans],
                              text=stext, speaker_hint=spk, cue=cue, para=(ps, pe)))
        # indirect speech, on sentences not overlapping any quote span
        quote_ranges = [(a, b) for a, b, _ in qs_list]
        for a, b in sents:
            if any(not (b <= qa - 1 or a >= qb + 1) for qa, qb in quote_ranges):
                continue
            sent = p[a:b]
            got = None
            m = ACC_A.match(sent)
            if m:
                got = (m.start("c"), m.end("c"), m.group("s"), "according to")
            if not got:
                m = ACC_B.match(sent)
                if m:
                    got = (m.start("c"), m.end("c"), m.group("s"), "according to")
            if not got:
                m = IND_B.match(sent)
                if m and not re.search(r"\b(?:said|says|told)\b", m.group("c")):
                    spk = m.group("s1") or m.group("s2") or ""
                    if nwords(spk) <= 8:
                        got = (m.start("c"), m.end("c"), spk, m.group("v1") or m.group("v2"))
            if not got:
                for m in IND_A.finditer(sent):
                    pre = sent[:m.start()]
                    if not pre.strip() or re.search(r"\b(?:as|it is|it was|so-|been|be|being|the)\s*$|\bwhat\s+\S+\s*$", pre, re.I):
                        continue
                    if re.search(r"(?:,|\bwho|\bwhich)\s*$", pre) and nwords(pre) < 3:
                        continue
                    if re.match(r"^\s*(?:When|If|After|Before|While|Although|Though|Because|As|Unless|Once|Since|Whether)\b", pre):
                        continue
                    cs, ce = m.end(), len(sent)
                    content = sent[cs:ce]
                    if not m.group("that") and not AUX.search(content):
                        continue
                    spk = pre.rstrip(" ,")
                    if "," in spk:
                        head = spk.split(",")[0]
                        spk = head if nwords(head) <= 5 and re.match(r"^[A-Z]", head) else spk.split(",")[-1]
                    got = (cs, ce, spk, m.group("cue"))
                    break
            if got:
                cs, ce, spk, cue = got
                cs, ce = trim(sent, cs, ce)
                stext = sent[cs:ce]
                if MIN_WORDS <= nwords(stext) <= MAX_WORDS and stext[:1].strip():
                    cands.append(dict(kind="indirect", spans=[[a + cs + ps, a + ce + ps]], text=stext,
                                      speaker_hint=clean_hint(spk), cue=cue, para=(ps, pe)))
    cands.sort(key=lambda c: c["spans"][0][0])
    out = []
    for c in cands:
        s, e = c["spans"][0][0], c["spans"][-1][1]
        ps, pe = c.pop("para")
        para = text[ps:pe]
        if len(para) > 600:
            mid = (s + e) // 2
            lo = max(ps, min(mid - 300, pe - 600))
            hi = min(pe, lo + 600)
            lo, hi = max(ps, min(lo, s)), max(hi, e)
            ctx = ("…" if lo > ps else "") + text[lo:hi] + ("…" if hi < pe else "")
        else:
            ctx = para
        c.update(start=s, end=e, context=ctx)
        if re.search(r"\bMORE\b", c["text"] + " " + c["speaker_hint"]):  # The Hill link debris
            continue
        out.append(c)
    return out


# ----------------------------------------------------------------------------- helpers
def h(s):
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16)


def split_of(article_id):
    r = h("split:" + article_id) % 100
    return "train" if r < 70 else ("dev" if r < 85 else "test")


def norm(s):
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def load():
    arts = []
    for fn, corpus in (("allsides_40mb.jsonl", "allsides"), ("bbc_news.jsonl", "bbc")):
        with open(os.path.join(CORPORA, fn), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                r["corpus"] = corpus
                r.setdefault("date", "")
                r["date"] = r.get("date") or ""
                arts.append(r)
    arts.sort(key=lambda r: (r["corpus"], r["id"]))
    return arts


def year_of(a):
    m = re.match(r"^(\d{4})", a["date"])
    if m:
        return m.group(1)
    return "bbc-2004/05" if a["corpus"] == "bbc" else "unknown"


def stratum(c):
    """Sampling stratum only (NOT a label): statement text first, then context."""
    if COOP_RE.search(c["text"]):
        return "coop"
    if CONFLICT_RE.search(c["text"]):
        return "conflict"
    if COOP_RE.search(c["context"]):
        return "coop"
    if CONFLICT_RE.search(c["context"]):
        return "conflict"
    return "other"


def main():
    rng = random.Random(SEED)
    arts = load()
    # de-duplicate articles (same text reprinted / repeated ids)
    seen, uniq, dup_keys = set(), [], {}
    for a in arts:
        k = norm(a["text"])[:400]
        kt = norm(a.get("title", ""))
        if not k or k in seen or (kt and len(kt) > 25 and ("t:" + kt) in seen):
            continue
        seen.add(k)
        if kt and len(kt) > 25:
            seen.add("t:" + kt)
        uniq.append(a)
    print(f"articles: {len(arts)} loaded, {len(uniq)} after de-duplication")
    by_id = {a["id"]: a for a in uniq}

    allc = []
    for a in uniq:
        for c in extract(a):
            c["article_id"] = a["id"]
            allc.append(c)
    print(f"raw candidates: {len(allc)} from {len(set(c['article_id'] for c in allc))} articles")
    # statement-level de-duplication (the same quote in several articles)
    seen_t, tmp = set(), []
    for c in allc:
        k = norm(c["text"])
        if k in seen_t:
            continue
        seen_t.add(k)
        tmp.append(c)
    allc = tmp
    for c in allc:
        c["stratum"] = stratum(c)
    print("candidates after text de-dup:", len(allc), dict(Counter(c["stratum"] for c in allc)))

    # ---- weighted sampling with caps (Efraimidis–Spirakis keys)
    outlet_cap = int(POOL_SIZE * OUTLET_CAP_FRAC)
    topic_cap = int(POOL_SIZE * TOPIC_CAP_FRAC)
    year_cap = int(POOL_SIZE * YEAR_CAP_FRAC)
    quota = {k: round(POOL_SIZE * v) for k, v in STRATUM_TARGET.items()}
    for c in allc:
        a = by_id[c["article_id"]]
        w = topic_weight(a["corpus"], a["topic"])
        c["_key"] = rng.random() ** (1.0 / w)
    n_art, n_out, n_top, n_year, n_str = Counter(), Counter(), Counter(), Counter(), Counter()
    chosen = []
    chosen_ids = set()
    # passes: first at most 2 per article to spread over articles, then up to the cap
    for art_cap in (2, PER_ARTICLE_CAP):
        for st in ("coop", "conflict", "other"):
            pool_st = sorted((c for c in allc if c["stratum"] == st), key=lambda c: -c["_key"])
            for c in pool_st:
                if n_str[st] >= quota[st]:
                    break
                if id(c) in chosen_ids:
                    continue
                a = by_id[c["article_id"]]
                y = year_of(a)
                if (n_art[a["id"]] >= art_cap or n_out[a["source"]] >= outlet_cap
                        or n_top[a["topic"]] >= topic_cap or n_year[y] >= year_cap):
                    continue
                chosen.append(c)
                chosen_ids.add(id(c))
                n_art[a["id"]] += 1; n_out[a["source"]] += 1; n_top[a["topic"]] += 1
                n_year[y] += 1; n_str[st] += 1

    # ---- build records; ids stable: <article_id>-<n> with n = index among the article's candidates
    per_article = defaultdict(list)
    for c in chosen:
        per_article[c["article_id"]].append(c)
    records = []
    for aid in sorted(per_article):
        a = by_id[aid]
        for n, c in enumerate(sorted(per_article[aid], key=lambda c: c["start"])):
            records.append(dict(
                id=f"{aid}-{n}", article_id=aid, corpus=a["corpus"], source=a["source"],
                date=a["date"], year=year_of(a), topic=a["topic"], title=a.get("title", ""),
                split=split_of(aid), kind=c["kind"], text=c["text"], start=c["start"], end=c["end"],
                spans=c["spans"], context=c["context"], speaker_hint=c["speaker_hint"],
                cue=c["cue"], stratum=c["stratum"]))
    # sanity: offsets
    for r in records:
        t = by_id[r["article_id"]]["text"]
        assert r["text"] == " ".join(t[s:e] for s, e in r["spans"]), r["id"]
        assert r["start"] == r["spans"][0][0] and r["end"] == r["spans"][-1][1]

    # ---- shards: shuffle articles deterministically, assign greedily to the lightest shard
    aids = sorted(per_article)
    rng_sh = random.Random(SEED)
    rng_sh.shuffle(aids)
    load_ = [0] * N_SHARDS
    shard_of = {}
    for aid in aids:
        k = min(range(N_SHARDS), key=lambda i: (load_[i], i))
        shard_of[aid] = k
        load_[k] += len(per_article[aid])
    order = {aid: i for i, aid in enumerate(aids)}
    records.sort(key=lambda r: (order[r["article_id"]], r["start"]))
    for r in records:
        r["shard"] = shard_of[r["article_id"]]

    with open(os.path.join(OUT_DIR, "pool.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    hidden = {"stratum", "cue"}  # sampling metadata kept out of labeller shards
    for k in range(N_SHARDS):
        with open(os.path.join(OUT_DIR, f"shard_{k}.jsonl"), "w", encoding="utf-8") as f:
            for r in records:
                if r["shard"] == k:
                    f.write(json.dumps({x: v for x, v in r.items() if x not in hidden},
                                       ensure_ascii=False) + "\n")
    ids_sorted = sorted(r["id"] for r in records)
    blind = random.Random(SEED).sample(ids_sorted, N_BLIND)
    with open(os.path.join(OUT_DIR, "blind_sample_ids.txt"), "w") as f:
        f.write("\n".join(blind) + "\n")

    # ---- gold extraction set: articles NOT in any shard (nor duplicates of them)
    pool_keys = set()
    for aid in per_article:
        a = by_id[aid]
        pool_keys.add(norm(a["text"])[:400]); pool_keys.add("t:" + norm(a.get("title", "")))
    cand_by_art = defaultdict(list)
    for c in allc:
        cand_by_art[c["article_id"]].append(c)
    gold_pool = []
    for a in uniq:
        if a["id"] in per_article or not (1500 <= len(a["text"]) <= 5000):
            continue
        if norm(a["text"])[:400] in pool_keys or ("t:" + norm(a.get("title", ""))) in pool_keys:
            continue
        dq = [c for c in cand_by_art[a["id"]] if c["kind"] == "direct"]
        named = {c["speaker_hint"].lower() for c in dq
                 if c["speaker_hint"] and c["speaker_hint"].lower() not in PRONOUNS}
        if len(dq) >= 3 and len(named) >= 2:
            gold_pool.append(a)
    rng_g = random.Random(SEED)
    rng_g.shuffle(gold_pool)
    gold, g_out, g_top = [], Counter(), Counter()
    target_bbc = 20
    for a in gold_pool:  # BBC corpus: 20 articles, max 6 per topic
        if a["corpus"] == "bbc" and g_out["bbc-corpus"] < target_bbc and g_top["bbc:" + a["topic"]] < 6:
            gold.append(a); g_out["bbc-corpus"] += 1; g_top["bbc:" + a["topic"]] += 1
    for a in gold_pool:  # AllSides: the rest, max 2 per outlet, max 5 per topic
        if len(gold) >= N_GOLD:
            break
        if a["corpus"] == "allsides" and g_out[a["source"]] < 2 and g_top[a["topic"]] < 5:
            gold.append(a); g_out[a["source"]] += 1; g_top[a["topic"]] += 1
    gold.sort(key=lambda a: (a["corpus"], a["id"]))
    random.Random(SEED).shuffle(gold)
    gold_recs = [dict(id=a["id"], text=a["text"], title=a.get("title", ""), source=a["source"],
                      date=a["date"], corpus=a["corpus"], topic=a["topic"]) for a in gold]
    with open(os.path.join(OUT_DIR, "gold_articles.jsonl"), "w", encoding="utf-8") as f:
        for g in gold_recs:
            f.write(json.dumps(g, ensure_ascii=False) + "\n")
    # parts: balance corpora (round-robin over the shuffled list, BBC first)
    ordered = [g for g in gold_recs if g["corpus"] == "bbc"] + [g for g in gold_recs if g["corpus"] != "bbc"]
    for k in range(4):
        with open(os.path.join(OUT_DIR, f"gold_part_{k}.jsonl"), "w", encoding="utf-8") as f:
            for g in ordered[k::4]:
                f.write(json.dumps(g, ensure_ascii=False) + "\n")
    assert not ({g["id"] for g in gold_recs} & set(per_article))

    # ---- report
    def show(title, cnt, n=None):
        print(f"\n== {title} ({len(cnt)} distinct)")
        for k, v in cnt.most_common(n):
            print(f"  {v:5d}  {k}")
    print(f"\nPOOL: {len(records)} candidates from {len(per_article)} articles")
    show("per corpus", Counter(r["corpus"] for r in records))
    show("per source (top 30)", Counter(r["source"] for r in records), 30)
    show("per topic (top 40)", Counter(r["topic"] for r in records), 40)
    show("per year", Counter(r["year"] for r in records))
    show("per split (candidates)", Counter(r["split"] for r in records))
    show("per split (articles)", Counter(split_of(a) for a in per_article))
    show("per keyword stratum", Counter(r["stratum"] for r in records))
    show("kind", Counter(r["kind"] for r in records))
    show("per shard (candidates)", Counter(r["shard"] for r in records))
    print("\nkeyword flags (non-exclusive): text~coop %d, text~conflict %d, ctx~coop %d, ctx~conflict %d" % (
        sum(bool(COOP_RE.search(r["text"])) for r in records),
        sum(bool(CONFLICT_RE.search(r["text"])) for r in records),
        sum(bool(COOP_RE.search(r["context"])) for r in records),
        sum(bool(CONFLICT_RE.search(r["context"])) for r in records)))
    print("empty speaker_hint:", sum(1 for r in records if not r["speaker_hint"]))
    print(f"\nGOLD: {len(gold_recs)} articles (from {len(gold_pool)} eligible)")
    show("gold per corpus", Counter(g["corpus"] for g in gold_recs))
    show("gold per source", Counter(g["source"] for g in gold_recs))
    print("gold parts:", [len(ordered[k::4]) for k in range(4)])


if __name__ == "__main__":
    main()
