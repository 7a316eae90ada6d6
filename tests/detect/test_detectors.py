"""Each detector on hand-built positive and negative chains (real store, real clustering)."""

from __future__ import annotations

import json

import pytest

from ledgerhound.detect.run import scan
from ledgerhound.errors import InvalidInputError, NotFoundError, StoreError
from tests.conftest import run_cli
from tests.detect.chain import Chain, addr

BTC = 10**8


def _found(store, typology: str, seeds=()) -> list[dict]:
    report = scan(store, [typology], seeds)
    return report["findings"]


def _donors(c: Chain, n: int, tag: str) -> list[tuple[str, int]]:
    """``n`` unrelated wallets, each with one coinbase coin."""
    c.block()
    return [c.coinbase(f"{tag}-donor{i}") for i in range(n)]


def campaign_chain(c: Chain, n: int = 8) -> tuple[list[str], str]:
    """Per-donor addresses each paid once by a distinct donor, then co-spent into one sweep."""
    coins = _donors(c, n, "camp")
    c.block()
    paid = []
    for i, coin in enumerate(coins):
        txid = c.tx([coin], [(f"camp-per-donor{i}", 2_000_000 + i), (f"camp-donor{i}-chg", BTC)])
        paid.append((txid, 0))
    c.block()
    sweep = c.tx(paid, [("camp-sweep", sum(2_000_000 + i for i in range(n)) - 1000)])
    return [addr(f"camp-per-donor{i}") for i in range(n)], sweep


def exchange_sweep_chain(c: Chain, n: int = 8) -> str:
    """The same shape swept by a tagged exchange: deposit addresses into its hot wallet."""
    coins = _donors(c, n, "exch")
    c.block()
    paid = []
    for i, coin in enumerate(coins):
        paid.append((c.tx([coin], [(f"exch-dep{i}", 3_000_000 + i), (f"exch-cust{i}", BTC)]), 0))
    c.block()
    sweep = c.tx(paid, [("exch-hot", sum(3_000_000 + i for i in range(n)) - 1000)])
    c.tags[addr("exch-dep0")] = "Exchange T"
    return sweep


def test_campaign_found_and_exchange_sweep_is_not(tmp_path):
    c = Chain()
    per_donor, sweep = campaign_chain(c)
    exchange_sweep = exchange_sweep_chain(c)
    store = c.store(tmp_path / "s")
    found = _found(store, "per-donor-campaign")
    assert len(found) == 1
    f = found[0]
    assert f["addresses"] == sorted(per_donor) and sweep in f["txids"]
    assert exchange_sweep not in f["txids"]
    assert f["evidence"]["distinct_funders"] == 8 and f["fatf_indicators"] == ["P4", "P5"]
    # the exchange's deposits are instead reported as deposit addresses of "Exchange T"
    deposits = _found(store, "exchange-deposit-address")
    assert {d["addresses"][0] for d in deposits} == {addr(f"exch-dep{i}") for i in range(8)}
    assert all(d["evidence"]["service"].startswith("Exchange T") for d in deposits)


def test_coinjoin_is_not_a_campaign(tmp_path):
    """Ten unrelated one-time inputs co-spent into equal outputs: a CoinJoin, not a campaign."""
    c = Chain()
    coins = _donors(c, 10, "cj")
    c.block()
    fresh = [(c.tx([coin], [(f"cj-in{i}", 10_100_000)]), 0) for i, coin in enumerate(coins)]
    c.block()
    outs = [(f"cj-out{i}", 10_000_000) for i in range(10)]
    mix = c.tx(fresh, outs + [(f"cj-chg{i}", 90_000) for i in range(10)])
    store = c.store(tmp_path / "s")
    assert _found(store, "per-donor-campaign") == []
    joins = _found(store, "coinjoin-use")
    assert [j["txids"] for j in joins] == [[mix]]


def crowdfunding_chain(c: Chain, n: int = 12) -> str:
    coins = _donors(c, n, "crowd")
    c.block()
    for i, coin in enumerate(coins):
        c.tx([coin], [("crowd-static", 1_500_000 + 7919 * i), (f"crowd-chg{i}", BTC)])
    return addr("crowd-static")


def test_crowdfunding_fan_in_versus_fixed_fee_and_large_settlements(tmp_path):
    c = Chain()
    static = crowdfunding_chain(c)
    coins = _donors(c, 12, "fee")
    c.block()
    for i, coin in enumerate(coins):  # a coordinator collecting one fixed fee
        c.tx([coin], [("fee-coordinator", 50_000), (f"fee-chg{i}", BTC)])
    coins = _donors(c, 12, "big")
    c.block()
    for i, coin in enumerate(coins):  # a merchant settling large invoices
        c.tx([coin], [("big-merchant", 30_000_000 + i), (f"big-chg{i}", BTC)])
    store = c.store(tmp_path / "s")
    found = _found(store, "static-address-crowdfunding")
    assert [f["addresses"] for f in found] == [[static]]
    assert found[0]["evidence"]["distinct_payers"] == 12


def hub_chain(c: Chain) -> str:
    """Five unrelated sources pay a reused hub address; it pays four groups, keeps change."""
    coins = _donors(c, 5, "src")
    c.block()
    paid = [(c.tx([coin], [("hub-central", 20_000_000), (f"src-chg{i}", BTC)]), 0)
            for i, coin in enumerate(coins)]  # fmt: skip
    c.block()
    outs = [(f"group{i}", 17_500_000) for i in range(4)] + [("hub-central", 29_990_000)]
    return c.tx(paid, outs)


def test_hub_found_but_exchange_batch_payout_is_not(tmp_path):
    c = Chain()
    redistribution = hub_chain(c)
    sweep = exchange_sweep_chain(c)  # the exchange's hot wallet then pays a batch of customers
    c.block()
    batch = [(f"customer{i}", 1_000_000 * (i + 1)) for i in range(6)] + [("exch-hot", 2_000_000)]
    payout = c.tx([(sweep, 0)], batch)
    store = c.store(tmp_path / "s")
    found = _found(store, "aggregation-hub-redistribution")
    assert [f["txids"] for f in found] == [[redistribution]]
    assert payout not in {t for f in found for t in f["txids"]}
    ev = found[0]["evidence"]
    assert (
        ev["recipients"] == 4
        and ev["largest_equal_payout_group"] == 4
        and ev["earlier_inflows_from_other_wallets"] == 5
    )


def peel_chain(c: Chain, length: int, gap: int) -> list[str]:
    c.block()
    coin, rest, txids = c.coinbase(f"peel{gap}-start"), 40 * BTC, []
    for hop in range(length):
        for _ in range(gap):
            c.block()
        rest -= 1_000_000
        txid = c.tx([coin], [(f"peel{gap}-pay{hop}", 900_000), (f"peel{gap}-rest{hop}", rest)])
        txids.append(txid)
        coin = (txid, 1)
    return txids


def test_peel_chain_fast_and_long_versus_slow_change(tmp_path):
    c = Chain()
    fast = peel_chain(c, 6, 1)
    slow = peel_chain(c, 6, 10)  # an ordinary wallet paying from change every ten blocks
    short = peel_chain(c, 2, 1)
    store = c.store(tmp_path / "s")
    found = _found(store, "peel-chain")
    assert [f["txids"] for f in found] == [sorted(fast)]
    assert found[0]["evidence"]["length"] == 6 and found[0]["evidence"]["end"] == "unspent"
    assert not set(slow + short) & set(found[0]["txids"])


def test_rapid_layering_through_one_time_addresses(tmp_path):
    c = Chain()
    c.block()
    coin = c.coinbase("layer-src")
    hops = []
    for i in range(3):
        c.block()
        hops.append(c.tx([coin], [(f"layer{i}", 49 * BTC - i * 1000)]))
        coin = (hops[-1], 0)
    c.block()
    exit_tx = c.tx([coin], [("layer-exit", 48 * BTC)])
    c.block()
    slow = c.coinbase("slow-src")
    for _ in range(6):
        c.block()
    c.tx([slow], [("slow-1", 49 * BTC)])
    store = c.store(tmp_path / "s")
    found = _found(store, "rapid-layering")
    assert len(found) == 1
    assert found[0]["txids"] == sorted(hops)  # the coinbase and the exit are not hops
    assert found[0]["evidence"]["hops"] == 3 and found[0]["evidence"]["exit_txid"] == exit_tx


def test_broker_behaviour_needs_untagged_many_payers_forwarding_to_exchange(tmp_path):
    c = Chain()
    coins = _donors(c, 12, "otc")
    c.block()
    intake = [(c.tx([coin], [(f"broker-in{i}", 5_000_000 + i), (f"otc-chg{i}", BTC)]), 0)
              for i, coin in enumerate(coins)]  # fmt: skip
    c.block()
    change: list[tuple[str, int]] = []
    for k in range(3):  # three deposits into its exchange account, change back to a reused
        spend = intake[4 * k : 4 * k + 4] + change  # address, so co-spending makes one wallet
        change_to = f"broker-in{4 * k}"
        txid = c.tx(spend, [(f"broker-deposit{k}", 19_000_000), (change_to, 500_000)])
        change = [(txid, 1)]
    c.tags[addr("broker-deposit0")] = "Exchange T"
    c.tags[addr("broker-deposit1")] = "Exchange T"
    c.tags[addr("broker-deposit2")] = "Exchange T"
    store = c.store(tmp_path / "s")
    found = _found(store, "unlicensed-broker-behaviour")
    assert len(found) == 1
    f = found[0]
    assert set(f["addresses"]) == {addr(f"broker-in{i}") for i in range(12)}
    assert f["evidence"]["services"] == ["Exchange T [exchange]"]
    assert "terror" not in json.dumps(f).lower()
    # the same flow by a wallet that is itself tagged as a service is that service's business
    c.tags[addr("broker-in0")] = "Exchange U"
    tagged = c.store(tmp_path / "tagged")
    assert _found(tagged, "unlicensed-broker-behaviour") == []


def test_seed_mode_and_errors(tmp_path):
    c = Chain()
    per_donor, _ = campaign_chain(c)
    static = crowdfunding_chain(c)
    store = c.store(tmp_path / "s")
    near = scan(store, seeds=[per_donor[0]], hops=2)
    assert near["mode"] == "seed" and near["counts"]["per-donor-campaign"] == 1
    assert near["counts"]["static-address-crowdfunding"] == 0
    assert scan(store, seeds=[static], hops=1)["counts"]["static-address-crowdfunding"] == 1
    with pytest.raises(NotFoundError):
        scan(store, seeds=[addr("never-seen")])
    with pytest.raises(InvalidInputError):
        scan(store, ["no-such-typology"])
    with pytest.raises(StoreError):
        scan(Chain_store_without_clusters(tmp_path))


def Chain_store_without_clusters(tmp_path):  # noqa: N802 - reads as a noun in the test
    c = Chain()
    c.block()
    c.coinbase("lonely")
    return c.store(tmp_path / "bare", cluster=False)


def test_cli_json_is_deterministic_and_errors_are_one_line(tmp_path):
    c = Chain()
    campaign_chain(c)
    hub_chain(c)
    store = c.store(tmp_path / "s")
    first = run_cli("detect", "--json", store=store.root)
    assert first.exit_code == 0, first.stderr
    second = run_cli("detect", "--json", store=store.root)
    assert first.stdout == second.stdout
    doc = first.json
    assert doc["data_fingerprint"] and doc["parameters"]["peel-chain"]["min_length"] == 5
    for f in doc["findings"]:
        assert set(f) == {"typology", "confidence", "addresses", "txids", "value", "first_seen",
                          "last_seen", "evidence", "fatf_indicators"}  # fmt: skip
    human = run_cli("detect", "-t", "per-donor-campaign", store=store.root)
    assert human.exit_code == 0 and "per-donor-campaign [" in human.stdout
    tuned = run_cli("detect", "--json", "--set", "peel-chain.min_length=7", store=store.root)
    assert tuned.exit_code == 0 and tuned.json["parameters"]["peel-chain"]["min_length"] == 7
    wrong = run_cli("detect", "--set", "peel-chain.nope=1", store=store.root)
    assert wrong.exit_code == 4 and "TYPOLOGY.PARAMETER" in wrong.stderr
    bad = run_cli("detect", "--seed", addr("nowhere"), store=store.root)
    assert bad.exit_code == 3 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_out_of_memory_is_one_line_exit_7(tmp_path):
    """A real DuckDB out-of-memory (2 MB limit, in a fresh process) becomes one line, exit 7."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    c = Chain()
    hub_chain(c)
    store = c.store(tmp_path / "s")
    cli = Path(sys.executable).with_name("ledgerhound")
    env = {**os.environ, "LEDGERHOUND_DUCKDB_MEMORY": "2MB"}
    done = subprocess.run([str(cli), "--store", str(store.root), "detect"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 7
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ledgerhound: error: detect: DuckDB ran out")
    assert "LEDGERHOUND_DUCKDB_MEMORY" in lines[0] and "Traceback" not in done.stderr


def test_wallet_consolidating_old_coins_is_not_a_campaign(tmp_path):
    """Eight one-time addresses paid by strangers long before the sweep: a wallet, not a drive."""
    c = Chain()
    coins = _donors(c, 8, "old")
    c.block()
    paid = [(c.tx([coin], [(f"old-recv{i}", 2_000_000 + i), (f"old-payer{i}-chg", BTC)]), 0)
            for i, coin in enumerate(coins)]  # fmt: skip
    for _ in range(20):  # the wallet sits on its coins for twenty blocks
        c.block()
    c.tx(paid, [("old-consolidated", 8 * 2_000_000)])
    per_donor, _ = campaign_chain(c)  # the same shape, swept within two blocks
    store = c.store(tmp_path / "s")
    found = _found(store, "per-donor-campaign")
    assert [f["addresses"] for f in found] == [sorted(per_donor)]
    assert found[0]["evidence"]["median_blocks_funding_to_sweep"] <= 2


def test_small_sweeps_linked_to_a_campaign_sweep_are_reported(tmp_path):
    """A sweep of three donations whose output the next sweep (of six) co-spends: one campaign."""
    c = Chain()
    small = _donors(c, 3, "s1")
    c.block()
    paid = [(c.tx([coin], [(f"s1-per-donor{i}", 1_000_000 + i), (f"s1-chg{i}", BTC)]), 0)
            for i, coin in enumerate(small)]  # fmt: skip
    c.block()
    first = c.tx(paid, [("s1-kept", 3_000_000)])
    big = _donors(c, 6, "s2")
    c.block()
    paid = [(c.tx([coin], [(f"s2-per-donor{i}", 1_500_000 + i), (f"s2-chg{i}", BTC)]), 0)
            for i, coin in enumerate(big)]  # fmt: skip
    c.block()
    second = c.tx(paid + [(first, 0)], [("s2-kept", 12_000_000)])
    store = c.store(tmp_path / "s")
    found = {f["evidence"]["consolidation_txid"]: f for f in _found(store, "per-donor-campaign")}
    assert set(found) == {first, second}
    assert found[first]["evidence"]["linked_sweeps"] == 2
    assert found[first]["evidence"]["linked_sweeps_funders"] == 9
    assert found[first]["addresses"] == sorted(addr(f"s1-per-donor{i}") for i in range(3))


def test_exchange_payout_stream_is_not_a_peel_chain(tmp_path):
    """A hot wallet paying withdrawals one at a time from its change, between batch payouts."""
    c = Chain()
    c.block()
    coin, rest = c.coinbase("stream-hot"), 50 * BTC
    c.block()
    rest -= 3_000_000
    batch = [(f"stream-batch{i}", 1_000_000) for i in range(3)] + [("stream-chg-b", rest)]
    coin = (c.tx([coin], batch), 3)
    for hop in range(6):
        rest -= 1_000_000
        coin = (c.tx([coin], [(f"stream-user{hop}", 900_000), (f"stream-chg{hop}", rest)]), 1)
    fast = peel_chain(c, 6, 1)
    store = c.store(tmp_path / "s")
    found = _found(store, "peel-chain")
    assert [f["txids"] for f in found] == [sorted(fast)]


def test_sellers_paying_a_broker_are_not_crowdfunding(tmp_path):
    """Twelve strangers each hand most of their coins to one intake address (an OTC desk)."""
    c = Chain()
    static = crowdfunding_chain(c)
    c.block()
    coins = [c.coinbase(f"otc-seller{i}", 6_000_000) for i in range(12)]
    c.block()
    for i, coin in enumerate(coins):  # small payments, but two thirds of what each seller holds
        c.tx([coin], [("otc-intake", 4_000_000 + 7919 * i), (f"otc-chg{i}", 1_900_000)])
    store = c.store(tmp_path / "s")
    found = _found(store, "static-address-crowdfunding")
    assert [f["addresses"] for f in found] == [[static]]
    assert found[0]["evidence"]["median_share_of_payer_inputs"] < 0.05


def test_hub_first_payout_and_large_batches(tmp_path):
    """The hub's first payout (one source so far) is reported once the hub qualifies; a wallet
    paying twelve outside addresses from two sources is a batch, not a hub."""
    c = Chain()
    c.block()
    src = c.coinbase("first-src")
    c.block()
    fed = c.tx([src], [("first-hub", 20 * BTC), ("first-src-chg", 29 * BTC)])
    c.block()
    outs = [(f"first-g{i}", 4 * BTC) for i in range(4)] + [("first-hub", 4 * BTC)]
    first = c.tx([(fed, 0)], outs)
    coins = _donors(c, 2, "more")
    c.block()
    paid = [(c.tx([coin], [("first-hub", 10 * BTC), (f"more-chg{i}", BTC)]), 0)
            for i, coin in enumerate(coins)]  # fmt: skip
    c.block()
    outs = [(f"second-g{i}", 5 * BTC) for i in range(4)] + [("first-hub", 3 * BTC)]
    later = c.tx([(first, 4), *paid], outs)
    coins = _donors(c, 2, "batch")
    c.block()
    fed = [(c.tx([coin], [("batch-payer", 40 * BTC)]), 0) for coin in coins]
    c.block()
    c.tx(fed, [(f"batch-payee{i}", 5 * BTC) for i in range(12)] + [("batch-payer", 19 * BTC)])
    store = c.store(tmp_path / "s")
    found = sorted(t for f in _found(store, "aggregation-hub-redistribution") for t in f["txids"])
    assert found == sorted([first, later])


def test_deposit_cap_is_reported_not_silent(tmp_path):
    c = Chain()
    exchange_sweep_chain(c)
    store = c.store(tmp_path / "s")
    capped = scan(store, ["exchange-deposit-address"],
                  overrides=["exchange-deposit-address.max_deposit_findings=3"])  # fmt: skip
    assert capped["counts"]["exchange-deposit-address"] == 3
    assert "only the first 3 deposit addresses" in capped["notes"][0]
    assert scan(store, ["exchange-deposit-address"])["notes"] == []


def test_busy_personal_address_is_not_crowdfunding(tmp_path):
    """Ten strangers pay a reused personal address whose owner spends each coin on its own; the
    same fan-in swept together in one consolidation is a collection address."""
    c = Chain()
    coins = _donors(c, 10, "busy")
    c.block()
    busy = [(c.tx([coin], [("busy-personal", 1_500_000 + 7919 * i), (f"busy-chg{i}", BTC)]), 0)
            for i, coin in enumerate(coins)]  # fmt: skip
    c.block()
    for i, coin in enumerate(busy):
        c.tx([coin], [(f"busy-shop{i}", 1_000_000), (f"busy-back{i}", 400_000)])
    coins = _donors(c, 10, "pool")
    c.block()
    pool = [(c.tx([coin], [("pool-static", 1_500_000 + 7919 * i), (f"pool-chg{i}", BTC)]), 0)
            for i, coin in enumerate(coins)]  # fmt: skip
    c.block()
    c.tx(pool, [("pool-swept", 15_000_000)])
    store = c.store(tmp_path / "s")
    found = _found(store, "static-address-crowdfunding")
    assert [f["addresses"] for f in found] == [[addr("pool-static")]]
    assert found[0]["evidence"]["spending_transactions_per_spent_coin"] == 0.1


def test_seed_mode_finds_what_the_full_scan_finds_nearby(tmp_path):
    """The graph-built neighbourhood tables give the same findings, evidence included, as the
    full scan for patterns inside the neighbourhood (campaign, hub, peel, structuring-free)."""
    c = Chain()
    per_donor, _ = campaign_chain(c)
    hub_tx = hub_chain(c)
    fast = peel_chain(c, 6, 1)
    store = c.store(tmp_path / "s")
    full = {(f["typology"], tuple(f["txids"])): f for f in scan(store)["findings"]}
    seeds = [per_donor[0], addr("hub-central"), addr("peel1-start")]
    near = scan(store, seeds=seeds, hops=7)["findings"]  # the peel chain is six hops long
    wanted = {"per-donor-campaign", "aggregation-hub-redistribution", "peel-chain"}
    got = {(f["typology"], tuple(f["txids"])): f for f in near if f["typology"] in wanted}
    assert {k[0] for k in got} == wanted
    assert hub_tx in {t for k in got for t in k[1]} and set(fast) <= {t for k in got for t in k[1]}
    for key, finding in got.items():
        assert _without_cluster_ids(finding) == _without_cluster_ids(full[key])


def _without_cluster_ids(finding: dict) -> dict:
    """Cluster ids are labels, not facts: compare everything else."""
    evidence = {k: v for k, v in finding["evidence"].items() if not k.endswith("_cluster")}
    return {**finding, "evidence": evidence}
