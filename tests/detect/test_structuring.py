"""Structuring (fiat band at the day's rate, satoshi fallback) and dormant bursts (block time)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ledgerhound.detect.run import scan
from ledgerhound.market.prices import load_prices
from ledgerhound.sim.evaluate import evaluate
from ledgerhound.sim.scenario import Options, simulate
from tests.detect.chain import T0, Chain, addr

BTC = 10**8
DAY = 86_400
RATE = 4_000  # USD per BTC on 2019-01-01, the day of every default block below 144
USD_950 = 950 * BTC // RATE  # 23,750,000 sats: $950.00 at RATE


def _prices(tmp_path: Path, name: str, rows: dict[str, int]) -> Path:
    path = tmp_path / name
    lines = ["# source: test rates", "date,usd", *(f"{d},{usd}" for d, usd in rows.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _payer(c: Chain, name: str, amounts: list[int]) -> list[str]:
    """One single-address wallet paying ``amounts`` to fresh addresses, change back to itself."""
    c.block()
    coin = c.coinbase(f"{name}-w", 20 * BTC)
    txids = []
    for i, value in enumerate(amounts):
        change = c.values[coin] - value - 1_000
        txid = c.tx([coin], [(f"{name}-pay{i}", value), (f"{name}-w", change)])
        txids.append(txid)
        coin = (txid, 1)
    return txids


def _structuring(store, prices=None) -> list[dict]:
    report = scan(store, ["structuring"], prices=prices)
    assert report["prices"] == (
        {"source": prices.source, "sha256": prices.sha256} if prices else None
    )
    return report["findings"]


def test_fiat_band_finds_the_structurer_not_the_merchant(tmp_path):
    c = Chain()
    structurer = _payer(c, "struct", [USD_950 + 1_000 * i for i in range(6)])
    # varied amounts: $100, $400, $950, $2,500, $5,000, $12,000 (one in the band)
    _payer(c, "merchant", [usd * BTC // RATE for usd in (100, 400, 950, 2_500, 5_000, 12_000)])
    store = c.store(tmp_path / "s")
    prices = load_prices(_prices(tmp_path, "p.csv", {"2019-01-01": RATE}))
    found = _structuring(store, prices)
    assert len(found) == 1
    f = found[0]
    assert sorted(f["txids"]) == sorted(structurer)
    assert addr("struct-pay0") in f["addresses"] and addr("merchant-pay2") not in f["addresses"]
    ev = f["evidence"]
    assert ev["just_under"] == 6 and ev["outside_payments"] == 6
    assert ev["band_usd"] == [900.0, 1000]
    assert ev["threshold"] == {"usd": 1000, "prices": {"source": "test rates",
                                                      "sha256": prices.sha256}}  # fmt: skip


def test_the_band_uses_the_rate_of_the_payment_day(tmp_path):
    c = Chain()
    _payer(c, "struct", [USD_950] * 6)  # 0.2375 BTC each, all on 2019-01-01
    store = c.store(tmp_path / "s")
    at_4000 = load_prices(_prices(tmp_path, "a.csv", {"2019-01-01": 4_000}))
    at_8000 = load_prices(_prices(tmp_path, "b.csv", {"2019-01-01": 8_000}))  # $1,900 each
    other_day = load_prices(_prices(tmp_path, "c.csv", {"2019-01-02": 4_000}))  # no rate that day
    assert len(_structuring(store, at_4000)) == 1
    assert _structuring(store, at_8000) == []
    assert _structuring(store, other_day) == []  # a day without a rate is never "just under"


def test_without_prices_the_satoshi_threshold_is_used(tmp_path):
    c = Chain()
    sats = _payer(c, "sats", [9_500_000 + 10_000 * i for i in range(6)])  # 0.095 BTC
    _payer(c, "fiat", [USD_950] * 6)  # $950 at RATE, but 0.2375 BTC: outside the satoshi band
    store = c.store(tmp_path / "s")
    found = _structuring(store)
    assert [sorted(f["txids"]) for f in found] == [sorted(sats)]
    ev = found[0]["evidence"]
    assert ev["threshold"] == {"sats": 10_000_000}
    assert ev["band_sats"] == [9_000_000, 10_000_000] and "band_usd" not in ev


def _burst(c: Chain, name: str, coin: tuple[str, int], woke: int) -> None:
    """At ``woke`` the address ``name`` pays three times within two hours (change to itself)."""
    for i in range(3):
        c.block(woke + i * 3_600)
        rest = c.values[coin] - BTC // 10 - 500
        txid = c.tx([coin], [(f"{name}-to{i}", BTC // 10), (name, rest)])
        coin = (txid, 1)


def test_dormant_burst_after_400_days_not_after_30(tmp_path):
    c = Chain()
    c.block()  # both funded at T0, then silent
    quiet, sleeper = c.coinbase("quiet", 5 * BTC), c.coinbase("sleeper", 5 * BTC)
    _burst(c, "quiet", quiet, T0 + 30 * DAY)
    _burst(c, "sleeper", sleeper, T0 + 400 * DAY)
    store = c.store(tmp_path / "s")
    found = scan(store, ["dormant-burst"])["findings"]
    assert [f["addresses"] for f in found] == [[addr("sleeper")]]
    ev = found[0]["evidence"]
    assert ev["silent_days"] == 400.0
    assert ev["burst_span_hours"] == 2.0 and ev["burst_transactions"] == 3


@pytest.fixture(scope="module")
def seed2(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "scn"
    simulate(Options(seed=2, out=out, size=3000))
    with open(out / "truth" / "transactions.csv", newline="", encoding="utf-8") as f:
        kinds = [row["kind"] for row in csv.DictReader(f)]
    report = evaluate(out, only=["typologies"])["metrics"]["typologies"]["detectors"]
    return kinds, report


def test_simulated_structuring_and_dormant_holders_are_found(seed2):
    kinds, d = seed2
    assert kinds.count("structuring") >= 8  # at least one full episode
    assert kinds.count("dormant_wakeup") >= 9  # three holders, 3-4 payments each
    assert d["structuring"]["recall"] == 1.0 and d["structuring"]["precision"] >= 0.85
    assert d["dormant-burst"]["f1"] == 1.0
