"""OFAC SDN XML in both formats and namespaces; invalid entries flagged, hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerhound.attribution.ofac import parse_sdn_xml, sdn_tags
from ledgerhound.errors import InvalidInputError

OFAC = Path(__file__).parents[1] / "data" / "ofac"


def test_classic_every_digital_currency_feature():
    entries = parse_sdn_xml(OFAC / "ofac_classic.xml")
    assert [(e.code, e.address) for e in entries] == [
        ("XBT", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"),
        ("XBT", "125W5ek3DT6Zqy5S2iPt4FHQdNMCbZA3FU"),
        ("ETH", "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1"),
        ("XBT", "1295rkVyNfFpqZpXvKGhDqwhP1jZcNNDMX"),
        ("TRX", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"),
    ]
    assert entries[0].programs == ("SDGT", "CYBER2")
    assert entries[-1].name == "Example FINANCIER"


def test_advanced_format_resolves_feature_ids_by_name():
    entries = parse_sdn_xml(OFAC / "ofac_advanced.xml")
    assert [(e.code, e.address, e.entity_uid) for e in entries] == [
        ("XBT", "129zKFLoVad9JtxSmDKeJoLCsjhGR7b3vr", "90001"),
        ("USDT", "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1", "90001"),
    ]
    assert entries[0].name == "EXAMPLE HUB EXCHANGE"


def test_tags_flag_invalid_addresses_instead_of_dropping_them():
    tags, problems = sdn_tags(OFAC / "ofac_classic.xml")
    assert len(tags) == 5
    bad = [t for t in tags if t.valid is False]
    assert [t.address for t in bad] == ["1295rkVyNfFpqZpXvKGhDqwhP1jZcNNDMX"]
    assert problems == [
        f"{OFAC / 'ofac_classic.xml'}: invalid XBT address '1295rkVyNfFpqZpXvKGhDqwhP1jZcNNDMX': "
        "Base58Check checksum mismatch"
    ]
    eth = next(t for t in tags if t.currency == "ETH")
    assert eth.address == "0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1"  # lowercased for matching
    assert all(t.abuse == "sanction" and t.confidence == "authority_data" for t in tags)


def test_hostile_and_malformed_xml(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sdnList>&a;</sdnList>')
    with pytest.raises(InvalidInputError, match="DTD or entities is refused"):
        parse_sdn_xml(bomb)
    broken = tmp_path / "broken.xml"
    broken.write_text("<sdnList>\n<sdnEntry>\n</sdnList>")
    with pytest.raises(InvalidInputError, match=r"broken.xml:3: malformed XML"):
        parse_sdn_xml(broken)
    other = tmp_path / "other.xml"
    other.write_text("<rss/>")
    with pytest.raises(InvalidInputError, match="not an OFAC SDN XML file"):
        parse_sdn_xml(other)
