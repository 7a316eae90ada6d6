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
echo "== 3. The investigation: posts -> seeds -> wallets -> donors' sources -> cash-out points"
"$LH" --store "$STORE" case new demo --title "Simulated campaigns (seed 1)" > /dev/null
"$LH" --store "$STORE" case note demo "seeds taken from the campaigns' posts" > /dev/null
"$LH" --store "$STORE" investigate --posts "$CASE/posts" --case demo --out "$OUT/report" \
    --input "$CASE/blocks" --input "$CASE/intel" --json > "$OUT/investigate.json"
"$LH" --store "$STORE" case verify demo
"$PY" - "$OUT/investigate.json" "$OUT/report/report.json" <<'PYEOF'
import json, sys
run = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
s = run["summary"]
print(f"report: {run['out']}/report.html (+ report.json, flows.graphml, findings.csv, "
      "stix-bundle.json, findings.tagpack.yaml, manifest.json)")
print(f"1. seeds: {s['seeds_in_store']} solicitation addresses from the posts, in {s['wallets']} wallets")
top = ", ".join(f"{x['service']} {x['btc']} BTC" for x in rep["cash_outs_by_service"][:4])
print(f"2. cash-out points: {s['cash_out_points']} deposits at {s['cash_out_services']} services ({top})")
src = ", ".join(x["service"] for x in rep["donor_sources_by_service"][:4])
print(f"3. donors' coins came from: {src or 'no attributed service'}")
ty = rep["typologies"]
counts = ", ".join(f"{k} {v}" for k, v in (ty.get("counts") or {}).items() if v)
print(f"4. typologies: {ty.get('note') or counts + ' (heuristic findings)'}")
print(f"5. data {rep['data']['fingerprint'][:16]}..., policy {rep['parameters']['policy']}, "
      f"prices: {rep['prices']['file']}; rerun gives the same SHA-256s (manifest.json)")
PYEOF
echo
echo "demo written to $OUT (report: $OUT/report/report.html)"
