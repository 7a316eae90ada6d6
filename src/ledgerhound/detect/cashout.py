"""Cash-out points: exchange deposit addresses, and unlicensed-broker behaviour.

Deposit address (where legal process can be served): every coin the address received was
swept by a tagged service (a single-output transaction spent by a service cluster); the finding
names the service. Broker behaviour (the al-Qassam MSB, the 2023 "PIJ" broker, FATF A3): an
*untagged* cluster that received from at least ``min_payers`` unrelated wallets and sent at least
``min_forward_share`` of its outflow to service clusters in at least ``min_forwards``
transactions (a merchant's one-off sweep of invoice addresses into its exchange account has the
same fan-in shape but happens once per cluster). This names behaviour, never the
customers: a broker pools unrelated people's money, so its whole flow is not any one campaign's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.detect.context import ScanContext
from ledgerhound.detect.finding import Finding

DEPOSIT = "exchange-deposit-address"
BROKER = "unlicensed-broker-behaviour"
METHOD = "every received coin swept by a tagged service; untagged many-payer cluster -> services"


@dataclass(frozen=True)
class CashoutParams:
    min_payers: int = 10  # distinct paying wallets of a broker cluster
    min_forward_share: float = 0.8  # of the broker cluster's outflow that reaches services
    min_forwards: int = 3  # separate transfers to services: an ongoing business, not one sweep
    max_deposit_findings: int = 100_000  # a guard for whole-chain scans


DEPOSITS = """
SELECT c.address, min(sv.label), count(*), sum(c.value), min(c.height), max(c.spent_height),
       list(DISTINCT c.spent_by ORDER BY c.spent_by)
FROM coin c JOIN tx_src s ON s.txid = c.spent_by JOIN service sv ON sv.cluster_id = s.cluster_id
JOIN transactions t ON t.txid = c.spent_by AND t.output_count = 1
WHERE c.address IS NOT NULL
  AND c.address NOT IN (SELECT address FROM coin WHERE spent_by IS NULL AND address IS NOT NULL)
  AND c.address NOT IN (SELECT c2.address FROM coin c2 JOIN tx_src s2 ON s2.txid = c2.spent_by
                        WHERE c2.address IS NOT NULL
                          AND s2.cluster_id NOT IN (SELECT cluster_id FROM service))
GROUP BY c.address ORDER BY c.address LIMIT ?
"""

BROKERS = """
WITH inflow AS (
    SELECT ac.cluster_id, count(DISTINCT p.cluster_id) AS payers, sum(c.value) AS received,
           min(c.height) AS first
    FROM coin c JOIN addr_cluster ac USING (address) JOIN tx_src p ON p.txid = c.txid
    WHERE p.cluster_id <> ac.cluster_id AND ac.cluster_id NOT IN (SELECT cluster_id FROM service)
      AND p.cluster_id NOT IN (SELECT cluster_id FROM service)
    GROUP BY ac.cluster_id HAVING count(DISTINCT p.cluster_id) >= ?
), outflow AS (
    SELECT s.cluster_id, sum(c.value) AS sent,
           sum(c.value) FILTER (WHERE sv.cluster_id IS NOT NULL) AS to_service,
           list(DISTINCT sv.label) FILTER (WHERE sv.label IS NOT NULL) AS services,
           list(DISTINCT c.txid ORDER BY c.txid) FILTER (WHERE sv.cluster_id IS NOT NULL) AS txids,
           max(c.height) AS last
    FROM tx_src s JOIN coin c ON c.txid = s.txid JOIN addr_cluster ac ON ac.address = c.address
    LEFT JOIN service sv ON sv.cluster_id = ac.cluster_id
    WHERE ac.cluster_id <> s.cluster_id AND s.cluster_id IN (SELECT cluster_id FROM inflow)
    GROUP BY s.cluster_id
)
SELECT i.cluster_id, i.payers, i.received, o.sent, o.to_service, o.services, o.txids, i.first,
       o.last, (SELECT list(address ORDER BY address) FROM addr_cluster a
                WHERE a.cluster_id = i.cluster_id)
FROM inflow i JOIN outflow o USING (cluster_id)
WHERE o.to_service >= ? * o.sent AND len(o.txids) >= ?
"""


def deposits(ctx: ScanContext, params: CashoutParams = CashoutParams()) -> list[Finding]:
    """One finding per address whose every received coin a tagged service swept."""
    findings = []
    sql = DEPOSITS
    if ctx.scoped:  # only deposit addresses the neighbourhood itself paid into
        sql = sql.replace("WHERE c.address IS NOT NULL", "WHERE c.address IS NOT NULL AND "
                          "c.address IN (SELECT address FROM coin WHERE txid IN "
                          "(SELECT txid FROM scope))")  # fmt: skip
    rows = ctx.rows(sql, [params.max_deposit_findings + 1])
    if len(rows) > params.max_deposit_findings:
        rows = rows[: params.max_deposit_findings]
        ctx.notes.append(
            f"{DEPOSIT}: only the first {params.max_deposit_findings:,} deposit addresses (by "
            f"address) are listed; raise --set {DEPOSIT}.max_deposit_findings=N for more"
        )
    for address, label, n, value, first, last, sweeps in rows:
        ev = {"service": label, "coins_received": int(n), "sweep_txids": list(sweeps)}
        findings.append(
            Finding(DEPOSIT, 70, [address], list(sweeps), int(value), first, last, ev, ["T3"])
        )
    return findings


def brokers(ctx: ScanContext, params: CashoutParams = CashoutParams()) -> list[Finding]:
    """One finding per untagged cluster paid by many wallets that forwards to services."""
    findings = []
    args = [params.min_payers, params.min_forward_share, params.min_forwards]
    for cluster, payers, received, sent, to_svc, services, txids, first, last, addrs in ctx.rows(
        BROKERS, args
    ):
        ev = {
            "cluster": int(cluster),
            "distinct_payers": int(payers),
            "received": int(received),
            "sent": int(sent),
            "sent_to_services": int(to_svc),
            "services": sorted(services or []),
            "note": "pooled flow of unrelated payers: not attributable to any one of them",
        }
        confidence = min(80, 30 + 2 * int(payers))
        findings.append(
            Finding(BROKER, confidence, list(addrs), list(txids), int(to_svc), first, last, ev,
                    ["A3", "T3"])
        )  # fmt: skip
    return findings


def detect(ctx: ScanContext, params: CashoutParams = CashoutParams()) -> list[Finding]:
    return deposits(ctx, params) + brokers(ctx, params)
