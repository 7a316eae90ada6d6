"""``investigate``: from seeds (or posts) to the case's report document, in one pass.

Steps: seeds -> their wallets (clusters) and tags -> backward trace to the donors' sources ->
forward trace to cash-out points at services -> typology detection (when the detection package
exists) -> exposure screening of the seeds. The result is plain data with no wall-clock time and
everything sorted, so the same store, inputs and parameters give the same bytes.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ledgerhound import __version__
from ledgerhound.attribution import tagstore
from ledgerhound.errors import InvalidInputError, LedgerhoundError
from ledgerhound.market.prices import PriceTable, load_prices
from ledgerhound.report import flows
from ledgerhound.report import seeds as seedlib
from ledgerhound.report.accuracy import bundled
from ledgerhound.trace import screen, trace
from ledgerhound.trace.session import tag_groups

METHOD = "investigate/1"
NOT_AVAILABLE = "typology detection: not available in this version"


@dataclass(frozen=True)
class InvestigateParams:
    """Every parameter that changes the report; echoed in it and in the manifest."""

    forward_hops: int = 12
    backward_hops: int = 4
    policy: str = "haircut"
    stop_at: tuple[str, ...] = ("service", "sanction")
    screen_hops: int = 4
    max_post_seeds: int = 10
    typology_hops: int = 2

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop_at"] = list(self.stop_at)
        return d


@dataclass
class Investigation:
    report: dict[str, Any]
    forward: Any  # TraceResult or None
    backward: Any


def investigate(
    store: Any,
    seeds: list[str] | None = None,
    posts: Path | None = None,
    params: InvestigateParams | None = None,
    prices: PriceTable | None = None,
    case: str | None = None,
) -> Investigation:
    from ledgerhound.trace.session import open_session, seed_warnings

    params = params or InvestigateParams()
    prices = prices or load_prices()
    session = open_session(store)
    index = session.graph.address_index()
    rows, intake = _seed_rows(index, seeds or [], posts, params.max_post_seeds)
    addresses = [r["address"] for r in rows if r["in_store"]]
    ctx = _context(store.root, session, prices)
    stop = session.labels.mask(params.stop_at)
    at_service = [a for a in addresses if stop[index[a]]]
    onward = [a for a in addresses if not stop[index[a]]]
    common = {"policy": params.policy, "stop_at": params.stop_at}
    fp = session.fingerprint
    fwd = None
    if onward:
        fwd = trace(session.graph, onward, session.labels, fingerprint=fp, direction="forward",
                    hops=params.forward_hops, **common)  # fmt: skip
    direct = [int(o) for a in at_service for o in session.graph.address_outputs(index[a])]
    bwd = trace(session.graph, addresses, session.labels, fingerprint=fp, direction="backward",
                hops=params.backward_hops, **common)  # fmt: skip
    cash = flows.cash_outs(ctx, fwd, direct)
    donors = flows.sources(ctx, bwd)
    screening = screen(session.graph, addresses, session.labels, hops=params.screen_hops,
                       fingerprint=fp)  # fmt: skip
    report = {
        "method": METHOD,
        "tool": {"name": "ledgerhound", "version": __version__},
        "case": case,
        "data": _data(store, fp),
        "parameters": params.as_dict(),
        "seeds": rows,
        "osint_intake": intake,
        "warnings": seed_warnings(session, addresses),
        "wallets": _wallets(store, session, addresses),
        "cash_outs": cash,
        "cash_outs_by_service": flows.by_service(cash),
        "donor_sources": donors,
        "donor_sources_by_service": flows.by_service(donors),
        "forward_trace": _trace_summary(fwd, at_service),
        "backward_trace": _trace_summary(bwd, []),
        "typologies": _typologies(store, addresses, params.typology_hops),
        "screening": screening,
        "prices": prices.describe(),
        "accuracy": bundled(),
    }
    report["summary"] = _summary(report)
    return Investigation(report, fwd, bwd)


def _seed_rows(index, given: list[str], posts: Path | None, limit: int):
    intake = None
    rows = seedlib.given(given)
    if posts is not None:
        found, intake = seedlib.from_posts(Path(posts))
        known = {r["address"] for r in rows}
        present = [r for r in found if r["address"] in index and r["address"] not in known]
        if any(r["solicitation"] for r in present):
            # an address merely mentioned (an exchange's, a bystander's) is not a campaign's
            present = [r for r in present if r["solicitation"]]
        rows += present[:limit] if limit > 0 else present
        if not found and not rows:
            raise InvalidInputError(f"{posts}: no valid address found in the posts")
        if not rows:
            rows = found[:1]  # so that resolve() names the problem
    if not rows:
        raise InvalidInputError("give seed addresses or --posts")
    return seedlib.resolve(index, rows), intake


def _context(root: Path, session, prices: PriceTable) -> flows.Context:
    block_time = {}
    heights = session.blocks["height"].to_pylist()
    for h, ts in zip(heights, session.blocks["timestamp"].to_pylist(), strict=True):
        block_time[int(h)] = int(ts.timestamp()) if hasattr(ts, "timestamp") else int(ts)
    by_tag_addr, by_tag_cluster = tag_groups(session, root)
    by_addr = {a: {t.label for t in ts if t.categories} for a, ts in by_tag_addr.items()}
    by_cluster = {c: {t.label for t in ts if t.categories} for c, ts in by_tag_cluster.items()}
    by_addr = {k: v for k, v in by_addr.items() if v}
    by_cluster = {k: v for k, v in by_cluster.items() if v}
    return flows.Context(
        session.graph, session.labels, block_time, prices,
        {k: sorted(v) for k, v in by_addr.items()}, {k: sorted(v) for k, v in by_cluster.items()},
    )  # fmt: skip


def _data(store, fingerprint: str) -> dict[str, Any]:
    m = store.manifest()
    low, high = m.height_range()
    return {"fingerprint": fingerprint, "network": m.network, "heights": [low, high]}


def _wallets(store, session, addresses: list[str]) -> list[dict[str, Any]]:
    """Each seed's cluster (wallet) and the tags on the seed, with their sources and confidence."""
    from ledgerhound.cluster.lookup import cluster_of

    tags = tagstore.tags_for(store.root, addresses)
    index = session.graph.address_index()
    con = store.connect()
    try:
        out = []
        for a in addresses:
            cl = cluster_of(con, store.root, a)
            out.append(
                {
                    "address": a,
                    "cluster": cl,
                    "categories": list(session.labels.of(index[a])),
                    "tags": sorted(
                        (
                            {
                                "label": t.label,
                                "categories": list(t.categories),
                                "source": t.source,
                                "confidence": t.confidence,
                            }
                            for t in tags.get(a, [])
                        ),
                        key=lambda t: (t["label"], t["source"]),
                    ),  # fmt: skip
                }
            )
        return out
    finally:
        con.close()


def _trace_summary(result, at_service: list[str]) -> dict[str, Any] | None:
    if result is None:
        return {"not_run": "every seed is itself at a service", "seeds_at_service": at_service}
    doc = result.to_dict(with_edges=False)
    ends = doc.pop("endpoints")
    doc["endpoint_count"] = len(ends)
    doc["seeds_at_service"] = at_service
    return doc


def _typologies(store, addresses: list[str], hops: int) -> dict[str, Any]:
    """Typology findings from ``ledgerhound.detect`` when this version has it; never invented."""
    try:
        run = importlib.import_module("ledgerhound.detect.run")
        scan = run.scan
    except (ImportError, AttributeError):
        return {"available": False, "note": NOT_AVAILABLE}
    try:
        result = scan(store, seeds=addresses, hops=hops)
    except LedgerhoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - a detector bug must not cost the whole report
        return {"available": False, "note": f"typology detection failed: {type(exc).__name__}"}
    return {"available": True, **result}


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    cash = r["cash_outs"]
    total = int(np.sum([c["sats"] for c in cash])) if cash else 0
    return {
        "seeds": len(r["seeds"]),
        "seeds_in_store": sum(1 for s in r["seeds"] if s["in_store"]),
        "wallets": len({(w["cluster"] or {}).get("id", w["address"]) for w in r["wallets"]}),
        "cash_out_points": len(cash),
        "cash_out_services": len(r["cash_outs_by_service"]),
        "cash_out_sats": total,
        "cash_out_btc": flows.btc(total),
        "donor_source_services": len(r["donor_sources_by_service"]),
        "typologies_available": r["typologies"]["available"],
        "typology_findings": len(r["typologies"].get("findings") or []),
    }
