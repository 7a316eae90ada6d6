"""``ledgerhound tags``: import is idempotent per file, export re-imports, errors are one line."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

DATA = Path(__file__).parents[1] / "data"
ALQAEDA = DATA / "tagpacks" / "aft-alqaeda-forfeit_vc.yaml"
OFAC_XML = DATA / "ofac" / "ofac_classic.xml"


def test_import_list_and_reimport_is_idempotent(tmp_path):
    store = tmp_path / "store"
    first = run_cli("tags", "import", ALQAEDA, OFAC_XML, "--json", store=store)
    assert first.exit_code == 0, first.stderr
    assert first.json["invalid"] == 1
    again = run_cli("tags", "import", ALQAEDA, "--json", store=store)
    assert again.json["total"] == first.json["total"]
    listed = run_cli("tags", "list", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", "--json", store=store)
    [tag] = listed.json["tags"]
    assert tag["abuse"] == "sanction" and tag["confidence_level"] == 60
    assert tag["label"] == "OFAC SDN: EXAMPLE HUB EXCHANGE"


def test_plain_list_needs_label_category_source(tmp_path):
    lst = tmp_path / "seen-in-post.txt"
    lst.write_text("# addresses from a Telegram post\n1421chCK32pV32Tw5MQbiUiKWKvnmj7d91\n")
    result = run_cli("tags", "import", lst, store=tmp_path / "s")
    assert result.exit_code == 4
    assert result.stderr == (
        f"ledgerhound: error: {lst}: a plain address list needs --label --category --source\n"
    )
    ok = run_cli(
        "tags", "import", lst, "--label", "Telegram charity", "--category",
        "terrorism_financing", "--source", "https://t.me/example/12", "--confidence",
        "web_crawl", "--json", store=tmp_path / "s",
    )  # fmt: skip
    assert ok.exit_code == 0 and ok.json["imported"] == 1


def test_unknown_category_is_rejected(tmp_path):
    lst = tmp_path / "l.txt"
    lst.write_text("1421chCK32pV32Tw5MQbiUiKWKvnmj7d91\n")
    result = run_cli(
        "tags", "import", lst, "--label", "x", "--category", "terrorists", "--source", "s",
        store=tmp_path / "s",
    )  # fmt: skip
    assert result.exit_code == 4
    assert "unknown category 'terrorists'" in result.stderr


def test_export_writes_a_tagpack_that_imports_again(tmp_path):
    store = tmp_path / "store"
    run_cli("tags", "import", ALQAEDA, store=store)
    out = tmp_path / "export.yaml"
    assert run_cli("tags", "export", "--out", out, store=store).exit_code == 0
    other = tmp_path / "other"
    back = run_cli("tags", "import", out, "--json", store=other)
    assert back.exit_code == 0, back.stderr
    original = run_cli("tags", "list", "--json", store=store).json["tags"]
    assert back.json["imported"] == len(original)
