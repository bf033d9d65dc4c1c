#!/usr/bin/env bash
# Training-time benchmark: 20,000 labelled sentences (ConfliBERT + UN QuadClass + the statement
# corpus, with NewsMTSC sentences as filler; the labels only need to be valid, the task is timing).
# Usage: scripts/train_time.sh [SHARED_DIR]   (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${1:-${STANCE_SHARED:-../shared}}"
WORK="target/train_time"
mkdir -p "$WORK"
python3 - "$SHARED" "$WORK/data.jsonl" <<'PY'
import json, sys
shared, out = sys.argv[1], sys.argv[2]
cb = {'0': 'neutral', '1': 'conciliatory', '2': 'conciliatory', '3': 'hardline', '4': 'hardline'}
uq = {'0': 'neutral', '1': 'hardline', '2': 'hardline', '3': 'conciliatory', '4': 'conciliatory'}
rows = []
for l in open(f'{shared}/data/stance/conflibert_cameo_train.tsv', encoding='utf-8'):
    t, lab = l.rstrip('\n').split('\t'); rows.append((t, cb[lab]))
for i, l in enumerate(open(f'{shared}/data/stance/un_quadclass_en.tsv', encoding='utf-8')):
    if i:
        t, lab = l.rstrip('\n').split('\t'); rows.append((t, uq[lab]))
for l in open('data/statements/train.jsonl', encoding='utf-8'):
    r = json.loads(l); rows.append((r['text'], r['stance']))
for split in ('dev', 'test', 'extra_neutral'):
    for l in open(f'data/statements/{split}.jsonl', encoding='utf-8'):
        r = json.loads(l); rows.append((r['text'], r['stance']))
for name in ('newsmtsc_train', 'newsmtsc_devtest_rw'):
    for l in open(f'{shared}/data/sentiment/{name}.jsonl', encoding='utf-8'):
        r = json.loads(l); rows.append((r['sentence_normalized'], 'neutral'))
seen, n = set(), 0
with open(out, 'w', encoding='utf-8') as f:
    for t, lab in rows:
        if t in seen or n == 20000:
            continue
        seen.add(t); n += 1
        f.write(json.dumps({'text': t, 'label': lab}) + '\n')
print(f'{n} sentences', file=sys.stderr)
if n < 20000:
    sys.exit(f'only {n} distinct sentences found; the benchmark needs 20,000')
PY
cargo build --release -q
for mf in 10000 20000; do
  /usr/bin/time -f "max-features $mf: %e s wall, %M KB peak RSS" \
    target/release/stance train --task stance --data "$WORK/data.jsonl" --out "$WORK/model-$mf" --max-features "$mf"
done
