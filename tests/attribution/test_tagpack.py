"""TagPack reading against real public packs, malformed packs reported by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerhound.attribution.tag import Tag
from ledgerhound.attribution.tagpack import read_tagpack, write_tagpack
from ledgerhound.attribution.taxonomy import ancestors, is_a
from ledgerhound.errors import InvalidInputError

PACKS = Path(__file__).parents[1] / "data" / "tagpacks"


def test_alqaeda_forfeiture_pack_inherits_header_fields():
    result = read_tagpack(PACKS / "aft-alqaeda-forfeit_vc.yaml")
    assert result.title == "155 virtual currency assets"
    btc = [t for t in result.tags if t.currency == "BTC"]
    assert btc and all(t.label == "Al-Qaeda Campaign" for t in btc)
    first = next(t for t in btc if t.address == "1421chCK32pV32Tw5MQbiUiKWKvnmj7d91")
    assert first.abuse == "terrorism"
    assert first.confidence == "authority_data" and first.confidence_level == 60
    assert first.valid is True
    assert first.source == "https://www.justice.gov/opa/press-release/file/1304296/download"


def test_demo_pack_header_actor_and_cluster_definer():
    tags = read_tagpack(PACKS / "demo.yaml").tags
    archive = next(t for t in tags if t.address == "1Archive1n2C579dMsAu3iC6tWzuQJz8dN")
    assert (archive.label, archive.actor, archive.category) == (
        "Internet Archive",
        "internet_archive",
        "organization",
    )
    assert archive.is_cluster_definer and archive.confidence_level == 50


def test_ofac_pack_without_confidence_and_with_a_tron_address_mislabelled_btc():
    result = read_tagpack(PACKS / "ofac.yaml", default_confidence="authority_data")
    assert any("confidence missing" in p for p in result.problems)
    bad = [t for t in result.tags if t.valid is False]
    assert [t.address for t in bad] == ["TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"]
    assert any(p.endswith("unknown Base58 address version byte 0x41") or "0x41" in p
               for p in result.problems)  # fmt: skip
    assert all(t.confidence == "authority_data" for t in result.tags)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: t\ncreator: c\n", "lacks mandatory 'tags'"),
        ("title: t\ncreator: c\ntags:\n- label: x\n  source: s\n  currency: BTC\n"
         "  confidence: forensic\n", "exactly one of 'address' and 'tx_hash'"),
        ("title: t\ncreator: c\nlabel: x\nsource: s\ncurrency: BTC\ntags:\n"
         "- address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n  confidence: guesswork\n",
         ":7: unknown confidence 'guesswork'"),
        ("title: t\ncreator: c\nlabel: x\nsource: s\ncurrency: BTC\nconfidence: forensic\n"
         "tags:\n- address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n  abuse: terrorist\n",
         ":8: unknown concept 'terrorist'"),
        ("title: t\ncreator: c\ntags:\n- address: 1Archive1n2C579dMsAu3iC6tWzuQJz8dN\n"
         "  currency: BTC\n  source: s\n  confidence: forensic\n",
         ":4: tag lacks mandatory 'label'"),
        ("title: [unclosed\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_malformed_packs_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError) as err:
        read_tagpack(path)
    assert str(path) in err.value.message
    assert message in err.value.message


def test_terrorism_financing_is_extremism():
    assert is_a("terrorism_financing", "extremism")
    assert ancestors("exchange") == ["exchange", "service", "entity", "concept"]


labels = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                 max_size=30).map(str.strip).filter(bool)  # fmt: skip


@given(st.lists(st.tuples(labels, st.sampled_from(["terrorism_financing", "exchange", None])),
                min_size=1, max_size=8))  # fmt: skip
@settings(max_examples=40, deadline=None)
def test_write_then_read_round_trip(tmp_path_factory, rows):
    address = "1Archive1n2C579dMsAu3iC6tWzuQJz8dN"
    tags = [
        Tag(address=address, currency="BTC", label=label, source="https://example.org/post",
            confidence="web_crawl", category=category)
        for label, category in rows
    ]  # fmt: skip
    out = tmp_path_factory.mktemp("tp") / "out.yaml"
    write_tagpack(tags, out, title="findings", creator="ledgerhound")
    back = read_tagpack(out).tags
    key = lambda t: (t.address, t.label, t.category or "")  # noqa: E731
    assert sorted(map(key, back)) == sorted(map(key, tags))
    assert all(t.confidence == "web_crawl" for t in back)
