"""The findings as a STIX 2.1 bundle, the way OpenCTI imports cryptocurrency addresses.

STIX 2.1 has no cryptocurrency object; OpenCTI's convention is a custom SCO
``cryptocurrency-wallet`` with one property ``value`` (see formats.md section 8). Ids are UUIDv5
of the content and every timestamp comes from the data (the last block's time), so the same
report gives the same bundle byte for byte.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import stix2
from stix2.properties import StringProperty

# Namespace of ledgerhound's own deterministic ids (SDOs, SROs, the bundle).
NAMESPACE = uuid.UUID("6f1c2a0e-4c1e-5d5a-9a3b-6c6564676572")


@stix2.CustomObservable(
    "cryptocurrency-wallet", [("value", StringProperty(required=True))], ["value"]
)
class CryptocurrencyWallet:
    """OpenCTI's ``Cryptocurrency-Wallet`` observable (id: UUIDv5 over ``value``)."""


def _id(kind: str, *parts: Any) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, json.dumps(parts, sort_keys=True))}"


class _Builder:
    def __init__(self, report: dict[str, Any], when: str) -> None:
        self.report, self.when, self.objects = report, when, {}
        self.author = self.add(
            stix2.Identity(
                id=_id("identity", "ledgerhound"),
                name="ledgerhound report",
                identity_class="system",
                created=when,
                modified=when,
            )  # fmt: skip
        )

    def add(self, obj: Any) -> str:
        self.objects[obj.id] = obj
        return obj.id

    def wallet(self, address: str) -> str:
        return self.add(CryptocurrencyWallet(value=address))

    def sdo(self, cls: Any, key: tuple, **kw: Any) -> str:
        kind = cls._type
        return self.add(
            cls(
                id=_id(kind, *key),
                created=self.when,
                modified=self.when,
                created_by_ref=self.author,
                **kw,
            )  # fmt: skip
        )

    def rel(self, src: str, kind: str, dst: str, description: str, confidence: int) -> str:
        return self.sdo(
            stix2.Relationship, (src, kind, dst, description), source_ref=src,
            relationship_type=kind, target_ref=dst, description=description,
            confidence=confidence,
        )  # fmt: skip


def bundle(report: dict[str, Any]) -> str:
    """The serialized bundle: seeds with indicators, cash-out wallets tied to their services."""
    when = _data_time(report)
    b = _Builder(report, when)
    method = f"{report['method']}; trace policy {report['parameters']['policy']} (heuristic)"
    seeds = {}
    for s in report["seeds"]:
        if not s["in_store"]:
            continue
        w = b.wallet(s["address"])
        seeds[s["address"]] = w
        origin = s.get("source_file") or "given by the investigator"
        ind = b.sdo(
            stix2.Indicator, ("seed", s["address"]), name=f"Case seed {s['address']}",
            description=f"Seed address ({s['origin']}: {origin}); method {method}",
            pattern=f"[cryptocurrency-wallet:value = '{s['address']}']", pattern_type="stix",
            valid_from=when, confidence=50 if s.get("solicitation") else 30,
        )  # fmt: skip
        b.rel(ind, "based-on", w, "indicator of the seed address", 50)
    for c in report["cash_outs"]:
        w = b.wallet(c["address"])
        names = ", ".join(c["service"]) or f"unnamed service (cluster:{c['cluster_id']})"
        svc = b.sdo(
            stix2.Identity, ("service", names), name=names, identity_class="organization",
            description="Service where legal process can be served (attributed by tags)",
        )  # fmt: skip
        note = (
            f"address of {names} ({c['attribution']}); {c['sats']} sats ({c['btc']} BTC, USD "
            f"{c['usd'] or 'n/a'}) traced from the case seeds in {c['txid']} at {c['time']}; "
            f"{method}; the share attributed, not the whole deposit"
        )
        b.rel(w, "related-to", svc, note, 30)
    refs = sorted(k for k in b.objects if k != b.author)
    fp = report["data"]["fingerprint"]
    case = f" {report['case']}" if report.get("case") else ""
    if refs:
        b.sdo(
            stix2.Report, ("report", fp, refs), name=f"ledgerhound investigation{case}",
            description=f"Seeds and cash-out points; {method}; data {fp}",
            published=when, object_refs=refs, report_types=["threat-report"],
        )  # fmt: skip
    objs = [b.objects[k] for k in sorted(b.objects)]
    out = stix2.Bundle(objects=objs, id=_id("bundle", fp, sorted(b.objects)), allow_custom=True)
    return out.serialize(pretty=True) + "\n"


def _data_time(report: dict[str, Any]) -> str:
    """The latest block time the report refers to, as a STIX timestamp."""
    times = [c["time"] for c in report["cash_outs"] + report["donor_sources"] if c["time"]]
    return max(times) if times else "2009-01-03T18:15:05Z"
