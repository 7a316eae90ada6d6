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

Scales by construction: the payouts are found with plain aggregates, and "sources before the
payout" is an ASOF join of each payout against its cluster's running count of distinct sources
(one row per cluster and source), never a join of every payout with every coin of its cluster.
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
    max_recipients: int = 10  # more looks like a payroll/batch service or a premix, not a hub
    min_sources: int = 2  # earlier inflows from other wallets into the spending cluster
    min_share: float = 0.5  # of the spent value that leaves to the recipients
    max_share: float = 0.99  # a hub keeps a balance; paying out everything is a pass-through


# Payouts of one non-service cluster to min..max outside addresses, with the equal-share test.
FAN = """
CREATE OR REPLACE TEMP TABLE hub_fan AS
WITH out_ AS (
    SELECT s.txid, s.cluster_id AS hub, s.in_value, c.value, c.height
    FROM tx_src s JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address
    WHERE s.n_clusters = 1 AND ac.cluster_id <> s.cluster_id
      AND s.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND s.txid NOT IN (SELECT txid FROM coinjoin_tx)
), fan AS (
    SELECT txid, hub, in_value, count(*) AS recipients, sum(value) AS paid, min(height) AS height
    FROM out_ GROUP BY txid, hub, in_value HAVING count(*) BETWEEN $min_r AND $max_r
       AND sum(value) >= $min_share * in_value
), equal AS (
    SELECT txid, max(n) AS equal FROM (
        SELECT c.txid, count(*) AS n FROM coin c SEMI JOIN fan USING (txid)
        GROUP BY c.txid, c.value) GROUP BY txid
)
SELECT fan.*, equal.equal FROM fan JOIN equal USING (txid)
WHERE fan.paid <= $max_share * fan.in_value OR equal.equal >= $min_r
"""

# Inflows into the candidate hubs from other wallets: one row per coin, and per (hub, source)
# the first height; a service withdrawal is its own source (an exchange pays many customers).
INFLOW = """
CREATE OR REPLACE TEMP TABLE hub_inflow AS
SELECT ac.cluster_id AS hub, c.txid, c.value, c.height,
       CASE WHEN sv.cluster_id IS NOT NULL THEN c.txid ELSE p.cluster_id::VARCHAR END AS source,
       (sv.cluster_id IS NOT NULL) AS via_service
FROM coin c JOIN addr_cluster ac ON ac.address = c.address
JOIN tx_src p ON p.txid = c.txid AND p.cluster_id <> ac.cluster_id
LEFT JOIN service sv ON sv.cluster_id = p.cluster_id
WHERE ac.cluster_id IN (SELECT DISTINCT hub FROM hub_fan)
"""

# Per hub and height: new distinct sources, value received, service withdrawals; summed over
# the heights so far. The union's first half holds each (hub, source) once at its first height
# (so count(DISTINCT source) counts new sources); its second half holds every inflow coin.
RUNNING = """
CREATE OR REPLACE TEMP TABLE hub_running AS
SELECT hub, height,
       sum(count(DISTINCT source)) OVER w AS sources_new,
       sum(sum(value)) OVER w AS received,
       sum(count(*) FILTER (WHERE via_service)) OVER w AS via_service
FROM (SELECT hub, source, min(height) AS height, NULL AS value, NULL AS via_service
      FROM hub_inflow GROUP BY hub, source
      UNION ALL SELECT hub, NULL, height, value, via_service FROM hub_inflow)
GROUP BY hub, height WINDOW w AS (PARTITION BY hub ORDER BY height)
"""

# A payout qualifies when its cluster had min_sources distinct sources before it; the hub's
# other payouts of the same shape (its first, fed by one source so far) are reported with it.
SELECT = """
WITH payout AS (
    SELECT f.txid, f.hub, f.in_value, f.recipients, f.paid, f.height, f.equal,
           coalesce(r.sources_new, 0) AS sources, coalesce(r.via_service, 0) AS via_service,
           coalesce(r.received, 0) AS received
    FROM hub_fan f ASOF LEFT JOIN hub_running r ON r.hub = f.hub AND f.height >= r.height
)
SELECT * FROM payout
WHERE hub IN (SELECT hub FROM payout WHERE sources >= $min_sources)
ORDER BY txid
"""

DETAILS = """
SELECT f.txid, list(DISTINCT i.prev_address ORDER BY i.prev_address) FILTER (
           WHERE i.prev_address IS NOT NULL),
       (SELECT list(c.address ORDER BY c.vout) FROM coin c JOIN addr_cluster ac USING (address)
        WHERE c.txid = f.txid AND ac.cluster_id <> f.hub),
       (SELECT list(DISTINCT t.address ORDER BY t.address) FROM tagged t
        JOIN addr_cluster ac USING (address) WHERE t.kind = 'sanctioned' AND ac.cluster_id = f.hub)
FROM hub_found f JOIN inputs i ON i.txid = f.txid GROUP BY f.txid, f.hub
"""


def _details(ctx: ScanContext, txids: list[str]) -> dict[str, tuple]:
    """Per found payout: its input (hub) addresses, outside payees and sanctioned hub addresses."""
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE hub_found AS SELECT txid, hub FROM hub_fan "
                    "WHERE txid IN (SELECT unnest(?::VARCHAR[]))", [txids])  # fmt: skip
    return {r[0]: r[1:] for r in ctx.rows(DETAILS)}


def detect(ctx: ScanContext, params: HubParams = HubParams()) -> list[Finding]:
    """One finding per redistribution transaction of an aggregation hub."""
    args = {"min_r": params.min_recipients, "max_r": params.max_recipients,
            "min_share": params.min_share, "max_share": params.max_share}  # fmt: skip
    ctx.con.execute(FAN, args)
    ctx.con.execute(INFLOW)
    ctx.con.execute(RUNNING)
    rows = ctx.rows(SELECT, {"min_sources": params.min_sources})
    details = _details(ctx, [r[0] for r in rows])
    findings = []
    for txid, hub, in_value, n, paid, height, equal, sources, via_svc, received in rows:
        hubs, payees, listed = details[txid]
        evidence = {
            "hub_cluster": int(hub),
            "hub_addresses": list(hubs),
            "earlier_inflows_from_other_wallets": int(sources),
            "inflows_via_service_withdrawal": int(via_svc),
            "received_before_payout": int(received),
            "recipients": int(n),
            "largest_equal_payout_group": int(equal),
            "share_paid_out": round(paid / in_value, 4),
            "sanctioned_hub_addresses": list(listed or []),
        }
        confidence = min(85, 40 + 5 * int(sources) + (10 if equal >= params.min_recipients else 0))
        fatf = ["T2", "P5"] + (["F1"] if listed else [])
        findings.append(
            Finding(TYPOLOGY, confidence, list(hubs) + list(payees), [txid], int(paid),
                    height, height, evidence, fatf)
        )  # fmt: skip
    return findings
