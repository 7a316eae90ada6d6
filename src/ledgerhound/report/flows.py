"""Cash-out points and donors' sources from a trace: where value stopped at a service.

Why per (address, transaction): legal process is served on a service for a deposit, so each row
names the service address, the transaction, its block time and the traced amount in sats, BTC
and USD at that day's rate. Amounts are the share the taint policy attributes to the seeds, never
the whole deposit (an exchange's or broker's other customers' money is not the seeds').
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from ledgerhound.market.prices import PriceTable
from ledgerhound.trace.result import Reason, TraceResult

STOPPED = (int(Reason.SERVICE), int(Reason.STOP_CATEGORY))


def btc(sats: int) -> str:
    return str((Decimal(sats) / Decimal(100_000_000)).quantize(Decimal("0.00000001")))


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Context:
    """What turns an output id into a readable, priced, attributed row."""

    graph: Any
    labels: Any
    block_time: dict[int, int]
    prices: PriceTable
    address_tags: dict[str, list[str]]  # address -> service labels from its own tags
    cluster_tags: dict[int, list[str]]  # cluster -> service labels of tagged members

    def service(self, a: int) -> tuple[list[str], str]:
        """Labels of the service at address id ``a`` and how they were attributed."""
        address = self.graph.address(a) or ""
        if self.address_tags.get(address):
            return self.address_tags[address], "tag on the address"
        c = self.labels.cluster(a)
        if c is not None and self.cluster_tags.get(c):
            return self.cluster_tags[c], f"tag on another address of its cluster (cluster:{c})"
        return [], "category only"

    def row(self, a: int, t: int, sats: int, hop: int) -> dict[str, Any]:
        height = int(self.graph.tx_height[t]) if t >= 0 else -1
        ts = self.block_time.get(height)
        names, via = self.service(a)
        usd = self.prices.usd(sats, ts)
        return {
            "address": self.graph.address(a),
            "cluster_id": self.labels.cluster(a),
            "service": names,
            "categories": list(self.labels.of(a)),
            "attribution": via,
            "txid": self.graph.txid(t) if t >= 0 else None,
            "height": height if height >= 0 else None,
            "time": iso(ts),
            "sats": int(sats),
            "btc": btc(int(sats)),
            "usd": usd,
            "usd_note": None if usd is not None else "no rate for that day in the price table",
            "hops": int(hop),
        }


def _collect(ctx: Context, items: list[tuple[int, int, int, int]]) -> list[dict[str, Any]]:
    """Aggregate (address id, tx, sats, hop) per (address, tx); largest first, then by name."""
    agg: dict[tuple[int, int], list[int]] = {}
    for a, t, v, h in items:
        row = agg.setdefault((a, t), [0, h])
        row[0] += v
        row[1] = min(row[1], h)
    rows = [ctx.row(a, t, v, h) for (a, t), (v, h) in agg.items() if v > 0]
    rows.sort(key=lambda r: (-r["sats"], r["address"] or "", r["txid"] or ""))
    return rows


def cash_outs(ctx: Context, result: TraceResult | None, direct: list[int]) -> list[dict]:
    """Forward endpoints stopped at a service, plus seed outputs that were already at one."""
    g = ctx.graph
    items = [(int(g.out_addr[o]), int(g.out_tx[o]), int(g.out_value[o]), 0) for o in direct]
    if result is not None:
        out, _, reason, value, hop, _ = result.trail.endpoint_arrays()
        keep = np.isin(reason, STOPPED) & (out >= 0)
        for o, v, h in zip(out[keep].tolist(), value[keep].tolist(), hop[keep].tolist(),
                           strict=True):  # fmt: skip
            items.append((int(g.out_addr[o]), int(g.out_tx[o]), int(v), int(h)))
    return _collect(ctx, items)


def sources(ctx: Context, result: TraceResult) -> list[dict]:
    """Backward endpoints at a service: where the donors' coins came from (the withdrawal tx)."""
    g = ctx.graph
    out, _, reason, value, hop, _ = result.trail.endpoint_arrays()
    keep = np.isin(reason, STOPPED) & (out >= 0)
    items = []
    for o, v, h in zip(out[keep].tolist(), value[keep].tolist(), hop[keep].tolist(), strict=True):
        items.append((int(g.out_addr[o]), int(g.out_spent_tx[o]), int(v), int(h)))
    return _collect(ctx, items)


def by_service(rows: list[dict]) -> list[dict[str, Any]]:
    """Totals per service name (or cluster when unnamed), for the summary."""
    agg: dict[str, list[int]] = {}
    for r in rows:
        name = (
            ", ".join(r["service"]) or f"cluster:{r['cluster_id']} ({', '.join(r['categories'])})"
        )
        row = agg.setdefault(name, [0, 0])
        row[0] += r["sats"]
        row[1] += 1
    out = [{"service": k, "sats": v, "btc": btc(v), "deposits": n} for k, (v, n) in agg.items()]
    out.sort(key=lambda r: (-r["sats"], r["service"]))
    return out
