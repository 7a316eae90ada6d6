"""Structuring (amounts kept just under a threshold) and dormant-then-active bursts (FATF T1, T2).

No historical price series is in the store, so the structuring threshold is a satoshi amount
(default 10,000,000 sat, about $1,000 at 2019-20 prices, the FATF travel-rule scale): a cluster
that sends at least ``min_count`` outside payments each within ``margin`` below the threshold,
making up at least ``min_share`` of its outside payments, is reported. A dormant burst is an
address silent for at least ``dormant_blocks`` after its last activity that then takes part in at
least ``burst_count`` transactions within ``burst_blocks``. Neither pattern is modelled by the
simulator, so neither has a measured F1 (docs/methods/typologies.md); both are leads, not proof.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

STRUCTURING = "structuring"
DORMANT = "dormant-burst"
METHOD = "payments just under a satoshi threshold; activity after a long silence"


@dataclass(frozen=True)
class StructuringParams:
    threshold_sats: int = 10_000_000
    margin: float = 0.1  # "just under": within 10 % below the threshold
    min_count: int = 5
    min_share: float = 0.5
    dormant_blocks: int = 52_560  # about one year of blocks
    burst_blocks: int = 144  # about one day
    burst_count: int = 3


STRUCT_SQL = """
SELECT s.cluster_id, count(*) AS n,
       count(*) FILTER (WHERE c.value >= ? AND c.value < ?) AS under,
       sum(c.value) FILTER (WHERE c.value >= ? AND c.value < ?),
       list(DISTINCT c.txid ORDER BY c.txid) FILTER (WHERE c.value >= ? AND c.value < ?),
       list(DISTINCT c.address ORDER BY c.address) FILTER (WHERE c.value >= ? AND c.value < ?),
       min(c.height), max(c.height)
FROM tx_src s JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address
WHERE ac.cluster_id <> s.cluster_id AND s.cluster_id NOT IN (SELECT cluster_id FROM service)
GROUP BY s.cluster_id HAVING under >= ?
"""

DORMANT_SQL = """
WITH act AS (
    SELECT DISTINCT address, txid, height FROM transfers WHERE address IS NOT NULL
      AND txid IN (SELECT txid FROM coin)
), gaps AS (
    SELECT address, txid, height, height - lag(height) OVER w AS gap,
           lead(height, ? - 1) OVER w AS burst_end
    FROM act WINDOW w AS (PARTITION BY address ORDER BY height, txid)
)
SELECT address, height, gap, burst_end, txid FROM gaps
WHERE gap >= ? AND burst_end IS NOT NULL AND burst_end - height <= ?
ORDER BY address, height
"""


def structuring(ctx: ScanContext, params: StructuringParams = StructuringParams()) -> list[Finding]:
    """One finding per non-service cluster whose outside payments sit just under the threshold."""
    lo, hi = int(params.threshold_sats * (1 - params.margin)), params.threshold_sats
    args = [lo, hi] * 4 + [params.min_count]
    findings = []
    for cluster, n, under, value, txids, addrs, first, last in ctx.rows(STRUCT_SQL, args):
        if under < params.min_share * n:
            continue
        ev = {"cluster": int(cluster), "outside_payments": int(n), "just_under": int(under),
              "band_sats": [lo, hi]}  # fmt: skip
        findings.append(
            Finding(STRUCTURING, 40, list(addrs), list(txids), int(value), first, last, ev, ["T1"])
        )
    return findings


def dormant(ctx: ScanContext, params: StructuringParams = StructuringParams()) -> list[Finding]:
    """One finding per address that wakes after ``dormant_blocks`` into a burst of activity."""
    args = [params.burst_count, params.dormant_blocks, params.burst_blocks]
    findings = []
    for address, height, gap, end, txid in ctx.rows(DORMANT_SQL, args):
        ev = {"silent_blocks": int(gap), "burst_transactions": params.burst_count,
              "burst_span_blocks": int(end - height)}  # fmt: skip
        findings.append(
            Finding(DORMANT, 30, [address], [txid], 0, int(height), int(end), ev, ["T2"])
        )
    return findings
