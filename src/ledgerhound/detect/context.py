"""The shared scan state: one DuckDB connection with the helper tables every detector joins.

Built once per scan in SQL (no per-transaction Python): ``coin`` (every output with the
transaction that spends it), ``addr_cluster`` (address -> co-spend cluster; an address without
a cluster is its own), ``service`` (clusters carrying a service tag such as an exchange, which
detectors must never call terrorist), ``sanctioned`` (addresses on an imported sanctions list),
``tx_src`` (each transaction's spending cluster) and ``coinjoin_tx`` (CoinJoins the clustering
detected). In ``--seed`` mode these, and the neighbourhood's ``transactions``, ``inputs`` and
``transfers`` (temp tables shadowing the store's views), are built from the flow graph for the
transactions around the seeds only (:mod:`ledgerhound.detect.neighbourhood`).
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

    def load(self, name: str, table: pa.Table, select: str = "*") -> None:
        """Temp table ``name`` from an Arrow table (``select``: the columns, maybe cast)."""
        self.con.register(f"{name}_arrow", table)
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select} FROM {name}_arrow"
            )
        finally:
            self.con.unregister(f"{name}_arrow")


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
    ctx.load("tagged", tagged)
    try:
        if seeds:
            _graph_scope(ctx, seeds, hops, tagged["address"].to_pylist())
        else:
            _coins(ctx)
            _address_clusters(ctx)
        _clusters(ctx)
        _sweep_targets(ctx)
    except BaseException:
        con.close()  # e.g. an unknown seed: the caller never receives the context to close
        raise
    return ctx


def _address_clusters(ctx: ScanContext) -> None:
    """``addr_cluster`` for every address (full scan)."""
    ctx.con.execute(
        "CREATE TEMP TABLE addr_cluster AS SELECT a.address, "
        "coalesce(c.cluster_id, -a.address_id - 1) AS cluster_id FROM addresses a "
        "LEFT JOIN clusters c USING (address_id)"
    )


def _clusters(ctx: ScanContext) -> None:
    """``service`` and ``tx_src`` (restricted to the neighbourhood in seed mode)."""
    con = ctx.con
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


def _graph_scope(ctx: ScanContext, seeds: list[str], hops: int, tagged: list[str]) -> None:
    """Seed mode: ``scope``, ``scope_addr``, ``coin``, ``addr_cluster`` and the neighbourhood's
    ``transactions``/``inputs``/``transfers`` as temp tables, from the flow graph
    (:mod:`ledgerhound.detect.neighbourhood`)."""
    from ledgerhound.detect import neighbourhood as nb
    from ledgerhound.trace.session import flow_graph, graph_clusters

    ctx.scoped = True
    graph = flow_graph(ctx.store, ctx.fingerprint)
    clusters = graph_clusters(ctx.con, ctx.root, graph)
    txs, addrs = nb.scope(graph, nb.address_ids(graph, seeds), hops, MAX_EXPAND_DEGREE,
                          MAX_EXPAND_TX)  # fmt: skip
    coin = nb.coin_table(graph, txs, addrs)
    tables = nb.transaction_tables(graph, nb.neighbourhood_txs(graph, txs, coin))
    tables |= {
        "scope": pa.table({"txid": nb.take_strings(graph.txids, txs)}),
        "scope_addr": pa.table({"address": nb.take_strings(graph.addresses, addrs)}),
        "coin": coin,
        "addr_cluster": nb.cluster_table(graph, clusters, coin, tables["inputs"], tagged),
    }
    for name, table in tables.items():
        ctx.load(name, table)
    ctx.con.execute(
        "CREATE TEMP VIEW transfers AS SELECT 'bitcoin' AS chain, 'BTC' AS asset, txid, height, "
        "CAST(vout AS BIGINT) AS position, address, 'in' AS direction, value FROM coin "
        "WHERE address IS NOT NULL AND height IS NOT NULL UNION ALL SELECT 'bitcoin', 'BTC', "
        "txid, height, CAST(NULL AS BIGINT), prev_address, 'out', prev_value FROM inputs "
        "WHERE prev_address IS NOT NULL AND height IS NOT NULL"
    )


def _coins(ctx: ScanContext) -> None:
    """``coin``: every output with the transaction spending it (full scan)."""
    ctx.con.execute(
        "CREATE TEMP TABLE coin AS SELECT o.txid, o.vout, o.height, o.value, o.address, "
        "i.txid AS spent_by, i.height AS spent_height FROM outputs o LEFT JOIN inputs i "
        "ON i.prev_txid = o.txid AND i.prev_vout = o.vout"
    )
