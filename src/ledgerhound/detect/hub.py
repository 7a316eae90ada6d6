"""Aggregation hub then redistribution: many sources pay into one wallet, which fans out.

The BitcoinTransfer/Idlib pattern (typologies.md 3): "charity" proceeds and exchange withdrawals
converge on a few reused addresses of one wallet, which then pays several groups at once. Rule:
a transaction whose spending cluster (not a tagged service, not a CoinJoin) pays at least
``min_recipients`` addresses outside itself, where that cluster had earlier received at least
``min_sources`` inflows from other wallets (each service withdrawal counts once), and the payout
moves at least ``min_share`` of the spent value while either keeping a balance (at most
``max_share`` paid out) or paying at least ``min_recipients`` of them one identical amount (a
hub's change often goes to a fresh address, so equal shares are the other sign of a split). An
exchange's batch payout has the fan-out shape too, which is why tagged service clusters are
excluded; the finding says "hub", never who.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

TYPOLOGY = "aggregation-hub-redistribution"
METHOD = "fan-in from distinct wallets, then one fan-out to several outside addresses"


@dataclass(frozen=True)
class HubParams:
    min_recipients: int = 3  # outside addresses paid by one transaction
    max_recipients: int = 20  # more looks like a payroll/batch service, not a hub
    min_sources: int = 2  # earlier inflows from other wallets into the spending cluster
    min_share: float = 0.5  # of the spent value that leaves to the recipients
    max_share: float = 0.99  # a hub keeps a balance; paying out everything is a pass-through


SQL = """
WITH fan AS (
    SELECT s.txid, s.cluster_id AS hub, s.in_value, count(*) AS recipients,
           sum(c.value) AS paid, list(c.address ORDER BY c.vout) AS payees,
           any_value(c.height) AS height
    FROM tx_src s JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address
    WHERE ac.cluster_id <> s.cluster_id
      AND c.address NOT IN (SELECT prev_address FROM inputs i
                                WHERE i.txid = s.txid AND i.prev_address IS NOT NULL)
      AND s.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND s.txid NOT IN (SELECT txid FROM coinjoin_tx)
    GROUP BY s.txid, s.cluster_id, s.in_value HAVING count(*) BETWEEN ? AND ?
), inflow AS (
    SELECT f.txid, count(DISTINCT CASE WHEN sv.cluster_id IS NOT NULL THEN c.txid
                                  ELSE p.cluster_id::VARCHAR END) AS sources,
           count(*) FILTER (WHERE sv.cluster_id IS NOT NULL) AS via_service,
           sum(c.value) AS received, list(DISTINCT c.address) AS hub_addresses
    FROM fan f JOIN addr_cluster ac ON ac.cluster_id = f.hub
    JOIN coin c ON c.address = ac.address AND c.height <= f.height
    JOIN tx_src p ON p.txid = c.txid AND p.cluster_id <> f.hub
    LEFT JOIN service sv ON sv.cluster_id = p.cluster_id
    GROUP BY f.txid
)
SELECT f.txid, f.hub, f.in_value, f.recipients, f.paid, f.payees, f.height,
       i.sources, i.via_service, i.received, i.hub_addresses
FROM fan f JOIN inflow i USING (txid) WHERE i.sources >= ?
"""


def _equal_group(ctx: ScanContext, txid: str) -> int:
    """The largest number of outputs of ``txid`` paying one identical amount (equal shares)."""
    row = ctx.rows(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM coin WHERE txid = ? GROUP BY value)", [txid]
    )
    return int(row[0][0] or 0)


def detect(ctx: ScanContext, params: HubParams = HubParams()) -> list[Finding]:
    """One finding per redistribution transaction of an aggregation hub."""
    sanctioned = {r[0] for r in ctx.rows("SELECT address FROM tagged WHERE kind = 'sanctioned'")}
    args = [params.min_recipients, params.max_recipients, params.min_sources]
    findings = []
    for row in ctx.rows(SQL, args):
        txid, hub, in_value, n, paid, payees, height, sources, via_svc, received, hubs = row
        if paid < params.min_share * in_value:
            continue
        equal = _equal_group(ctx, txid)
        if paid > params.max_share * in_value and equal < params.min_recipients:
            continue  # neither keeps a balance nor splits equally: a pass-through payout
        listed = sorted(set(hubs) & sanctioned)
        evidence = {
            "hub_cluster": int(hub),
            "hub_addresses": sorted(hubs),
            "earlier_inflows_from_other_wallets": int(sources),
            "inflows_via_service_withdrawal": int(via_svc),
            "received_before_payout": int(received),
            "recipients": int(n),
            "largest_equal_payout_group": equal,
            "share_paid_out": round(paid / in_value, 4),
            "sanctioned_hub_addresses": listed,
        }
        confidence = min(85, 40 + 5 * int(sources) + (10 if equal >= params.min_recipients else 0))
        fatf = ["T2", "P5"] + (["F1"] if listed else [])
        findings.append(
            Finding(TYPOLOGY, confidence, sorted(hubs) + list(payees), [txid], int(paid),
                    height, height, evidence, fatf)
        )  # fmt: skip
    return findings
