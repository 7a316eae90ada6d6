"""OFAC SDN lists (classic ``SDN.XML`` and ``SDN_ADVANCED.XML``): every digital-currency address.

Elements are matched by local name so the old (tempuri / un.org) and new (sanctionslistservice)
namespaces both work. Every ``Digital Currency Address - <CODE>`` feature is taken, whatever the
code (new codes appear without notice). Each address is validated where a validator exists;
invalid entries are kept and flagged, never dropped. DTDs and entities are refused (hostile XML).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ledgerhound.attribution.tag import Tag, check_address, normalize_address
from ledgerhound.errors import InvalidInputError

FEATURE_PREFIX = "Digital Currency Address - "
OFAC_SOURCE = "https://sanctionslistservice.ofac.treas.gov/"
# OFAC currency codes -> ledgerhound currency (TagPack ``currency``)
CURRENCY = {"XBT": "BTC"}


@dataclass(frozen=True)
class SanctionedAddress:
    address: str
    code: str  # OFAC's code: XBT, ETH, USDT, ...
    entity_uid: str
    name: str
    programs: tuple[str, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _child_text(elem: ET.Element, name: str) -> str:
    for c in elem:
        if _local(c.tag) == name:
            return (c.text or "").strip()
    return ""


def parse_sdn_xml(path: Path) -> list[SanctionedAddress]:
    """All digital-currency addresses in a classic or advanced SDN XML file, in file order."""
    root = _parse(path)
    kind = _local(root.tag)
    if kind == "sdnList":
        return _classic(root)
    if kind == "Sanctions":
        return _advanced(root)
    raise InvalidInputError(f"{path}: not an OFAC SDN XML file (root element <{kind}>)")


def _parse(path: Path) -> ET.Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror}", file=str(path)) from None
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise InvalidInputError(f"{path}: XML with a DTD or entities is refused", file=str(path))
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0]
        raise InvalidInputError(f"{path}:{line}: malformed XML ({exc})", file=str(path)) from None


def _classic(root: ET.Element) -> list[SanctionedAddress]:
    found = []
    for entry in root.iter():
        if _local(entry.tag) != "sdnEntry":
            continue
        uid = _child_text(entry, "uid")
        name = " ".join(
            p for p in (_child_text(entry, "firstName"), _child_text(entry, "lastName")) if p
        )
        programs = tuple(
            (p.text or "").strip() for pl in _children(entry, "programList") for p in pl
        )
        for id_list in _children(entry, "idList"):
            for ident in id_list:
                id_type = _child_text(ident, "idType")
                if id_type.startswith(FEATURE_PREFIX):
                    found.append(
                        SanctionedAddress(
                            _child_text(ident, "idNumber"), id_type[len(FEATURE_PREFIX) :].strip(),
                            uid, name, programs,
                        )
                    )  # fmt: skip
    return found


def _advanced(root: ET.Element) -> list[SanctionedAddress]:
    feature_codes = {
        e.get("ID"): (e.text or "")[len(FEATURE_PREFIX) :].strip()
        for e in root.iter()
        if _local(e.tag) == "FeatureType" and (e.text or "").startswith(FEATURE_PREFIX)
    }
    found = []
    for party in root.iter():
        if _local(party.tag) != "DistinctParty":
            continue
        uid = party.get("FixedRef", "")
        name = next(
            ((v.text or "").strip() for v in party.iter() if _local(v.tag) == "NamePartValue"), ""
        )
        for feature in party.iter():
            if (
                _local(feature.tag) != "Feature"
                or feature.get("FeatureTypeID") not in feature_codes
            ):
                continue
            code = feature_codes[feature.get("FeatureTypeID")]
            for detail in feature.iter():
                if _local(detail.tag) == "VersionDetail" and (detail.text or "").strip():
                    found.append(SanctionedAddress(detail.text.strip(), code, uid, name, ()))
    return found


def sdn_tags(path: Path, network: str = "mainnet") -> tuple[list[Tag], list[str]]:
    """SDN addresses as tags (category ``sanction``, confidence ``authority_data``) + problems."""
    tags, problems = [], []
    for entry in parse_sdn_xml(path):
        currency = CURRENCY.get(entry.code, entry.code)
        address = normalize_address(entry.address)
        valid, reason = check_address(currency, address, network)
        if valid is False:
            problems.append(f"{path}: invalid {entry.code} address {entry.address!r}: {reason}")
        label = f"OFAC SDN: {entry.name}" if entry.name else "OFAC SDN"
        context = f"uid={entry.entity_uid}" + (
            f"; programs={','.join(entry.programs)}" if entry.programs else ""
        )
        tags.append(
            Tag(
                address=address, currency=currency, label=label, source=OFAC_SOURCE,
                confidence="authority_data", category=None, abuse="sanction",
                concepts=("sanction",), context=context, tagpack=str(path),
                valid=valid, invalid_reason=reason,
            )
        )  # fmt: skip
    return tags, problems
