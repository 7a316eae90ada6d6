"""Per-donor-address campaign: one-time addresses paid by unrelated wallets, then swept together.

The al-Qassam 2019 pattern (typologies.md 2): the site showed each donor a fresh address; each was
paid once, by a wallet unrelated to the campaign, and the campaign later co-spent them. Rule: a
single-output sweep whose inputs are mostly (``min_share``) addresses that received exactly one
payment ever, each funded by a cluster other than the sweeper's (every service withdrawal counts
as its own donor), funded a median of at most ``max_median_age`` blocks before the sweep (a
collect-and-sweep cycle; a personal wallet consolidates coins of every age), with at least
``min_donors`` distinct funders in the sweep or in the chain of sweeps it is linked to (one
sweep's output co-spent by the next, directly or through one payment's change). Not donations:
another sweep's output, and the change of a payment that spent a candidate sweep's output (the
sweeper's own money; found in a second pass). Excluded: sweeps by a tagged service or paying one
(an exchange sweeping deposit addresses has the same shape), and CoinJoins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledgerhound.cluster.unionfind import UnionFind
from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

TYPOLOGY = "per-donor-campaign"
METHOD = "one-time addresses funded by distinct clusters, co-spent by a non-service cluster"


@dataclass(frozen=True)
class CampaignParams:
    min_donors: int = 5  # distinct funders in one sweep (or in its linked sweeps)
    min_share: float = 0.5  # of the consolidation's inputs that are such one-time addresses
    max_median_age: int = 6  # blocks between funding and sweep (median): a collect-and-sweep
    # cycle; a personal wallet consolidating its coins sweeps coins of every age
    min_linked_donors: int = 2  # a smaller sweep counts when linked to a campaign's other sweeps


SQL = """
CREATE OR REPLACE TEMP TABLE camp_sweep AS
WITH once AS (
    SELECT address FROM coin WHERE address IS NOT NULL GROUP BY address HAVING count(*) = 1
), paid AS (
    SELECT c.txid AS fund_txid, c.address, c.value, c.height, c.spent_by,
           c.spent_height - c.height AS age,
           s.cluster_id AS funder, (sv.cluster_id IS NOT NULL) AS via_service
    FROM coin c JOIN once USING (address) JOIN tx_src s ON s.txid = c.txid
    LEFT JOIN service sv ON sv.cluster_id = s.cluster_id
    WHERE c.spent_by IS NOT NULL
      AND c.txid NOT IN (SELECT txid FROM transactions WHERE output_count = 1
                         AND input_count >= 2)  -- a sweep's output is nobody's donation
      AND c.txid NOT IN (SELECT txid FROM camp_own)  -- nor the change of the sweeper's payment
), cand AS (
    SELECT p.*, t.cluster_id AS consolidator, t.n_in
    FROM paid p JOIN tx_src t ON t.txid = p.spent_by
    WHERE p.funder <> t.cluster_id
      AND t.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND p.spent_by IN (SELECT txid FROM transactions WHERE output_count = 1)
      AND p.spent_by NOT IN (SELECT txid FROM coinjoin_tx)
      AND p.spent_by NOT IN (SELECT c.txid FROM coin c JOIN addr_cluster ac USING (address)
                             JOIN service sv USING (cluster_id))
), sweep AS (
    SELECT spent_by AS txid, any_value(consolidator) AS consolidator, any_value(n_in) AS n_in,
           count(*) AS donors,
           count(DISTINCT CASE WHEN via_service THEN fund_txid || address
                          ELSE funder::VARCHAR END) AS funders,
           sum(CASE WHEN via_service THEN 1 ELSE 0 END) AS via_service,
           list(address ORDER BY address) AS addresses,
           list(fund_txid ORDER BY address) AS funding, sum(value) AS value,
           min(height) AS first, max(height) AS last, median(value) AS med, min(value) AS lo,
           max(value) AS hi, median(age) AS age
    FROM cand GROUP BY spent_by HAVING count(*) >= $min_linked
)
SELECT * FROM sweep WHERE donors >= $min_share * n_in AND age <= $max_age
"""

OWN = """
INSERT INTO camp_own SELECT DISTINCT c.spent_by FROM coin c JOIN camp_sweep k ON k.txid = c.txid
WHERE c.spent_by IS NOT NULL
"""

# Sweeps of one campaign: the output of sweep A is co-spent by sweep B (the wallet keeps
# accumulating), directly or after one payment whose change B co-spends (a sale in between).
LINKS = """
WITH out_ AS (
    SELECT k.txid AS a, ac.cluster_id AS owner, c.spent_by AS next
    FROM camp_sweep k JOIN coin c ON c.txid = k.txid JOIN addr_cluster ac USING (address)
), hop AS (
    SELECT o.a, ac.cluster_id AS owner FROM out_ o
    JOIN transactions t ON t.txid = o.next AND t.output_count = 2
    JOIN coin c ON c.txid = o.next JOIN addr_cluster ac USING (address)
)
SELECT DISTINCT x.a, k.txid FROM (SELECT a, owner FROM out_ UNION ALL SELECT * FROM hop) x
JOIN camp_sweep k ON k.consolidator = x.owner AND k.txid <> x.a
"""


def _chains(ctx: ScanContext, txids: list[str]) -> dict[str, int]:
    """Each sweep's chain label (sweeps linked by LINKS share one)."""
    index = {t: i for i, t in enumerate(txids)}
    links = ctx.rows(LINKS)
    forest = UnionFind.singletons(len(txids))
    forest.unite(np.array([index[a] for a, _ in links], dtype=np.int32),
                 np.array([index[b] for _, b in links], dtype=np.int32))  # fmt: skip
    labels = forest.labels()
    return {t: int(labels[i]) for t, i in index.items()}


def detect(ctx: ScanContext, params: CampaignParams = CampaignParams()) -> list[Finding]:
    """One finding per sweep of per-donor addresses: ``min_donors`` distinct funders in the
    sweep, or in the chain of linked sweeps it belongs to."""
    args = {"min_linked": params.min_linked_donors, "min_share": params.min_share,
            "max_age": params.max_median_age}  # fmt: skip
    # Two passes: the payments that spend a candidate sweep's output are the sweeper's own, so
    # their change (co-spent by the next sweep) is not a donation; the second pass drops it.
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE camp_own (txid VARCHAR)")
    ctx.con.execute(SQL, args)
    ctx.con.execute(OWN)
    ctx.con.execute(SQL, args)
    rows = ctx.rows("SELECT * FROM camp_sweep ORDER BY txid")
    chain = _chains(ctx, [r[0] for r in rows])
    totals: dict[int, list[int]] = {}
    for r in rows:
        totals.setdefault(chain[r[0]], []).append(int(r[4]))
    findings = []
    for row in rows:
        (txid, cluster, n_in, donors, distinct, via_svc, addrs, funds, value, first, last,
         med, lo, hi, age) = row  # fmt: skip
        linked = totals[chain[txid]]
        if distinct < params.min_donors and sum(linked) < params.min_donors:
            continue
        confidence = min(90, 40 + 5 * distinct)
        evidence = {
            "consolidation_txid": txid,
            "consolidation_inputs": int(n_in),
            "one_time_inputs": int(donors),
            "distinct_funders": int(distinct),
            "funded_via_service_withdrawal": int(via_svc),
            "consolidator_cluster": int(cluster),
            "donation_sats": {"median": int(med), "min": int(lo), "max": int(hi)},
            "median_blocks_funding_to_sweep": float(age),
            "linked_sweeps": len(linked),
            "linked_sweeps_funders": sum(linked),
        }
        findings.append(
            Finding(TYPOLOGY, confidence, list(addrs), [txid, *funds], int(value), first, last,
                    evidence, ["P5", "P4"])
        )  # fmt: skip
    return findings
