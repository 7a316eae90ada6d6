"""The ``typologies`` evaluate metric: precision/recall/F1 of each detector against sim truth.

What counts as a true positive, per detector (docs/methods/typologies.md):

- per-donor-campaign: addresses (role ``per_donor`` or ``invoice``) that received a donation
  whose coin a recorded consolidation (``consolidations.csv``) then co-spent;
- static-address-crowdfunding: donation addresses that received at least
  ``TRUTH_MIN_DONATIONS`` donations (``donations.csv``);
- aggregation-hub-redistribution: ``hub_redistribution`` transactions;
- peel-chain: the transactions of ``peel_hops.csv``;
- coinjoin-use: the transactions of ``coinjoins.csv``;
- rapid-layering: ``layering`` transactions;
- exchange-deposit-address: ``deposit`` addresses all of whose coins an ``exchange_sweep`` spent;
- unlicensed-broker-behaviour: addresses of the broker entity that hold coins in the store
  (predicted addresses of any other entity are reported as ``over_attributed_addresses``);
- structuring: ``structuring`` transactions (the facilitator's sub-$1,000 exchange deposits),
  scored on txids because the finding lists exactly the just-under payments (its addresses are
  the exchanges' deposit addresses, which belong to the exchange, not to the structurer); the
  scan uses the bundled price table, which is the simulator's own BTC/USD series;
- dormant-burst: addresses with role ``dormant`` that a ``dormant_wakeup`` transaction spent,
  scored on addresses (the finding is about the address that woke; its txid is only the first
  of the burst).

The typologies ``score`` stays the mean F1 of the first five detectors.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ledgerhound.sim.evaluate import EvalContext, metric, set_scores

TRUTH_MIN_DONATIONS = 8


def _prepare(ctx: EvalContext) -> None:
    """Default clustering and the scenario's intel tags, as an investigator would have them."""
    from ledgerhound.attribution.importer import import_files
    from ledgerhound.cluster.build import build, cluster_dir

    if not (cluster_dir(ctx.store.root) / "clusters.parquet").exists():
        build(ctx.store)
    intel = [ctx.scenario / "intel" / n for n in ("tagpack.yaml", "sdn.xml")]
    import_files(ctx.store.root, [p for p in intel if p.exists()])


def _spenders(ctx: EvalContext) -> dict[tuple[str, int], str]:
    con = ctx.store.connect()
    try:
        rows = con.execute("SELECT prev_txid, prev_vout, txid FROM inputs").fetchall()
    finally:
        con.close()
    return {(t, int(v)): s for t, v, s in rows if t is not None}


def truth_sets(ctx: EvalContext) -> dict[str, set[str]]:
    """The true-positive set of each scored typology, from the scenario's truth files."""
    roles = {r["address"]: r for r in ctx.table("addresses")}
    kinds = {r["txid"]: r["kind"] for r in ctx.table("transactions")}
    spent = _spenders(ctx)
    consolidations = {r["txid"] for r in ctx.table("consolidations")}
    donations = ctx.table("donations")
    per_donor = {
        d["address"] for d in donations
        if roles.get(d["address"], {}).get("role") in ("per_donor", "invoice")
        and spent.get((d["txid"], int(d["vout"]))) in consolidations
    }  # fmt: skip
    counts = Counter(d["address"] for d in donations)
    deposit_spends: dict[str, set[str]] = {}
    con = ctx.store.connect()
    try:
        outs = con.execute("SELECT txid, vout, address FROM outputs WHERE address IS NOT NULL")
        for txid, vout, address in outs.fetchall():
            if roles.get(address, {}).get("role") == "deposit":
                deposit_spends.setdefault(address, set()).add(kinds.get(spent.get((txid, vout))))
    finally:
        con.close()
    wakeups = {t for t, k in kinds.items() if k == "dormant_wakeup"}
    woke = {a for a, r in roles.items() if r["role"] == "dormant"} & _input_addresses(ctx, wakeups)
    return {
        "per-donor-campaign": per_donor,
        "static-address-crowdfunding": {a for a, n in counts.items() if n >= TRUTH_MIN_DONATIONS},
        "aggregation-hub-redistribution": {
            t for t, k in kinds.items() if k == "hub_redistribution"
        },
        "peel-chain": {r["txid"] for r in ctx.table("peel_hops")},
        "coinjoin-use": {r["txid"] for r in ctx.table("coinjoins")},
        "rapid-layering": {t for t, k in kinds.items() if k == "layering"},
        "exchange-deposit-address": {
            a for a, ks in deposit_spends.items() if ks == {"exchange_sweep"}
        },
        "unlicensed-broker-behaviour": _broker_addresses(ctx, roles),
        "structuring": {t for t, k in kinds.items() if k == "structuring"},
        "dormant-burst": woke,
    }


def _input_addresses(ctx: EvalContext, txids: set[str]) -> set[str]:
    con = ctx.store.connect()
    try:
        rows = con.execute("SELECT txid, prev_address FROM inputs WHERE prev_address IS NOT NULL")
        return {a for t, a in rows.fetchall() if t in txids}
    finally:
        con.close()


def _broker_addresses(ctx: EvalContext, roles: dict[str, dict[str, str]]) -> set[str]:
    con = ctx.store.connect()
    try:
        seen = {r[0] for r in con.execute("SELECT DISTINCT address FROM outputs").fetchall()}
    finally:
        con.close()
    return {a for a in seen if roles.get(a, {}).get("entity_kind") == "broker"}


#: which part of a finding is scored: addresses or transactions
UNIT = {
    "per-donor-campaign": "addresses",
    "static-address-crowdfunding": "addresses",
    "aggregation-hub-redistribution": "txids",
    "peel-chain": "txids",
    "coinjoin-use": "txids",
    "rapid-layering": "txids",
    "exchange-deposit-address": "addresses",
    "unlicensed-broker-behaviour": "addresses",
    "structuring": "txids",
    "dormant-burst": "addresses",
}


@metric("typologies")
def typologies(ctx: EvalContext) -> dict[str, Any]:
    """Per-detector precision/recall/F1 on the scenario; ``score`` = mean F1 of the first five."""
    from ledgerhound.detect.run import scan
    from ledgerhound.market.prices import load_prices

    _prepare(ctx)
    report = scan(ctx.store, list(UNIT), prices=load_prices(None))
    truth = truth_sets(ctx)
    roles = {r["address"]: r["entity_kind"] for r in ctx.table("addresses")}
    results: dict[str, Any] = {}
    for name, unit in UNIT.items():
        predicted = {x for f in report["findings"] if f["typology"] == name for x in f[unit]}
        results[name] = {"unit": unit, "findings": report["counts"][name],
                         **set_scores(truth[name], predicted)}  # fmt: skip
    broker = {a for f in report["findings"] if f["typology"] == "unlicensed-broker-behaviour"
              for a in f["addresses"]}  # fmt: skip
    results["unlicensed-broker-behaviour"]["over_attributed_addresses"] = sum(
        1 for a in broker if roles.get(a) != "broker"
    )
    first_five = list(UNIT)[:5]
    return {
        "detectors": results,
        "data_fingerprint": report["data_fingerprint"],
        "score": round(sum(results[n]["f1"] for n in first_five) / len(first_five), 6),
    }
