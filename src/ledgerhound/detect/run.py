"""Run the typology detectors over a store: the whole chain, or the neighbourhood of seeds.

The answer is one JSON-able dict: method, per-detector parameters and the store's data
fingerprint at the top level, then the findings sorted by typology and first height, so the same
store and options always give byte-identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, fields, replace
from typing import Any

from ledgerhound.detect import campaign, cashout, crowdfunding, hub, layering, peel, structuring
from ledgerhound.detect.context import ScanContext, open_context
from ledgerhound.detect.finding import FATF_INDICATORS, Finding
from ledgerhound.errors import InvalidInputError
from ledgerhound.store.sql import resource_errors

METHOD = "ledgerhound typology detection v1 (heuristics over co-spend clusters and tags)"

Detector = Callable[[ScanContext], list[Finding]]
#: typology name -> (detector, its parameters, method line); the order is the report order.
DETECTORS: dict[str, tuple[Detector, Any, str]] = {
    campaign.TYPOLOGY: (campaign.detect, campaign.CampaignParams(), campaign.METHOD),
    crowdfunding.TYPOLOGY: (
        crowdfunding.detect, crowdfunding.CrowdfundingParams(), crowdfunding.METHOD
    ),
    hub.TYPOLOGY: (hub.detect, hub.HubParams(), hub.METHOD),
    peel.TYPOLOGY: (peel.detect, peel.PeelParams(), peel.METHOD),
    layering.COINJOIN: (layering.coinjoins, None, layering.METHOD),
    layering.LAYERING: (layering.layering, layering.LayeringParams(), layering.METHOD),
    cashout.DEPOSIT: (cashout.deposits, cashout.CashoutParams(), cashout.METHOD),
    cashout.BROKER: (cashout.brokers, cashout.CashoutParams(), cashout.METHOD),
    structuring.STRUCTURING: (
        structuring.structuring, structuring.StructuringParams(), structuring.METHOD
    ),
    structuring.DORMANT: (structuring.dormant, structuring.StructuringParams(), structuring.METHOD),
}  # fmt: skip


def check_typologies(names: Iterable[str]) -> list[str]:
    """The requested typologies in report order (all when none are named)."""
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in DETECTORS]
    if unknown:
        raise InvalidInputError(f"unknown typology {unknown[0]!r} (known: {', '.join(DETECTORS)})")
    return [n for n in DETECTORS if not wanted or n in wanted]


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``TYPOLOGY.FIELD=NUMBER`` strings -> the detectors' parameters with those values."""
    params = {name: spec[1] for name, spec in DETECTORS.items()}
    for item in items:
        key, sep, raw = item.partition("=")
        name, dot, field = key.partition(".")
        current = params.get(name)
        known = {f.name: f.type for f in fields(current)} if current is not None else {}
        if not sep or not dot or field not in known:
            raise InvalidInputError(
                f"--set {item!r}: expected TYPOLOGY.PARAMETER=NUMBER with a parameter listed "
                "in the report's 'parameters'"
            )
        try:
            value: Any = float(raw) if known[field] == "float" else int(raw)
        except ValueError:
            raise InvalidInputError(f"--set {item!r}: {raw!r} is not a number") from None
        params[name] = replace(current, **{field: value})
    return params


def _near(ctx: ScanContext, findings: list[Finding], seeds: list[str]) -> list[Finding]:
    """Seed mode keeps findings that involve a seed or a transaction within ``hops`` of one."""
    scope = {r[0] for r in ctx.rows("SELECT txid FROM scope")}
    wanted = set(seeds)
    return [f for f in findings if scope.intersection(f.txids) or wanted.intersection(f.addresses)]


def scan(
    store: Any,
    typologies: Iterable[str] = (),
    seeds: Iterable[str] = (),
    hops: int = 2,
    progress: Callable[[str, int, int], None] | None = None,
    overrides: Iterable[str] = (),
    prices: Any = None,
) -> dict[str, Any]:
    """Run the detectors; ``seeds`` restricts them to ``hops`` transactions around the seeds.

    ``progress(stage, done, total)`` is called before each stage (preparing, then each detector)
    and once at the end with ``done == total``.
    """
    names = check_typologies(typologies)
    params = parse_overrides(overrides)
    seed_list = sorted(set(seeds))
    if hops < 1:
        raise InvalidInputError(f"--hops must be at least 1 (got {hops})")
    steps = len(names) + 1
    if progress is not None:
        progress("preparing coins, clusters and services", 0, steps)
    with resource_errors("detect"):
        ctx = open_context(store, seed_list or None, hops, prices)
        findings: list[Finding] = []
        try:
            for i, name in enumerate(names, start=1):
                if progress is not None:
                    progress(name, i, steps)
                fn = DETECTORS[name][0]
                findings.extend(fn(ctx) if params[name] is None else fn(ctx, params[name]))
            if seed_list:
                findings = _near(ctx, findings, seed_list)
        finally:
            ctx.con.close()
    if progress is not None:
        progress("done", steps, steps)
    findings.sort(key=Finding.sort_key)
    manifest = store.manifest()
    return {
        "method": METHOD,
        "data_fingerprint": ctx.fingerprint,
        "network": manifest.network,
        "mode": "seed" if seed_list else "full",
        "seeds": seed_list,
        "hops": hops if seed_list else None,
        "typologies": names,
        "parameters": {
            n: {"method": DETECTORS[n][2], **(asdict(params[n]) if params[n] else {})}
            for n in names
        },
        "prices": {"source": prices.source, "sha256": prices.sha256} if prices else None,
        "fatf_indicators": FATF_INDICATORS,
        "caveat": "heuristic patterns, not attribution: verify each finding's evidence",
        "counts": {n: sum(1 for f in findings if f.typology == n) for n in names},
        "notes": list(ctx.notes),
        "findings": [f.to_dict() for f in findings],
    }
