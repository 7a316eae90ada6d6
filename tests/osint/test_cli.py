"""``ledgerhound osint extract``: every input format, the JSON contract, errors, TagPack output."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.osint.conftest import CORPUS

BTC = "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX"


def extract(*args: str) -> dict:
    result = run_cli("osint", "extract", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json


def test_json_contract() -> None:
    out = extract(str(CORPUS / "telegram" / "result.json"))
    assert set(out) == {"method", "summary", "items", "invalid", "sources"}
    item = out["items"][0]
    assert list(item) == [
        "address", "chain", "kind", "valid", "checksum", "source", "date", "author", "url",
        "context", "as_found", "obfuscation", "solicitation", "score", "post",
    ]  # fmt: skip
    assert item["source"] == {
        "file": str(CORPUS / "telegram" / "result.json"),
        "chat": "Tawheed & Jihad Media (corpus)",
        "message_id": 11,
        "offset": 52,
    }
    assert item["date"] == "2019-04-02T09:15:00" and item["author"] == "Tawheed Media"
    assert item["obfuscation"] == ["zero-width"] and "\u200b" in item["as_found"]
    assert "ادعموا" in item["context"]
    assert set(out["sources"][0]) == {
        "source", "solicitation", "score", "cues", "scam_storefront", "scam_indicators",
    }  # fmt: skip
    assert out["invalid"][0]["reason"] == "Base58Check checksum mismatch"


def test_output_is_deterministic() -> None:
    first = run_cli("osint", "extract", str(CORPUS), "--json").stdout
    second = run_cli("osint", "extract", str(CORPUS), "--json").stdout
    assert first == second and len(first) > 1000


def test_telegram_links_and_list_text() -> None:
    out = extract(str(CORPUS / "telegram" / "result.json"))
    linked = [i for i in out["items"] if i["source"].get("field") == "links"]
    assert [(i["address"], i["source"]["message_id"]) for i in linked] == [
        ("32DaxSzUhLBHY2WGSWQYiBSHnRsfQZrrRp", 14)
    ]


def test_telegram_full_account_export(tmp_path: Path) -> None:
    chat = json.loads((CORPUS / "telegram" / "result.json").read_text(encoding="utf-8"))
    (tmp_path / "result.json").write_text(json.dumps({"chats": {"list": [chat, chat]}}))
    out = extract(str(tmp_path / "result.json"))
    assert (
        out["summary"]["items"]
        == 2 * extract(str(CORPUS / "telegram" / "result.json"))["summary"]["items"]
    )


def test_jsonl_fields() -> None:
    out = extract(str(CORPUS / "posts.jsonl"))
    first = out["items"][0]
    assert first["author"] == "Relief Fund" and first["date"] == "2020-03-02T10:00:00Z"
    assert first["url"] == "https://x.example/relief/status/1001"
    assert first["source"]["post_id"] == "1001" and first["source"]["line"] == 1


def test_json_array_of_posts(tmp_path: Path) -> None:
    path = tmp_path / "posts.json"
    path.write_text(json.dumps([{"text": "nothing"}, {"text": f"donate {BTC}", "user": "a"}]))
    (item,) = extract(str(path))["items"]
    assert item["source"]["index"] == 1 and item["author"] == "a"


def test_html_reads_text_links_and_copy_buttons_not_scripts() -> None:
    out = extract(str(CORPUS / "storefront.html"))
    fields = sorted((i["source"].get("field", "text"), i["address"]) for i in out["items"])
    assert [f for f, _ in fields] == ["attributes", "attributes", "text"]
    assert all("1BoatSLRHtKNngkdXEeobR76b53LETtpyT" != a for _, a in fields)
    (verdict,) = out["sources"]
    assert verdict["scam_storefront"] and not verdict["solicitation"]
    assert "fda-approved-claim" in verdict["scam_indicators"]


def test_text_file_lines_and_offsets() -> None:
    path = CORPUS / "arabic_call.txt"
    out = extract(str(path))
    text = path.read_text(encoding="utf-8")
    for item in out["items"]:
        start = item["source"]["offset"]
        assert text[start : start + len(item["as_found"])] == item["as_found"]
    assert [i["source"]["line"] for i in out["items"]] == [3, 5]
    assert out["items"][0]["obfuscation"] == ["line-break"]
    assert out["sources"][0]["solicitation"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"تبرعوا للمجاهدين على المحفظة {BTC}\n"))
    out = extract("-")
    assert [i["address"] for i in out["items"]] == [BTC]
    assert out["items"][0]["source"]["file"] == "-" and out["items"][0]["solicitation"]


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = "\n".join(json.dumps({"id": n, "text": f"n{n} {BTC}"}) for n in range(3))
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines + "\n"))
    out = extract("-")
    assert [i["source"]["line"] for i in out["items"]] == [1, 2, 3]


def test_directory_is_recursive_and_skips_binary(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(BTC)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00" + BTC.encode())
    out = extract(str(tmp_path))
    assert [i["source"]["file"] for i in out["items"]] == [str(tmp_path / "sub" / "a.txt")]


def test_human_output() -> None:
    result = run_cli("osint", "extract", str(CORPUS / "arabic_call.txt"))
    assert result.exit_code == 0
    assert "SOLICITATION" in result.stdout and "32DaxSzUhLBHY2WGSWQYiBSHnRsfQZrrRp" in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("bad.jsonl", '{"text": "ok"}\n{"text": \n', 4, "bad.jsonl: line 2 is not valid JSON"),
        ("list.jsonl", "[1, 2]\n", 4, "list.jsonl: line 1 is not a JSON object"),
        ("bad.json", "{not json", 4, "bad.json: not valid JSON"),
        ("other.json", '{"a": 1}', 4, "other.json: JSON object is not a Telegram export"),
        ("blob.txt", "\x00\x01binary", 4, "blob.txt: binary file, not text"),
    ],
)
def test_bad_input_is_one_line_error(
    tmp_path: Path, name: str, content: str, code: int, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = run_cli("osint", "extract", str(path))
    assert result.exit_code == code
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path() -> None:
    result = run_cli("osint", "extract", "/nonexistent/posts.txt", "--json")
    assert result.exit_code == 3 and result.json["error"]["code"] == "not_found"


def test_tagpack(tmp_path: Path) -> None:
    out = tmp_path / "findings.yaml"
    result = run_cli("osint", "extract", str(CORPUS), "--tagpack", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    pack = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert pack["confidence"] == "web_crawl" and pack["tag_type"] == "mention"
    tags = pack["tags"]
    assert len(tags) == result.json["summary"]["tagpack"]["tags"]
    keys = [(t["address"], t["network"], t["label"], t["source"]) for t in tags]
    assert len(keys) == len(set(keys))
    by_source = {t["source"]: t for t in tags}
    qassam = by_source["https://x.example/relief/status/1001"]
    assert qassam["label"] == "osint: address in a solicitation post"
    assert qassam["lastmod"] == "2020-03-02" and json.loads(qassam["context"])["score"] >= 4
    storefront = [t for t in tags if t["source"].endswith("storefront.html")]
    assert {t["label"] for t in storefront} == {"osint: address on a suspected scam storefront"}
    assert all(set(t) >= {"address", "currency", "network", "label", "source"} for t in tags)


def test_tagpack_into_missing_directory_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "f.yaml"
    result = run_cli("osint", "extract", str(CORPUS / "news_article.txt"), "--tagpack", str(out))
    assert result.exit_code == 4 and "does not exist" in result.stderr
    assert not out.parent.exists()


def test_stdin_html(monkeypatch: pytest.MonkeyPatch) -> None:
    page = f"<!doctype html><body><script>x='{BTC}'</script><a href='bitcoin:{BTC}'>pay</a>"
    monkeypatch.setattr(sys, "stdin", io.StringIO(page))
    out = extract("-")
    assert [(i["address"], i["source"]["field"]) for i in out["items"]] == [(BTC, "attributes")]


def test_tagpack_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for out in (first, second):
        assert run_cli("osint", "extract", str(CORPUS), "--tagpack", str(out)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


TELEGRAM_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Exported Data</title>
</head><body><div class="page_wrap"><div class="page_header"><div class="content">
<div class="text bold">Relief Channel</div></div></div><div class="page_body chat_page">
<div class="history">
<div class="message service" id="message-1"><div class="body details">2 April 2019</div></div>
<div class="message default clearfix" id="message41"><div class="pull_left userpic_wrap"></div>
<div class="body"><div class="pull_right date details" title="02.04.2019 09:15:00 UTC+03:00">
09:15</div><div class="from_name">Relief Channel</div>
<div class="text">ادعموا المجاهدين بالتبرع<br>{head}<br>{tail}</div></div></div>
<div class="message default clearfix joined" id="message42"><div class="body">
<div class="pull_right date details" title="02.04.2019 09:16:00 UTC+03:00">09:16</div>
<div class="text">mirror: <a href="https://blockchair.com/bitcoin/address/{btc}">here</a></div>
</div></div></div></div></div></body></html>
"""


def test_telegram_html_export(tmp_path: Path) -> None:
    path = tmp_path / "messages.html"
    path.write_text(TELEGRAM_HTML.format(head=BTC[:15], tail=BTC[15:], btc=BTC), encoding="utf-8")
    items = extract(str(path))["items"]
    assert [(i["source"]["message_id"], i["source"].get("field", "text")) for i in items] == [
        (41, "text"),
        (42, "links"),
    ]
    first, second = items
    assert first["address"] == second["address"] == BTC
    assert first["obfuscation"] == ["line-break"] and first["solicitation"]
    assert first["source"]["chat"] == "Relief Channel"
    assert first["date"] == "02.04.2019 09:15:00 UTC+03:00"
    assert second["author"] == "Relief Channel"  # a "joined" message inherits the sender
