"""Peel chains: a large coin paid out in small slices, the remainder hopping to fresh addresses.

Reuses the peel-step shape of :mod:`ledgerhound.cluster.peel` (1-2 inputs, 2 outputs, the smaller
output at least ``MIN_PEEL`` sat and the larger at least ``PEEL_RATIO`` times it) but finds every
chain at once instead of walking from a given start: a step is linked to the step spending its
remainder within ``max_gap`` blocks, and each connected set of at least ``min_length`` linked
steps is one chain, reported with its peeled recipients and how it ends (unspent, or the next
spender's shape; a tagged service there is a cash-out point). Two chains whose remainders merge
into one step form one finding. Peel chains are automated and fast: measured on simulated
scenarios, 90 % of hops spend the remainder within one block, while ordinary wallets spend their
change a median of five blocks later. An ordinary wallet paying twice from its change makes a
short run, which is why short runs are not reported.

Scales by construction: the steps come from plain aggregates over two-output transactions and
the chains from the compiled union-find over the links (memory linear in the number of steps),
not from a recursive query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ledgerhound.cluster.change import MIN_PEEL, PEEL_RATIO
from ledgerhound.cluster.unionfind import UnionFind
from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

TYPOLOGY = "peel-chain"
METHOD = "linked 1-2-input 2-output steps, remainder >= ratio x peel, followed onward"


@dataclass(frozen=True)
class PeelParams:
    min_length: int = 5  # linked steps
    min_peel: int = MIN_PEEL
    ratio: int = PEEL_RATIO
    max_gap: int = 1  # blocks between a step and the step spending its remainder


# Every peel-shaped transaction with a dense id; outputs pivoted by vout (exactly two).
STEPS = """
CREATE OR REPLACE TEMP TABLE peel_step AS
WITH two AS (
    SELECT txid, height FROM transactions
    WHERE output_count = 2 AND input_count <= 2 AND NOT is_coinbase
      AND txid NOT IN (SELECT txid FROM coinjoin_tx)
), outs AS (
    SELECT c.txid, any_value(two.height) AS height,
           max(c.value) FILTER (WHERE c.vout = 0) AS v0,
           max(c.value) FILTER (WHERE c.vout = 1) AS v1,
           max(c.address) FILTER (WHERE c.vout = 0) AS a0,
           max(c.address) FILTER (WHERE c.vout = 1) AS a1,
           max(c.spent_by) FILTER (WHERE c.vout = 0) AS s0,
           max(c.spent_by) FILTER (WHERE c.vout = 1) AS s1
    FROM coin c JOIN two USING (txid) GROUP BY c.txid HAVING count(*) = 2
)
SELECT (row_number() OVER () - 1)::INTEGER AS id, txid, height,
       least(v0, v1) AS peel, greatest(v0, v1) AS rest,
       CASE WHEN v0 < v1 THEN a0 ELSE a1 END AS peel_address,
       CASE WHEN v0 < v1 THEN s1 ELSE s0 END AS next
FROM outs WHERE least(v0, v1) >= $min_peel AND greatest(v0, v1) >= $ratio * least(v0, v1)
"""

LINKS = """
SELECT p.id, s.id FROM peel_step p JOIN peel_step s ON s.txid = p.next
WHERE s.height - p.height <= $max_gap
"""

# Chains that are one stretch of a service's payout stream: a hot wallet paying withdrawals one
# or a few at a time, each spending the previous change, looks like a peel chain between its
# batch payouts. A chain whose first step spends a service's coin, or that is entered or left
# within ``max_gap`` blocks through a single-input batch (>= 3 outputs) is such a stretch.
STREAM = """
CREATE OR REPLACE TEMP TABLE peel_payout_stream AS
WITH ends AS (
    SELECT m.chain, m.head, m.last, s.txid, s.height, s.next, t.cluster_id
    FROM peel_member m JOIN peel_step s USING (id) JOIN tx_src t ON t.txid = s.txid
    WHERE m.head OR m.last
), entered AS (  -- the head spends the remainder (largest output) of a single-input batch
    SELECT e.chain FROM ends e JOIN inputs i ON i.txid = e.txid
    JOIN transactions p ON p.txid = i.prev_txid AND p.input_count = 1 AND p.output_count >= 3
    JOIN coin c ON c.txid = i.prev_txid AND c.vout = i.prev_vout
    WHERE e.head AND e.height - p.height <= $max_gap
      AND c.value = (SELECT max(o.value) FROM coin o WHERE o.txid = p.txid)
)
SELECT chain FROM ends WHERE head AND cluster_id IN (SELECT cluster_id FROM service)
UNION SELECT chain FROM entered
UNION SELECT e.chain FROM ends e JOIN transactions n ON n.txid = e.next
WHERE e.last AND n.input_count = 1 AND n.output_count >= 3 AND n.height - e.height <= $max_gap
"""

CHAINS = """
SELECT m.chain, count(*), list(s.txid ORDER BY s.height, s.txid),
       list(s.peel_address ORDER BY s.height, s.txid), sum(s.peel), min(s.height), max(s.height),
       list(s.next ORDER BY m.last DESC, s.height DESC, s.txid)[1],
       list(s.rest ORDER BY m.last DESC, s.height DESC, s.txid)[1]
FROM peel_member m JOIN peel_step s USING (id)
WHERE m.chain NOT IN (SELECT chain FROM peel_payout_stream)
GROUP BY m.chain ORDER BY m.chain
"""


def _chains(ctx: ScanContext, params: PeelParams) -> None:
    """``peel_member(id, chain, last, head)``: steps of chains of at least ``min_length`` steps."""
    n = ctx.rows("SELECT count(*) FROM peel_step")[0][0]
    links = list(ctx.con.execute(LINKS, {"max_gap": params.max_gap}).fetchnumpy().values())
    src, dst = (np.asarray(col, dtype=np.int32) for col in links)
    forest = UnionFind.singletons(n)
    forest.unite(src, dst)
    labels = forest.labels()
    sizes = np.bincount(labels, minlength=n)
    members = np.flatnonzero(sizes[labels] >= params.min_length).astype(np.int32)
    has_next, has_prev = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    has_next[src] = True  # the step without a linked successor is where the chain ends
    has_prev[dst] = True  # ... and those without a linked predecessor are where it starts
    table = pa.table({"id": members, "chain": labels[members], "last": ~has_next[members],
                      "head": ~has_prev[members]})  # fmt: skip
    ctx.load("peel_member", table)


ENDS = """
SELECT e.next, t.input_count, t.output_count, (SELECT min(sv.label) FROM coin c JOIN addr_cluster
       ac USING (address) JOIN service sv USING (cluster_id) WHERE c.txid = t.txid)
FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS next) e JOIN transactions t ON t.txid = e.next
"""


def _ends(ctx: ScanContext, next_txids: list[str]) -> dict[str, dict]:
    """How each chain ends: the shape and owner of the transaction spending the remainder."""
    ends = {}
    for txid, n_in, n_out, service in ctx.rows(ENDS, [[t for t in next_txids if t]]):
        ends[txid] = {"end": "known_service" if service else "other_shape", "end_txid": txid,
                      "end_inputs": n_in, "end_outputs": n_out, "end_service": service}  # fmt: skip
    return ends


def detect(ctx: ScanContext, params: PeelParams = PeelParams()) -> list[Finding]:
    """One finding per chain of at least ``min_length`` linked peel steps."""
    ctx.con.execute(STEPS, {"min_peel": params.min_peel, "ratio": params.ratio})
    _chains(ctx, params)
    ctx.con.execute(STREAM, {"max_gap": params.max_gap})
    chains = ctx.rows(CHAINS)
    ends = _ends(ctx, [c[7] for c in chains])
    findings = []
    for _chain, n, txids, payees, peeled, first, last, nxt, rest in chains:
        end = ends.get(nxt, {"end": "unspent"})
        evidence = {"length": int(n), "peeled_total": int(peeled), "final_remainder": int(rest),
                    "peeled_recipients": [p for p in payees if p], **end}  # fmt: skip
        confidence = min(85, 30 + 10 * int(n))
        findings.append(
            Finding(TYPOLOGY, confidence, [p for p in payees if p], list(txids), int(peeled),
                    first, last, evidence, ["T2"])
        )  # fmt: skip
    return findings
