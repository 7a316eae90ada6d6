"""Queries on the real block 413,567, cross-checked with python-bitcoinlib, and their errors."""

from __future__ import annotations

from pathlib import Path

import bitcoin
import pytest
from bitcoin.core import CBlock, b2lx
from bitcoin.wallet import CBitcoinAddress, CBitcoinAddressError

from ledgerhound.errors import InvalidAddressError, InvalidInputError, NotFoundError, StoreError
from ledgerhound.store import Store

BLOCK_HASH = "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069"
ALL_RESOLVED_TX = "10a6223202532fc0a1f92005e6554d7892f11e4acf04bac3b57a853172491f1d"
P2SH_TX = "ea6f03c274d2926df55c600beb83599bf9d4cb335cc3d174d643bbe523350a66"
BUSY_ADDRESS = "37fg2WxH8PNun92ZDmrjFX8J8qdZw2bqx3"


@pytest.fixture(scope="module")
def reference():
    """The block decoded by python-bitcoinlib: txid -> CTransaction, plus address lookup."""
    bitcoin.SelectParams("mainnet")
    raw = (Path(__file__).parents[1] / "data" / "bitcoin" / "block413567.raw").read_bytes()
    block = CBlock.deserialize(raw)
    return {b2lx(tx.GetTxid()): tx for tx in block.vtx}


def _addr(script) -> str | None:
    try:
        return str(CBitcoinAddress.from_scriptPubKey(script))
    except CBitcoinAddressError:
        return None


@pytest.mark.parametrize("txid", [ALL_RESOLVED_TX, P2SH_TX])
def test_tx_matches_bitcoinlib(real_store, reference, txid):
    info = real_store.tx(txid)
    ref = reference[txid]
    assert info["txid"] == txid and info["block_hash"] == BLOCK_HASH
    assert info["height"] == 413567 and info["is_coinbase"] is False
    assert [(o["value"], o["address"]) for o in info["outputs"]] == [
        (o.nValue, _addr(o.scriptPubKey)) for o in ref.vout
    ]
    assert [(i["prev_txid"], i["prev_vout"]) for i in info["inputs"]] == [
        (b2lx(i.prevout.hash), i.prevout.n) for i in ref.vin
    ]
    assert info["size"] == len(ref.serialize())


def test_fee_of_fully_resolved_tx(real_store, reference):
    info = real_store.tx(ALL_RESOLVED_TX)
    ref = reference[ALL_RESOLVED_TX]
    spent = [reference[b2lx(i.prevout.hash)].vout[i.prevout.n] for i in ref.vin]
    assert [i["value"] for i in info["inputs"]] == [o.nValue for o in spent]
    assert [i["address"] for i in info["inputs"]] == [_addr(o.scriptPubKey) for o in spent]
    expected_fee = sum(o.nValue for o in spent) - sum(o.nValue for o in ref.vout)
    assert info["fee"] == expected_fee and expected_fee > 0


def test_fee_unknown_when_inputs_unresolved(real_store):
    info = real_store.tx(P2SH_TX)
    assert any(i["value"] is None for i in info["inputs"])
    assert info["fee"] is None and info["input_value"] is None


def test_coinbase_has_no_fee(real_store, reference):
    coinbase = real_store.block(413567, limit=1)["txids"][0]
    info = real_store.tx(coinbase.upper())  # txids are case-insensitive
    assert info["is_coinbase"] is True and info["fee"] is None
    assert info["inputs"][0]["prev_txid"] is None
    assert info["output_value"] == sum(o.nValue for o in reference[coinbase].vout)


def test_address_matches_bitcoinlib(real_store, reference):
    received = sent = 0
    txids = set()
    for txid, tx in reference.items():
        for out in tx.vout:
            if _addr(out.scriptPubKey) == BUSY_ADDRESS:
                received += out.nValue
                txids.add(txid)
        for txin in tx.vin:
            prev = reference.get(b2lx(txin.prevout.hash))
            if prev is not None and _addr(prev.vout[txin.prevout.n].scriptPubKey) == BUSY_ADDRESS:
                sent += prev.vout[txin.prevout.n].nValue
                txids.add(txid)
    info = real_store.address(BUSY_ADDRESS)
    assert (info["received"], info["sent"]) == (received, sent)
    assert info["balance"] == received - sent
    assert info["tx_count"] == len(txids)
    seen = {"height": 413567, "time": "2016-05-26T23:58:43Z"}
    assert info["first_seen"] == seen and info["last_seen"] == seen


def test_block_by_height_and_hash(real_store, reference):
    by_height = real_store.block("413567", offset=2, limit=3)
    by_hash = real_store.block(BLOCK_HASH.upper(), offset=2, limit=3)
    assert by_height == by_hash
    assert by_height["tx_count"] == 1557 and by_height["time"] == "2016-05-26T23:58:43Z"
    assert by_height["txids"] == list(reference)[2:5]
    assert (
        by_height["prev_hash"] == "00000000000000000542b54d29b12b523ff6c6474e0e86085bd3005ec6c5ce11"
    )


def test_chain_store_resolves_across_blocks(tmp_path, chain):
    from tests.store.conftest import chain_store

    store = chain_store(tmp_path / "s", chain)
    con = store.connect()
    spends = con.execute("SELECT txid FROM inputs WHERE prev_txid IS NOT NULL").fetchall()
    con.close()
    fees = [store.tx(t)["fee"] for (t,) in spends]
    assert fees == [1000] * len(spends)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.tx("abc"), InvalidInputError,
         "txid must be 64 hex digits, got 'abc' (3 characters)"),
        (lambda s: s.tx("0" * 64), NotFoundError, f"transaction {'0' * 64} is not in the store"),
        (lambda s: s.block("1"), NotFoundError, "block height 1 is not in the store"),
        (lambda s: s.block("tip"), InvalidInputError,
         "block must be a height or a 64-hex-digit hash, got 'tip'"),
        (lambda s: s.address("1DTbwU5DFCtUfRB2sWfmAnmknPGrcz6VmG"), InvalidAddressError,
         "invalid address '1DTbwU5DFCtUfRB2sWfmAnmknPGrcz6VmG': Base58Check checksum mismatch"),
        (lambda s: s.address("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdQ"), InvalidAddressError,
         "invalid address 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdQ': "
         "mixed upper and lower case in bech32 string"),
        (lambda s: s.address("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), NotFoundError,
         "address bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq does not appear in the store"),
    ],
)  # fmt: skip
def test_query_errors(real_store, call, error, message):
    with pytest.raises(error) as err:
        call(real_store)
    assert err.value.message == message


def test_missing_store(tmp_path):
    with pytest.raises(StoreError) as err:
        Store(tmp_path / "none").stats()
    assert err.value.message == (
        f"no store at {tmp_path / 'none'} (create one with `ledgerhound ingest`)"
    )
