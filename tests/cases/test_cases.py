"""Cases: the CLI life cycle, the hash-chained audit log and what tampering does to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerhound.cases import audit
from tests.conftest import run_cli

ADDR = "bcrt1qqfwsjyaeewws9d4ud9r46urrl57jwh5mn9sygk"


@pytest.fixture
def store(tmp_path) -> Path:
    s = tmp_path / "store"
    assert run_cli("case", "new", "op1", "--title", "عملية ١", store=s).exit_code == 0
    assert run_cli("case", "add-seed", "op1", ADDR, "--source", "telegram", store=s).exit_code == 0
    assert run_cli("case", "note", "op1", "<b>seen</b> on channel", store=s).exit_code == 0
    r = run_cli("case", "seize", "op1", "--kind", "website", "--ref", "example.org",
                "--detail", "warrant 20-123", store=s)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    return s


def _log(store: Path) -> Path:
    return store / "cases" / "op1" / "audit.jsonl"


def test_life_cycle(store, tmp_path):
    rows = run_cli("case", "list", "--json", store=store).json
    assert rows == [{"name": "op1", "title": "عملية ١", "seeds": 1, "seizures": 1, "reports": 0}]
    case = run_cli("case", "show", "op1", "--json", store=store).json
    assert case["seeds"][0]["address"] == ADDR and case["notes"][0]["text"].startswith("<b>")
    assert case["seizures"][0]["kind"] == "website" and case["audit"]["entries"] == 4
    out = tmp_path / "export.json"
    assert run_cli("case", "export", "op1", "--out", out, store=store).exit_code == 0
    doc = json.loads(out.read_text())
    assert [e["command"] for e in doc["audit_log"]] == [
        "case new", "case add-seed", "case note", "case seize"]  # fmt: skip
    assert doc["verification"]["ok"] is True
    entry = doc["audit_log"][1]
    assert entry["parameters"] == {"address": ADDR, "source": "telegram"}
    assert {"time", "user", "result_sha256", "prev", "hash"} <= set(entry)
    r = run_cli("case", "verify", "op1", store=store)
    assert r.exit_code == 0 and "4 entries" in r.stdout


def test_edited_entry_fails_verification(store):
    lines = _log(store).read_text().splitlines()
    entry = json.loads(lines[1])
    entry["parameters"]["address"] = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    lines[1] = audit.canonical(entry)
    _log(store).write_text("\n".join(lines) + "\n")
    r = run_cli("case", "verify", "op1", store=store)
    assert r.exit_code == 5 and "entry 2" in r.stderr and "edited" in r.stderr


def test_rehashed_edit_still_breaks_the_chain(store):
    lines = _log(store).read_text().splitlines()
    entry = json.loads(lines[1])
    entry["parameters"]["source"] = "forged"
    entry["hash"] = audit.entry_hash(entry)  # the forger recomputes this entry's hash ...
    lines[1] = audit.canonical(entry)
    _log(store).write_text("\n".join(lines) + "\n")
    r = run_cli("case", "verify", "op1", store=store)
    assert r.exit_code == 5 and "entry 3" in r.stderr  # ... but the next link breaks


@pytest.mark.parametrize("how", ["drop_middle", "drop_last", "swap"])
def test_removed_or_reordered_entries_fail(store, how):
    lines = _log(store).read_text().splitlines()
    if how == "drop_middle":
        del lines[1]
    elif how == "drop_last":
        del lines[-1]
    else:
        lines[1], lines[2] = lines[2], lines[1]
    _log(store).write_text("\n".join(lines) + "\n")
    r = run_cli("case", "verify", "op1", "--json", store=store)
    assert r.exit_code == 5 and len(r.stderr.strip().splitlines()) == 1


def test_garbage_line_is_a_one_line_error(store):
    with _log(store).open("a") as fh:
        fh.write("{not json\n")
    r = run_cli("case", "verify", "op1", store=store)
    assert r.exit_code == 5 and "audit.jsonl:5" in r.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["case", "new", "../escape"], 4),
        (["case", "new", "op1"], 8),
        (["case", "show", "nope"], 3),
        (["case", "seize", "op1", "--kind", "car", "--ref", "x"], 4),
        (["case", "add-seed", "op1", ADDR], 8),
    ],
)
def test_bad_input(store, args, code):
    r = run_cli(*args, store=store)
    assert r.exit_code == code, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (store.parent / "escape").exists()


def test_investigate_is_recorded_in_the_case(sim_case, tmp_path):
    store = sim_case.store
    seed = next(r["address"] for r in sim_case.truth("osint") if r["campaign"] == "charity2-2019")
    assert run_cli("case", "new", "rec", store=store).exit_code == 0
    assert run_cli("case", "add-seed", "rec", seed, store=store).exit_code == 0
    r = run_cli("investigate", "--case", "rec", "--json", store=store)
    assert r.exit_code == 0, r.stderr
    folder = Path(r.json["out"])
    assert folder == store / "cases" / "rec" / "report" and (folder / "report.html").exists()
    case = run_cli("case", "show", "rec", "--json", store=store).json
    assert case["findings"] and case["reports"][0]["outputs"]["report.json"]
    log = run_cli("case", "export", "rec", store=store).json["audit_log"]
    assert log[-1]["command"] == "investigate" and log[-1]["parameters"]["seeds"] == [seed]
    assert run_cli("case", "verify", "rec", store=store).exit_code == 0
