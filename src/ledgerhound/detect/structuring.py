"""Structuring (amounts kept just under a threshold) and dormant-then-active bursts (FATF T1, T2).

Structuring: reporting thresholds are fiat (FATF T1: travel-rule/KYC tiers around $1,000,
a $10,000 currency transaction report), so with a daily BTC/USD table (``ScanContext.prices``,
``ledgerhound detect --prices FILE``) every outside payment is valued at the rate of its block's
UTC day, in SQL (a temp table of daily rates joined on the block timestamp; no per-transaction
Python). A non-service cluster that sends at least ``min_count`` outside payments each within
``margin`` below ``threshold_usd``, making up at least ``min_share`` of its outside payments,
is reported; CoinJoins (whose equal ~0.1 BTC outputs sat just under $1,000 in 2019-20) and
multi-cluster spends are not payments of one wallet. A payment on a day the table lacks is
counted as a payment but never as "just under". Without a price table the old satoshi
threshold ``threshold_sats`` is used. The evidence names which threshold (and which price
file, by source and SHA-256) was applied.

Dormant burst: an address whose previous activity is at least ``dormant_days`` of block time
(header timestamps, not block counts: a chain's block rate is not a clock) before a transaction
that starts a burst of at least ``burst_count`` transactions within ``burst_hours``. Both are
leads, not proof: a merchant's fixed-price goods and a cold wallet moved after a year look alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

STRUCTURING = "structuring"
DORMANT = "dormant-burst"
METHOD = (
    "payments just under a fiat threshold at the day's BTC/USD rate (satoshi threshold without "
    "a price table); activity bursts after a long silence in block time"
)


@dataclass(frozen=True)
class StructuringParams:
    threshold_usd: int = 1_000  # FATF travel-rule / KYC tier scale
    threshold_sats: int = 10_000_000  # fallback without a price table (~$1,000 in 2019-20)
    margin: float = 0.1  # "just under": within 10 % below the threshold
    min_count: int = 5
    min_share: float = 0.5
    dormant_days: int = 365
    burst_hours: int = 24
    burst_count: int = 3


# ``pay``: every outside output of a non-service cluster, with ``under`` = just under the band;
# payments are counted as transactions (one transaction splitting into many in-band outputs is
# one payment, not many).
STRUCT_SQL = """
WITH pay AS (
    SELECT s.cluster_id, c.txid, c.address, c.value, c.height, {under} AS under
    FROM tx_src s JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address
    {join}
    WHERE ac.cluster_id <> s.cluster_id AND s.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND s.n_clusters = 1 AND s.txid NOT IN (SELECT txid FROM coinjoin_tx)
)
SELECT cluster_id, count(DISTINCT txid) AS n, count(DISTINCT txid) FILTER (WHERE under) AS n_under,
       sum(value) FILTER (WHERE under),
       list(DISTINCT txid ORDER BY txid) FILTER (WHERE under),
       list(DISTINCT address ORDER BY address) FILTER (WHERE under),
       min(height) FILTER (WHERE under), max(height) FILTER (WHERE under)
FROM pay GROUP BY cluster_id HAVING n_under >= ?
ORDER BY cluster_id
"""

SATS_UNDER = "(c.value >= ? AND c.value < ?)"
USD_UNDER = "coalesce(c.value * r.usd / 1e8 >= ? AND c.value * r.usd / 1e8 < ?, false)"
USD_JOIN = (
    "JOIN (SELECT height, min(timestamp) AS ts FROM blocks WHERE in_main_chain GROUP BY height) b "
    "ON b.height = c.height "
    "LEFT JOIN usd_rate r ON r.day = CAST(to_timestamp(b.ts) AT TIME ZONE 'UTC' AS DATE)"
)

DORMANT_SQL = """
WITH act AS (
    SELECT DISTINCT t.address, t.txid, t.height, b.ts FROM transfers t
    JOIN (SELECT height, min(timestamp) AS ts FROM blocks WHERE in_main_chain GROUP BY height) b
      ON b.height = t.height
    WHERE t.address IS NOT NULL AND t.txid IN (SELECT txid FROM coin)
), gaps AS (
    SELECT address, txid, height, ts, ts - lag(ts) OVER w AS gap,
           lead(ts, ? - 1) OVER w AS burst_end_ts, lead(height, ? - 1) OVER w AS burst_end
    FROM act WINDOW w AS (PARTITION BY address ORDER BY ts, height, txid)
)
SELECT address, height, gap, burst_end, burst_end_ts - ts, txid FROM gaps
WHERE gap >= ? AND burst_end IS NOT NULL AND burst_end_ts - ts <= ?
ORDER BY address, height
"""


def _rates(ctx: ScanContext) -> None:
    """``usd_rate(day, usd)``: the price table as a temp table (once per scan)."""
    prices = ctx.prices
    days = sorted(prices.rates)
    usd = [float(prices.rates[d]) for d in days]
    table = pa.table({"day": pa.array(days, pa.string()), "usd": pa.array(usd, pa.float64())})
    ctx.load("usd_rate", table, "CAST(day AS DATE) AS day, usd")


def structuring(ctx: ScanContext, params: StructuringParams = StructuringParams()) -> list[Finding]:
    """One finding per non-service cluster whose outside payments sit just under the threshold."""
    prices = ctx.prices
    if prices is not None:
        _rates(ctx)
        band: list = [params.threshold_usd * (1 - params.margin), params.threshold_usd]
        sql = STRUCT_SQL.format(under=USD_UNDER, join=USD_JOIN)
        source = {"source": prices.source, "sha256": prices.sha256}
        threshold: dict = {"usd": params.threshold_usd, "prices": source}
        key = "band_usd"
    else:
        band = [int(params.threshold_sats * (1 - params.margin)), params.threshold_sats]
        sql = STRUCT_SQL.format(under=SATS_UNDER, join="")
        threshold = {"sats": params.threshold_sats}
        key = "band_sats"
    findings = []
    for cluster, n, under, value, txids, addrs, first, last in ctx.rows(
        sql, [*band, params.min_count]
    ):
        if under < params.min_share * n:
            continue
        ev = {"cluster": int(cluster), "outside_payments": int(n), "just_under": int(under),
              key: band, "threshold": threshold}  # fmt: skip
        findings.append(
            Finding(STRUCTURING, 40, list(addrs), list(txids), int(value), first, last, ev, ["T1"])
        )
    return findings


def dormant(ctx: ScanContext, params: StructuringParams = StructuringParams()) -> list[Finding]:
    """One finding per address that wakes after ``dormant_days`` into a burst of activity."""
    n = params.burst_count
    args = [n, n, params.dormant_days * 86_400, params.burst_hours * 3_600]
    findings = []
    for address, height, gap, end, span, txid in ctx.rows(DORMANT_SQL, args):
        ev = {"silent_days": round(int(gap) / 86_400, 1), "burst_transactions": n,
              "burst_span_hours": round(int(span) / 3_600, 1),
              "burst_span_blocks": int(end - height)}  # fmt: skip
        findings.append(
            Finding(DORMANT, 30, [address], [txid], 0, int(height), int(end), ev, ["T2"])
        )
    return findings
