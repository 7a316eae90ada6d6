"""Per-donor-address campaign: one-time addresses paid by unrelated wallets, then swept together.

The al-Qassam 2019 pattern (typologies.md 2): the site showed each donor a fresh address; each was
paid once, by a wallet unrelated to the campaign, and the campaign later co-spent them. Rule: a
transaction spending at least ``min_donors`` inputs whose address received exactly one payment
ever, from a funding transaction whose spending cluster differs from the consolidator's and
(counting every service withdrawal as its own donor) differs between the inputs. Excluded: the
consolidator is a tagged service (an exchange sweeping deposit addresses has the same shape), and
CoinJoins (many unrelated inputs by construction).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

TYPOLOGY = "per-donor-campaign"
METHOD = "one-time addresses funded by distinct clusters, co-spent by a non-service cluster"


@dataclass(frozen=True)
class CampaignParams:
    min_donors: int = 6  # distinct-funder one-time inputs in one consolidation
    min_share: float = 0.5  # of the consolidation's inputs that are such one-time addresses


SQL = """
WITH once AS (
    SELECT address FROM coin WHERE address IS NOT NULL GROUP BY address HAVING count(*) = 1
), paid AS (
    SELECT c.txid AS fund_txid, c.address, c.value, c.height, c.spent_by,
           s.cluster_id AS funder, (sv.cluster_id IS NOT NULL) AS via_service
    FROM coin c JOIN once USING (address) JOIN tx_src s ON s.txid = c.txid
    LEFT JOIN service sv ON sv.cluster_id = s.cluster_id
    WHERE c.spent_by IS NOT NULL
), cand AS (
    SELECT p.*, t.cluster_id AS consolidator, t.n_in
    FROM paid p JOIN tx_src t ON t.txid = p.spent_by
    WHERE p.funder <> t.cluster_id
      AND t.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND p.spent_by IN (SELECT txid FROM transactions WHERE output_count = 1)
      AND p.spent_by NOT IN (SELECT txid FROM coinjoin_tx)
      AND p.spent_by NOT IN (SELECT c.txid FROM coin c JOIN addr_cluster ac USING (address)
                             JOIN service sv USING (cluster_id))
)
SELECT spent_by, any_value(consolidator), any_value(n_in), count(*) AS donors,
       count(DISTINCT CASE WHEN via_service THEN fund_txid || address ELSE funder::VARCHAR END),
       sum(CASE WHEN via_service THEN 1 ELSE 0 END),
       list(address ORDER BY address), list(fund_txid ORDER BY address), sum(value),
       min(height), max(height), median(value), min(value), max(value)
FROM cand GROUP BY spent_by
"""


def detect(ctx: ScanContext, params: CampaignParams = CampaignParams()) -> list[Finding]:
    """One finding per consolidation transaction that sweeps per-donor addresses."""
    findings = []
    for row in ctx.rows(SQL):
        (txid, cluster, n_in, donors, distinct, via_svc, addrs, funds, value, first, last,
         med, lo, hi) = row  # fmt: skip
        if distinct < params.min_donors or donors < params.min_share * n_in:
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
        }
        findings.append(
            Finding(TYPOLOGY, confidence, list(addrs), [txid, *funds], int(value), first, last,
                    evidence, ["P5", "P4"])
        )  # fmt: skip
    return findings
