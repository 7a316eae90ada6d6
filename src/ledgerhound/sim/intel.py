"""What an investigator already holds: a GraphSense TagPack and an OFAC-style SDN list.

- ``intel/tagpack.yaml``: GraphSense TagPack (header fields inherited by every tag) labelling a
  random ~40% of each exchange's known addresses (hot wallet + first deposit addresses), with
  ``confidence: service_data`` and ``category: exchange``: partial, like real packs.
- ``intel/sdn.xml``: the classic ``sdnList`` XML with the sanctioned hub as an SDGT entity whose
  ``idList`` carries three of its four central addresses as ``Digital Currency Address - XBT``,
  plus unrelated entries (one without addresses, one with an ETH address) as real lists have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

SDN_NS = "http://tempuri.org/sdnList.xsd"


def write(directory: Path, scenario: Any) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tagpack.yaml").write_text(tagpack(scenario), encoding="utf-8")
    (directory / "sdn.xml").write_text(sdn_xml(scenario), encoding="utf-8")


def tagpack(scenario: Any) -> str:
    rng = scenario.world.rng
    tags = []
    for ex in scenario.eco.exchanges:
        known = [a for a in [ex.hot_lock.address, *ex.known] if a]
        chosen = [a for a in known if rng.random() < 0.4] or known[:1]
        actor = ex.entity.name.lower().replace(" ", "_")
        tags += [{"address": a, "label": ex.entity.name, "actor": actor} for a in chosen]
    pack = {
        "title": "Simulated exchange addresses",
        "creator": "ledgerhound simulate",
        "description": "Partial exchange attribution for a simulated scenario (synthetic data).",
        "is_public": True,
        "confidence": "service_data",
        "category": "exchange",
        "currency": "BTC",
        "network": "BTC",
        "lastmod": "2020-09-30",
        "source": "https://example.invalid/ledgerhound/simulated-intel",
        "tags": tags,
    }
    return yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=100)


def _entry(uid: int, name: str, sdn_type: str, ids: list[tuple[str, str]], akas: list[str]) -> str:
    id_xml = "".join(
        f"<id><uid>{uid * 10 + i}</uid><idType>{escape(t)}</idType>"
        f"<idNumber>{escape(v)}</idNumber></id>"
        for i, (t, v) in enumerate(ids, 1)
    )
    aka_xml = "".join(
        f"<aka><uid>{uid * 100 + i}</uid><type>a.k.a.</type><category>strong</category>"
        f"<lastName>{escape(a)}</lastName></aka>"
        for i, a in enumerate(akas, 1)
    )
    return (
        f"  <sdnEntry>\n    <uid>{uid}</uid>\n    <lastName>{escape(name)}</lastName>\n"
        f"    <sdnType>{sdn_type}</sdnType>\n"
        f"    <programList><program>SDGT</program></programList>\n"
        + (f"    <idList>{id_xml}</idList>\n" if id_xml else "")
        + (f"    <akaList>{aka_xml}</akaList>\n" if aka_xml else "")
        + "  </sdnEntry>\n"
    )


def sdn_xml(scenario: Any) -> str:
    hub = scenario.hub
    listed = [lk.address for lk in hub.central[:3] if lk.address]
    entries = [
        _entry(90001, "EXAMPLE TRADING COMPANY", "Entity", [], ["EXAMPLE TRADING CO"]),
        _entry(
            90002,
            hub.hub.entity.name.upper(),
            "Entity",
            [("Digital Currency Address - XBT", a) for a in listed],
            ["HUB TRANSFER"],
        ),
        _entry(
            90003,
            "EXAMPLE EXCHANGER LLC",
            "Entity",
            [("Digital Currency Address - ETH", "0x" + "5e" * 20)],
            [],
        ),
    ]
    return (
        '<?xml version="1.0" standalone="yes"?>\n'
        f'<sdnList xmlns="{SDN_NS}">\n'
        "  <publshInformation><Publish_Date>09/30/2020</Publish_Date>"
        f"<Record_Count>{len(entries)}</Record_Count></publshInformation>\n"
        + "".join(entries)
        + "</sdnList>\n"
    )
