"""CoinJoin/mixer use and rapid layering through fresh one-time addresses.

CoinJoins are not re-detected here: the clustering already ran the Dumplings-style protocol
detectors (:mod:`ledgerhound.cluster.coinjoin`) and stored them in ``coinjoins.parquet``; each
becomes a ``coinjoin-use`` finding with its protocol, confidence and participant addresses (FATF
A5). Whirlpool Tx0s the per-transaction detector missed are added by Dumplings' parent rule (a
transaction with an OP_RETURN output that funds a detected Whirlpool mix). A CoinJoin is never
a donation campaign or a hub (those detectors exclude it).

Rapid layering (typologies.md 2-3: the third charity's address "layered through 2-3 fresh
addresses into the hub"): a run of at least ``min_hops`` single-output transactions, each
spending the previous one's only output within ``max_gap`` blocks, where every intermediate
address received exactly once and was spent exactly once. Hops spending CoinJoin outputs are
post-mix wallet housekeeping, reported as CoinJoin use instead. The finding lists the hop
transactions and names the exit (the address the run finally paid).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

COINJOIN = "coinjoin-use"
LAYERING = "rapid-layering"
METHOD = "stored CoinJoin verdicts; runs of fast single-output hops through one-time addresses"


@dataclass(frozen=True)
class LayeringParams:
    min_hops: int = 2  # single-output hops into one-time addresses
    max_gap: int = 3  # blocks between receiving and spending at each hop


COINJOINS = """
SELECT j.txid, j.height, j.protocol, j.confidence, j.evidence,
       (SELECT list(DISTINCT i.prev_address ORDER BY i.prev_address) FROM inputs i
        WHERE i.txid = j.txid AND i.prev_address IS NOT NULL),
       (SELECT sum(value) FROM coin c WHERE c.txid = j.txid)
FROM coinjoin_tx j WHERE j.txid IN (SELECT txid FROM coin) ORDER BY j.height, j.txid
"""

TX0 = """
SELECT t.txid, t.height, count(DISTINCT c.spent_by),
       (SELECT list(DISTINCT i.prev_address ORDER BY i.prev_address) FROM inputs i
        WHERE i.txid = t.txid AND i.prev_address IS NOT NULL), t.output_value
FROM transactions t JOIN coin c ON c.txid = t.txid
JOIN coinjoin_tx j ON j.txid = c.spent_by AND j.protocol = 'whirlpool'
WHERE t.txid NOT IN (SELECT txid FROM coinjoin_tx)
  AND t.txid IN (SELECT txid FROM outputs WHERE script_type = 'nulldata')
GROUP BY t.txid, t.height, t.output_value ORDER BY t.height, t.txid
"""

HOPS = """
CREATE OR REPLACE TEMP TABLE layer_hop AS
WITH single AS (
    SELECT c.txid, c.height, c.address, c.value, c.spent_by, c.spent_height
    FROM coin c JOIN transactions t ON t.txid = c.txid AND t.output_count = 1 AND NOT t.is_coinbase
    WHERE c.address IS NOT NULL AND c.txid NOT IN (SELECT txid FROM coinjoin_tx)
      AND c.txid NOT IN (SELECT i.txid FROM inputs i JOIN coinjoin_tx j ON j.txid = i.prev_txid)
), once AS (
    SELECT address FROM coin WHERE address IS NOT NULL GROUP BY address HAVING count(*) = 1
)
SELECT s.* FROM single s JOIN once USING (address)
WHERE s.spent_by IS NOT NULL AND s.spent_height - s.height <= ?
  AND s.spent_by IN (SELECT txid FROM transactions WHERE output_count = 1)
"""

RUNS = """
WITH RECURSIVE walk AS (
    SELECT h.txid AS head, h.txid, 1 AS step FROM layer_hop h
    WHERE h.txid NOT IN (SELECT spent_by FROM layer_hop)
    UNION ALL
    SELECT w.head, n.txid, w.step + 1 FROM walk w JOIN layer_hop h ON h.txid = w.txid
    JOIN layer_hop n ON n.txid = h.spent_by WHERE w.step < 100
)
SELECT w.head, count(*), list(w.txid ORDER BY w.step), list(h.address ORDER BY w.step),
       min(h.height), max(h.spent_height), arg_max(h.spent_by, w.step), arg_min(h.value, w.step)
FROM walk w JOIN layer_hop h USING (txid) GROUP BY w.head HAVING count(*) >= ?
"""


TX0_RULE = "Dumplings: a parent of a Whirlpool mix input that has an OP_RETURN output"


def coinjoins(ctx: ScanContext) -> list[Finding]:
    """One ``coinjoin-use`` finding per stored CoinJoin, plus Whirlpool Tx0s it missed."""
    findings = []
    for txid, height, protocol, confidence, evidence, addrs, value in ctx.rows(COINJOINS):
        ev = {"protocol": protocol, "detector": json.loads(evidence or "{}")}
        findings.append(
            Finding(COINJOIN, int(confidence), list(addrs or []), [txid], int(value or 0),
                    height, height, ev, ["A5"])
        )  # fmt: skip
    for txid, height, mixes, addrs, value in ctx.rows(TX0):
        ev = {"protocol": "whirlpool_tx0", "rule": TX0_RULE, "whirlpool_mixes_funded": int(mixes)}
        findings.append(
            Finding(COINJOIN, 60, list(addrs or []), [txid], int(value or 0), height, height, ev,
                    ["A5"])
        )  # fmt: skip
    return findings


def _exit(ctx: ScanContext, txid: str) -> dict:
    row = ctx.rows(
        "SELECT c.address, c.value, sv.label FROM coin c LEFT JOIN addr_cluster ac "
        "USING (address) LEFT JOIN service sv USING (cluster_id) WHERE c.txid = ?",
        [txid],
    )
    return {"exit_txid": txid, "exit_address": row[0][0], "exit_service": row[0][2]} if row else {}


def layering(ctx: ScanContext, params: LayeringParams = LayeringParams()) -> list[Finding]:
    """One ``rapid-layering`` finding per run of fast single-output one-time hops."""
    ctx.con.execute(HOPS, [params.max_gap])
    findings = []
    for _head, n, txids, addrs, first, last, nxt, value in ctx.rows(RUNS, [params.min_hops]):
        ev = {"hops": int(n), "one_time_addresses": list(addrs), "max_gap_blocks": params.max_gap,
              **_exit(ctx, nxt)}  # fmt: skip
        findings.append(
            Finding(LAYERING, min(80, 40 + 10 * int(n)), list(addrs), list(txids), int(value),
                    first, last, ev, ["T2"])
        )  # fmt: skip
    return findings


def detect(ctx: ScanContext, params: LayeringParams = LayeringParams()) -> list[Finding]:
    return coinjoins(ctx) + layering(ctx, params)
