"""Tracing accuracy for ``ledgerhound evaluate`` on simulated scenarios (registered metric).

For each campaign the simulator knows exactly how many satoshis of its funds reached each cash-out
service (``truth/campaign_funds.csv``). We trace the campaign's donation outputs forward under each
policy, stopping at services as the CLI does by default, and compare per service:

* ``relative_error`` = |traced - truth| / truth for every (campaign, service) in the truth;
* ``over_attributed`` = value attributed to services that never received that campaign's funds
  (the failure that made a broker's whole turnover look like terror money).

Labels come from the simulator's truth (entity kinds), i.e. perfect attribution: the metric
measures the tracing policy, not the tagging.
"""

from __future__ import annotations

from typing import Any

from ledgerhound.sim.evaluate import EvalContext, metric
from ledgerhound.trace.engine import trace
from ledgerhound.trace.labels import Labels
from ledgerhound.trace.loader import graph_from_store
from ledgerhound.trace.result import Reason

# Simulator entity kind -> taxonomy concept used as the address's category.
KIND_CATEGORY = {
    "exchange": "exchange",
    "broker": "payment_processor",  # an MSB / OTC broker: a service with many customers
    "hub": "sanction",  # the sanctioned transfer office
    "coinjoin_coordinator": "mixing_service",
    "merchant": "shop",
}
STOP_AT = ("service", "sanction")
HOPS = 40


def _labels(ctx: EvalContext, graph) -> tuple[Labels, dict[str, str]]:
    rows = ctx.table("addresses")
    entity = {r["address"]: r["entity_id"] for r in rows}
    cats = {
        r["address"]: [KIND_CATEGORY[r["entity_kind"]]]
        for r in rows
        if r["entity_kind"] in KIND_CATEGORY
    }
    return Labels.build(graph, cats), entity


def _traced(graph, labels, entity, seeds: list[str], policy: str) -> dict[str, int]:
    """Service entity -> satoshis of the seeds' value attributed there.

    A donation paid straight into a service's deposit address has reached that service at hop 0:
    it is attributed there and not traced further (funds lose identity at a service).
    """
    stop = labels.mask(STOP_AT)
    got: dict[str, int] = {}
    onward = []
    for seed in seeds:
        txid, vout = seed.split(":")
        o = graph.output_id(txid, int(vout))
        a = int(graph.out_addr[o])
        if a >= 0 and stop[a]:
            e = entity.get(graph.address(a) or "", "?")
            got[e] = got.get(e, 0) + int(graph.out_value[o])
        else:
            onward.append(seed)
    if not onward:
        return got
    res = trace(graph, onward, labels, policy=policy, hops=HOPS, stop_at=STOP_AT)
    out, _, reason, value, _, _ = res.trail.endpoint_arrays()
    stopped = (reason == Reason.SERVICE) | (reason == Reason.STOP_CATEGORY)
    for o, v in zip(out[stopped].tolist(), value[stopped].tolist(), strict=True):
        e = entity.get(graph.address(int(graph.out_addr[o])) or "", "?")
        got[e] = got.get(e, 0) + v
    return got


def _truth(ctx: EvalContext) -> tuple[dict, dict]:
    """(on-chain truth, custodial truth) per (campaign, service).

    Custodial: funds a service paid on after holding them (a broker selling to an exchange, an
    exchange withdrawing to the hub): the payer is itself a service that received the campaign's
    funds. On chain they are the service's own coins, so no tracing
    policy can or should follow them through the service.
    """
    held = {(r["campaign"], r["service_entity"]) for r in ctx.table("campaign_funds")}
    donated = {(d["txid"], d["campaign"], d["sats"]) for d in ctx.table("donations")}
    custodial: dict[tuple[str, str], int] = {}
    for r in ctx.table("cashouts"):
        payer = r["from_entity"]
        if (r["txid"], r["campaign"], r["sats"]) in donated:
            continue  # a donation paid straight into a service's deposit address: on chain
        if payer != r["service_entity"] and (r["campaign"], payer) in held:
            key = (r["campaign"], r["service_entity"])
            custodial[key] = custodial.get(key, 0) + int(r["sats"])
    on_chain = {}
    for r in ctx.table("campaign_funds"):
        key = (r["campaign"], r["service_entity"])
        sats = int(r["sats"]) - custodial.get(key, 0)
        if sats > 0:
            on_chain[key] = sats
    return on_chain, custodial


def _score(truth: dict[tuple[str, str], int], traced: dict[tuple[str, str], int]):
    rows = []
    for (campaign, service), sats in sorted(truth.items()):
        got = traced.get((campaign, service), 0)
        rows.append(
            {
                "campaign": campaign,
                "service": service,
                "truth_sats": sats,
                "traced_sats": got,
                "relative_error": round(abs(got - sats) / sats, 6),
            }
        )
    over = sum(v for k, v in traced.items() if k not in truth)
    total_truth = sum(truth.values())
    abs_err = sum(abs(traced.get(k, 0) - v) for k, v in truth.items())
    return {
        "per_service": rows,
        "weighted_relative_error": round(abs_err / total_truth, 6) if total_truth else 0.0,
        "over_attributed_sats": over,
        "over_attributed_share": round(over / total_truth, 6) if total_truth else 0.0,
    }


@metric("tracing")
def tracing(ctx: EvalContext) -> dict[str, Any] | None:
    truth, custodial = _truth(ctx)
    donations = ctx.table("donations")
    if not truth or not donations:
        return None
    graph = graph_from_store(ctx.store)
    labels, entity = _labels(ctx, graph)
    seeds: dict[str, list[str]] = {}
    for d in donations:
        seeds.setdefault(d["campaign"], []).append(f"{d['txid']}:{d['vout']}")
    report: dict[str, Any] = {
        "stop_at": list(STOP_AT),
        "hops": HOPS,
        "custodial_not_traceable": [
            {"campaign": c, "service": s, "sats": v} for (c, s), v in sorted(custodial.items())
        ],
    }
    for policy in ("haircut", "fifo", "poison"):
        traced = {}
        for campaign, outs in sorted(seeds.items()):
            for service, v in _traced(graph, labels, entity, outs, policy).items():
                traced[(campaign, service)] = v
        report[policy] = _score(truth, traced)
    report["score"] = round(max(0.0, 1 - report["haircut"]["weighted_relative_error"]), 6)
    return report
