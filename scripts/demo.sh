#!/usr/bin/env bash
# `make demo`: a real mainnet block, then a simulated terror-finance case from posts to cash-out.
set -euo pipefail
LH="${LH:-.venv/bin/ledgerhound}"
PY="${PY:-.venv/bin/python}"
OUT="${1:-build/demo}"
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== 1. A real block: Bitcoin mainnet block 413,567 (Bitcoin Core's benchmark block)"
"$LH" --store "$OUT/mainnet" ingest blocks tests/data/bitcoin/block413567.raw
"$LH" --store "$OUT/mainnet" stats
"$LH" --store "$OUT/mainnet" address 37fg2WxH8PNun92ZDmrjFX8J8qdZw2bqx3
"$LH" --store "$OUT/mainnet" export addresses --out "$OUT/mainnet-addresses.csv"

echo
echo "== 2. A simulated case (ledgerhound simulate --seed 1): known truth, real block files"
CASE="$OUT/case"
STORE="$OUT/case-store"
"$LH" simulate --seed 1 --size small --out "$CASE"
"$LH" --store "$STORE" ingest blocks "$CASE/blocks"
"$LH" --store "$STORE" cluster build
"$LH" --store "$STORE" tags import "$CASE/intel/tagpack.yaml" "$CASE/intel/sdn.xml"

echo
echo "-- addresses published in the posts (Telegram export, web pages):"
"$LH" --store "$STORE" osint extract "$CASE/posts" --link --json > "$OUT/osint.json"
"$PY" - "$OUT/osint.json" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
print(f"{s['unique_addresses']} addresses in {s['sources_with_addresses']} sources, "
      f"{s['solicitations']} solicitations, {s['invalid']} invalid candidates")
for link in doc.get("links", [])[:5]:
    cluster = link.get("cluster") or {}
    print(f"  {link['address']}: in store={link.get('present')}, received={link.get('received')}, "
          f"cluster size={cluster.get('size')}")
PYEOF

# the first published address the store holds that carries no service tag (a campaign's own)
SEED=$("$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(next(l['address'] for l in d['links'] if l.get('present') and not l.get('tags')))" "$OUT/osint.json")
echo
echo "-- follow the money forward from $SEED (haircut, stop at services):"
"$LH" --store "$STORE" trace "$SEED" --hops 8 --format graphml --out "$OUT/flows.graphml" > "$OUT/trace.txt"
head -16 "$OUT/trace.txt"
echo
echo "-- screen the published address:"
"$LH" --store "$STORE" screen "$SEED"
echo
echo "-- how good are these methods on this scenario? (ledgerhound evaluate)"
"$LH" evaluate "$CASE" --metric clustering --metric coinjoin_detection --metric tracing > "$OUT/evaluate.txt"
head -40 "$OUT/evaluate.txt"
echo
echo "demo written to $OUT (flow graph: $OUT/flows.graphml)"
