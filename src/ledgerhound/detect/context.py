"""The shared scan state: one DuckDB connection with the helper tables every detector joins.

Built once per scan in SQL (no per-transaction Python): ``coin`` (every output with the
transaction that spends it), ``addr_cluster`` (address -> co-spend cluster; an address without
a cluster is its own), ``service`` (clusters carrying a service tag such as an exchange, which
detectors must never call terrorist), ``sanctioned`` (addresses on an imported sanctions list),
``tx_src`` (each transaction's spending cluster) and ``coinjoin_tx`` (CoinJoins the clustering
detected). In ``--seed`` mode the ``scope`` table restricts every detector to the transactions
around the seed addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ledgerhound.attribution import tagstore
from ledgerhound.attribution.taxonomy import SERVICE_CONCEPTS
from ledgerhound.cluster.build import cluster_dir
from ledgerhound.errors import StoreError

SWEEP_INPUTS = 3  # inputs of a single-output service transaction that we call a sweep
MAX_EXPAND_DEGREE = 200  # seed mode does not expand through addresses in more transactions
MAX_EXPAND_TX = 60  # ... nor through transactions with more inputs + outputs (batches, sweeps)


@dataclass
class ScanContext:
    """A store opened for detection; ``con`` holds the helper tables described above."""

    store: Any
    con: Any
    fingerprint: str
    scoped: bool = False
    notes: list[str] = field(default_factory=list)
    prices: Any = None  # a market.prices.PriceTable: fiat thresholds (structuring)

    @property
    def root(self) -> Path:
        return Path(self.store.root)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()


def _service_table(root: Path) -> pa.Table:
    """Addresses whose tags name a service (exchange, mixer...) or a sanctions listing."""
    tags = tagstore.load_tags(root).to_pylist()
    addrs, labels, kinds = [], [], []
    for t in tags:
        if not t.get("valid", True) or not t.get("address"):
            continue
        concepts = {t.get("category"), *(t.get("concepts") or [])}
        if concepts & SERVICE_CONCEPTS:
            kind = "service"
        elif "OFAC" in (t.get("label") or "") or "sanction" in (t.get("source") or "").lower():
            kind = "sanctioned"
        else:
            continue
        addrs.append(t["address"])
        labels.append(f"{t.get('label')} [{t.get('category') or 'sanctions list'}]")
        kinds.append(kind)
    return pa.table(
        {"address": pa.array(addrs, pa.string()), "label": pa.array(labels, pa.string()),
         "kind": pa.array(kinds, pa.string())}
    )  # fmt: skip


def open_context(
    store: Any, seeds: list[str] | None = None, hops: int = 2, prices: Any = None
) -> ScanContext:
    """Open ``store`` for a scan; the co-spend clustering must exist (it names the wallets)."""
    root = Path(store.root)
    parquet = cluster_dir(root) / "clusters.parquet"
    if not parquet.exists():
        raise StoreError(f"no clustering in {root} (run `ledgerhound cluster build` first)")
    con = store.connect()
    ctx = ScanContext(store, con, store.manifest().fingerprint, prices=prices)
    con.execute(f"CREATE OR REPLACE VIEW clusters AS SELECT * FROM read_parquet('{parquet}')")
    cj = cluster_dir(root) / "coinjoins.parquet"
    if cj.exists():
        con.execute(f"CREATE TEMP TABLE coinjoin_tx AS SELECT * FROM read_parquet('{cj}')")
    else:
        con.execute("CREATE TEMP TABLE coinjoin_tx (txid VARCHAR, protocol VARCHAR)")
    tagged = _service_table(root)
    con.register("tagged_arrow", tagged)
    con.execute("CREATE TEMP TABLE tagged AS SELECT * FROM tagged_arrow")
    con.unregister("tagged_arrow")
    if seeds:
        _scope(ctx, seeds, hops)
    _coins(ctx)
    _clusters(ctx)
    _sweep_targets(ctx)
    return ctx


def _clusters(ctx: ScanContext) -> None:
    """``addr_cluster``, ``service`` and ``tx_src`` (restricted to the scope in seed mode)."""
    con = ctx.con
    addresses = "addresses"
    if ctx.scoped:  # the scope's addresses first, then their clusters (not all addresses)
        addresses = (
            "(SELECT * FROM addresses WHERE address IN (SELECT address FROM coin UNION SELECT "
            "address FROM tagged UNION SELECT prev_address FROM inputs WHERE txid IN (SELECT "
            "txid FROM coin UNION SELECT spent_by FROM coin)))"
        )
    con.execute(
        "CREATE TEMP TABLE addr_cluster AS SELECT a.address, "
        f"coalesce(c.cluster_id, -a.address_id - 1) AS cluster_id FROM {addresses} a "
        "LEFT JOIN clusters c USING (address_id)"
    )
    con.execute(
        "CREATE TEMP TABLE service AS SELECT ac.cluster_id, min(t.label) AS label "
        "FROM tagged t JOIN addr_cluster ac USING (address) WHERE t.kind = 'service' "
        "GROUP BY ac.cluster_id"
    )
    scoped = " WHERE i.txid IN (SELECT txid FROM coin UNION SELECT spent_by FROM coin)"
    con.execute(
        "CREATE TEMP TABLE tx_src AS SELECT i.txid, min(ac.cluster_id) AS cluster_id, "
        "count(DISTINCT ac.cluster_id) AS n_clusters, count(*) AS n_in, "
        "sum(i.prev_value) AS in_value FROM inputs i JOIN addr_cluster ac "
        "ON ac.address = i.prev_address" + (scoped if ctx.scoped else "") + " GROUP BY i.txid"
    )


def _sweep_targets(ctx: ScanContext) -> None:
    """Extend ``service`` to the clusters a tagged service sweeps into (its hot wallet).

    A service co-spending at least ``SWEEP_INPUTS`` of its coins into a single output moves money
    internally (deposit addresses -> hot wallet); the hot wallet is rarely co-spent with the
    deposits, so co-spend clustering alone leaves it untagged and its batch payouts would look
    like a hub. Such labels end in "(swept into)" so the inference stays visible.
    """
    ctx.con.execute(
        "INSERT INTO service SELECT DISTINCT ac.cluster_id, min(sv.label) || ' (swept into)' "
        "FROM tx_src s JOIN service sv ON sv.cluster_id = s.cluster_id "
        "JOIN transactions t ON t.txid = s.txid AND t.output_count = 1 "
        "JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address "
        f"WHERE s.n_in >= {SWEEP_INPUTS} AND ac.cluster_id NOT IN (SELECT cluster_id FROM service) "
        "GROUP BY ac.cluster_id"
    )


def _scope(ctx: ScanContext, seeds: list[str], hops: int) -> None:
    """Transactions within ``hops`` steps of the seeds; busy addresses are not expanded through.

    An address in more than ``MAX_EXPAND_DEGREE`` transactions (an exchange hot wallet, a
    coordinator) is kept in scope but its other transactions are not followed, and the other
    participants of a transaction with more than ``MAX_EXPAND_TX`` inputs and outputs (an
    exchange's sweep or batch payout, a CoinJoin) are not expanded either, so the neighbourhood
    stays small on a large chain.
    """
    con = ctx.con
    ctx.scoped = True
    con.execute("CREATE TEMP TABLE scope_addr (address VARCHAR)")
    con.execute("CREATE TEMP TABLE frontier (address VARCHAR)")
    con.executemany("INSERT INTO frontier VALUES (?)", [[s] for s in sorted(set(seeds))])
    con.execute("CREATE TEMP TABLE scope (txid VARCHAR)")
    for _ in range(max(1, hops)):
        con.execute("INSERT INTO scope_addr SELECT address FROM frontier")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE step AS SELECT txid, address FROM outputs WHERE address "
            "IN (SELECT address FROM frontier) UNION SELECT txid, prev_address FROM inputs "
            "WHERE prev_address IN (SELECT address FROM frontier)"
        )
        con.execute(
            "INSERT INTO scope SELECT DISTINCT txid FROM step WHERE address IN (SELECT address "
            "FROM step GROUP BY address HAVING count(DISTINCT txid) <= ?) "
            "EXCEPT SELECT txid FROM scope",
            [MAX_EXPAND_DEGREE],
        )
        small = (
            "(SELECT txid FROM transactions WHERE txid IN (SELECT txid FROM scope) "
            f"AND input_count + output_count <= {MAX_EXPAND_TX})"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE frontier AS SELECT address FROM outputs WHERE txid IN "
            f"{small} AND address IS NOT NULL UNION SELECT prev_address FROM inputs WHERE txid "
            f"IN {small} AND prev_address IS NOT NULL EXCEPT SELECT address FROM scope_addr"
        )
    con.execute("INSERT INTO scope_addr SELECT address FROM frontier")


def _coins(ctx: ScanContext) -> None:
    """``coin``: outputs with the transaction spending each (in seed mode: the scope's outputs
    and every output paying an address in scope, so "received once" stays true)."""
    con = ctx.con
    outputs, inputs = "outputs", "inputs"
    if ctx.scoped:
        outputs = (
            "(SELECT * FROM outputs WHERE txid IN (SELECT txid FROM scope) "
            "OR address IN (SELECT address FROM scope_addr))"
        )
        inputs = f"(SELECT * FROM inputs WHERE prev_txid IN (SELECT txid FROM {outputs}))"
    con.execute(
        "CREATE TEMP TABLE coin AS SELECT o.txid, o.vout, o.height, o.value, o.address, "
        f"i.txid AS spent_by, i.height AS spent_height FROM {outputs} o LEFT JOIN {inputs} i "
        "ON i.prev_txid = o.txid AND i.prev_vout = o.vout"
    )
