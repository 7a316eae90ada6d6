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


# The truth sets in SQL over the truth CSVs and the store: the same definitions as the module
# docstring, and bounded memory (Python dicts of every address did not fit 24 GB at 10M txs).
TRUTH_SQL = {
    "per-donor-campaign": """
        SELECT d.address FROM {donations} d JOIN {addresses} r USING (address)
        JOIN inputs i ON i.prev_txid = d.txid AND i.prev_vout = CAST(d.vout AS INTEGER)
        WHERE r.role IN ('per_donor', 'invoice') AND i.txid IN (SELECT txid FROM {consolidations})
    """,
    "static-address-crowdfunding": f"""
        SELECT address FROM {{donations}} GROUP BY address
        HAVING count(*) >= {TRUTH_MIN_DONATIONS}
    """,
    "aggregation-hub-redistribution": (
        "SELECT txid FROM {transactions} WHERE kind = 'hub_redistribution'"
    ),
    "peel-chain": "SELECT txid FROM {peel_hops}",
    "coinjoin-use": "SELECT txid FROM {coinjoins}",
    "rapid-layering": "SELECT txid FROM {transactions} WHERE kind = 'layering'",
    "exchange-deposit-address": """
        SELECT o.address FROM outputs o JOIN {addresses} r ON r.address = o.address
        LEFT JOIN inputs i ON i.prev_txid = o.txid AND i.prev_vout = o.vout
        LEFT JOIN {transactions} k ON k.txid = i.txid
        WHERE r.role = 'deposit' GROUP BY o.address
        HAVING bool_and(coalesce(k.kind = 'exchange_sweep', false))
    """,
    "unlicensed-broker-behaviour": """
        SELECT DISTINCT o.address FROM outputs o JOIN {addresses} r USING (address)
        WHERE r.entity_kind = 'broker'
    """,
    "structuring": "SELECT txid FROM {transactions} WHERE kind = 'structuring'",
    "dormant-burst": """
        SELECT DISTINCT i.prev_address FROM inputs i
        JOIN {transactions} k ON k.txid = i.txid AND k.kind = 'dormant_wakeup'
        JOIN {addresses} r ON r.address = i.prev_address AND r.role = 'dormant'
    """,
}
TRUTH_FILES = ("addresses", "transactions", "donations", "consolidations", "peel_hops", "coinjoins")


def _truth_views(con: Any, ctx: EvalContext) -> dict[str, str]:
    names = {}
    for name in TRUTH_FILES:
        path = str(ctx.truth_dir / f"{name}.csv").replace("'", "''")
        con.execute(f"CREATE OR REPLACE TEMP VIEW truth_{name} AS SELECT * FROM read_csv("
                    f"'{path}', header = true, all_varchar = true)")  # fmt: skip
        names[name] = f"truth_{name}"
    return names


def truth_sets(ctx: EvalContext) -> dict[str, set[str]]:
    """The true-positive set of each scored typology, from the scenario's truth files."""
    con = ctx.store.connect()
    try:
        names = _truth_views(con, ctx)
        return {
            typology: {r[0] for r in con.execute(sql.format(**names)).fetchall()}
            for typology, sql in TRUTH_SQL.items()
        }
    finally:
        con.close()


def _over_attributed(ctx: EvalContext, addresses: set[str]) -> int:
    """Predicted broker addresses that belong to any entity other than the broker."""
    con = ctx.store.connect()
    try:
        names = _truth_views(con, ctx)
        row = con.execute(
            f"SELECT count(*) FROM (SELECT unnest(?::VARCHAR[]) AS address) p LEFT JOIN "
            f"{names['addresses']} r USING (address) WHERE r.entity_kind IS DISTINCT FROM 'broker'",
            [sorted(addresses)],
        ).fetchone()
        return int(row[0])
    finally:
        con.close()


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
    results: dict[str, Any] = {}
    for name, unit in UNIT.items():
        predicted = {x for f in report["findings"] if f["typology"] == name for x in f[unit]}
        results[name] = {"unit": unit, "findings": report["counts"][name],
                         **set_scores(truth[name], predicted)}  # fmt: skip
    broker = {a for f in report["findings"] if f["typology"] == "unlicensed-broker-behaviour"
              for a in f["addresses"]}  # fmt: skip
    results["unlicensed-broker-behaviour"]["over_attributed_addresses"] = _over_attributed(
        ctx, broker
    )
    first_five = list(UNIT)[:5]
    return {
        "detectors": results,
        "data_fingerprint": report["data_fingerprint"],
        "score": round(sum(results[n]["f1"] for n in first_five) / len(first_five), 6),
    }
