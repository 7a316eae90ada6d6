"""Static-address crowdfunding: one published address fed by many unrelated small payers.

The Telegram "charity" pattern (typologies.md 2-3; FATF P5): an address receives payments from
many wallets that are unrelated to each other (distinct co-spend clusters; each withdrawal from
a service counts as its own payer, since a service pays many customers) in small amounts. Rule:
at least ``min_payers`` distinct payers; median and 90th-percentile payment at most
``max_median`` / ``max_p90`` sat; CoinJoin outputs not counted; at least half the amounts
distinct (a coordinator's fixed fees are not donations); and the address is not a service's own
hot wallet (most payments must come from outside its cluster). An exchange-hosted deposit address
that many strangers pay is reported, with ``hosted_at`` naming the service: that is where legal
process can be served.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

TYPOLOGY = "static-address-crowdfunding"
METHOD = "fan-in from distinct payer clusters into one address, small median payment"


@dataclass(frozen=True)
class CrowdfundingParams:
    min_payers: int = 8  # distinct payers (clusters; service withdrawals each count once)
    max_median: int = 5_000_000  # sat (~$450 at 2019-20 prices): donations, not settlements
    max_p90: int = 20_000_000  # sat: the large tail of a merchant's or broker's intake
    min_share: float = 0.8  # of the address's payments that come from outside its own cluster
    min_distinct_values: float = 0.5  # distinct amounts / payments: fixed fees are a service
    max_payer_share: float = 0.3  # median payment / the paying transaction's inputs: donors
    # give a small part of what they hold; a seller handing most of it to an OTC desk does not
    max_spend_ratio: float = 0.5  # spending transactions per spent coin: a collector sweeps
    # donations together (accumulates); a busy personal address spends its coins one by one
    many_payers: int = 40  # fan-in so large that accumulation is not required as well


# Two phases: a plain count (spillable) keeps only addresses paid at least ``min_payers`` times,
# then the holistic aggregates (median, quantile, lists) run on those few. Exact: payers <= n.
SQL = """
WITH candidate AS (
    SELECT address FROM coin WHERE address IS NOT NULL GROUP BY address HAVING count(*) >= ?
),
pay AS (
    SELECT c.address, c.txid, c.value, c.height, c.spent_by, s.cluster_id AS payer,
           c.value / s.in_value AS share,
           (sv.cluster_id IS NOT NULL) AS via_service, ac.cluster_id AS owner
    FROM coin c JOIN candidate USING (address)
    JOIN tx_src s ON s.txid = c.txid JOIN addr_cluster ac ON ac.address = c.address
    LEFT JOIN service sv ON sv.cluster_id = s.cluster_id
    WHERE c.address IS NOT NULL AND c.txid NOT IN (SELECT txid FROM coinjoin_tx)
      AND c.txid NOT IN (SELECT txid FROM transactions WHERE output_count = 1
                         AND input_count >= 2)
)
SELECT address, any_value(owner), count(*) AS n,
       count(*) FILTER (WHERE payer <> owner) AS outside,
       count(DISTINCT CASE WHEN via_service THEN txid ELSE payer::VARCHAR END)
           FILTER (WHERE payer <> owner) AS payers,
       sum(CASE WHEN via_service AND payer <> owner THEN 1 ELSE 0 END),
       median(value) FILTER (WHERE payer <> owner), quantile_cont(value, 0.9)
           FILTER (WHERE payer <> owner),
       sum(value) FILTER (WHERE payer <> owner), min(height), max(height),
       list(txid ORDER BY height, txid) FILTER (WHERE payer <> owner),
       count(DISTINCT value) FILTER (WHERE payer <> owner),
       median(share) FILTER (WHERE payer <> owner),
       count(spent_by), count(DISTINCT spent_by)
FROM pay GROUP BY address HAVING payers >= ?
"""


def detect(ctx: ScanContext, params: CrowdfundingParams = CrowdfundingParams()) -> list[Finding]:
    """One finding per address that many unrelated payers paid small amounts."""
    hosted = dict(ctx.rows("SELECT cluster_id, label FROM service"))
    findings = []
    for row in ctx.rows(SQL, [params.min_payers, params.min_payers]):
        (address, owner, n, outside, payers, via_svc, med, p90, value, first, last, txids,
         amounts, share, spent, spends) = row  # fmt: skip
        if med is None or med > params.max_median or p90 > params.max_p90:
            continue
        if share > params.max_payer_share:
            continue
        ratio = spends / spent if spent else 0.0
        if ratio >= params.max_spend_ratio and payers < params.many_payers:
            continue
        if outside < params.min_share * n or amounts < params.min_distinct_values * outside:
            continue
        evidence = {
            "payments": int(n),
            "payments_from_outside": int(outside),
            "distinct_payers": int(payers),
            "paid_via_service_withdrawal": int(via_svc),
            "payment_sats": {"median": int(med), "p90": int(p90)},
            "distinct_amounts": int(amounts),
            "median_share_of_payer_inputs": round(share, 4),
            "spending_transactions_per_spent_coin": round(ratio, 4),
            "hosted_at": hosted.get(owner),
        }
        confidence = min(85, 35 + 2 * int(payers))
        findings.append(
            Finding(TYPOLOGY, confidence, [address], list(txids), int(value), first, last,
                    evidence, ["P4", "P5"])
        )  # fmt: skip
    return findings
