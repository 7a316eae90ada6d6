"""Block files: framing, networks, XOR, chain order, forks and every kind of corruption."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerhound.codecs.address import NETWORKS
from ledgerhound.errors import CorruptDataError, InvalidInputError
from ledgerhound.sources.blkfiles import read_block_batches
from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch
from tests.sources.blockfactory import (
    block_hash,
    child_block,
    frame,
    mainnet_block,
    regtest_genesis,
    segwit_block,
    xor,
)

B0, B1 = mainnet_block(0), mainnet_block(1)
B413567 = mainnet_block(413567)
KEY = bytes.fromhex("3a1f0c8e9b2d4e71")


def read_all(paths, **kw):
    return list(read_block_batches([Path(p) for p in paths], **kw))


def blocks_of(batches) -> list[tuple[str, int | None, bool]]:
    return [
        (row["hash"], row["height"], row["in_main_chain"])
        for b in batches
        for row in b.blocks.to_pylist()
    ]


@pytest.fixture(scope="module")
def chain() -> dict[str, bytes]:
    """Regtest: genesis - 1 - 2a - 3a, plus 2b (a stale sibling of 2a)."""
    g = regtest_genesis()
    b1 = child_block(g, 1)
    b2a = child_block(b1, 2, tag=1)
    b3a = child_block(b2a, 3, tag=1)
    b2b = child_block(b1, 2, tag=2)
    return {"g": g, "1": b1, "2a": b2a, "3a": b3a, "2b": b2b}


# --- real blocks ----------------------------------------------------------------------------


def test_lone_raw_block_gets_bip34_height(tmp_path: Path) -> None:
    path = tmp_path / "block413567.raw"
    path.write_bytes(B413567)
    (batch,) = read_all([path])
    (row,) = batch.blocks.to_pylist()
    assert row["height"] == 413567 and row["in_main_chain"]
    assert row["hash"] == "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069"
    assert (batch.transactions.num_rows, batch.inputs.num_rows, batch.outputs.num_rows) == (
        1557,
        4887,
        3581,
    )
    assert batch.network == "mainnet" and "block413567.raw" in batch.origin


def test_hex_block_as_getblock_0_prints_equals_binary(tmp_path: Path) -> None:
    binary, text = tmp_path / "b.raw", tmp_path / "b.hex"
    binary.write_bytes(B413567)
    text.write_text(B413567.hex() + "\n")
    (a,), (b,) = read_all([binary]), read_all([text])
    for name in ("blocks", "transactions", "outputs", "inputs"):
        assert getattr(a, name).equals(getattr(b, name))


def test_blk_file_out_of_order_with_padding_matches_raw_path(tmp_path: Path) -> None:
    blk = tmp_path / "blk00000.dat"
    blk.write_bytes(frame([B1, B0], "mainnet") + bytes(4096))
    (batch,) = read_all([blk])
    expected = blocks_to_batch([RawBlock(B0, 0, True), RawBlock(B1, 1, True)], NETWORKS["mainnet"])
    for name in ("blocks", "transactions", "outputs", "inputs"):
        assert getattr(batch, name).equals(getattr(expected, name))
    assert batch.blocks["height"].to_pylist() == [0, 1]


def test_xor_obfuscated_directory_reads_like_plain(tmp_path: Path) -> None:
    plain, obf = tmp_path / "plain", tmp_path / "obf"
    plain.mkdir(), obf.mkdir()
    files = {"blk00000.dat": frame([B1], "mainnet"), "blk00001.dat": frame([B0], "mainnet")}
    for name, data in files.items():
        (plain / name).write_bytes(data + bytes(64))
        (obf / name).write_bytes(xor(data, KEY) + bytes(64))  # fallocate padding is not XORed
    (obf / "xor.dat").write_bytes(KEY)
    (plain / "xor.dat").write_bytes(bytes(8))  # all-zero key: a no-op
    got, want = read_all([obf]), read_all([plain])
    assert (
        blocks_of(got) == blocks_of(want) == [(block_hash(B0), 0, True), (block_hash(B1), 1, True)]
    )
    assert got[0].inputs.equals(want[0].inputs)


def test_xor_padding_written_through_the_key_also_stops(tmp_path: Path) -> None:
    data = frame([B0], "mainnet") + bytes(32)
    (tmp_path / "blk00000.dat").write_bytes(xor(data, KEY))
    (tmp_path / "xor.dat").write_bytes(KEY)
    assert blocks_of(read_all([tmp_path])) == [(block_hash(B0), 0, True)]


def test_obfuscated_file_without_its_key_is_a_wrong_magic(tmp_path: Path) -> None:
    (tmp_path / "blk00000.dat").write_bytes(xor(frame([B0], "mainnet"), KEY))
    with pytest.raises(CorruptDataError, match=r"blk00000.dat: wrong network magic .* offset 0"):
        read_all([tmp_path])


# --- networks -------------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["regtest", "testnet", "testnet4", "signet"])
def test_network_detected_from_magic(tmp_path: Path, chain, network: str) -> None:
    blk = tmp_path / "blk00000.dat"
    blk.write_bytes(frame([chain["g"], chain["1"]], network))
    (batch,) = read_all([blk])
    assert batch.network == network
    address = batch.outputs["address"].to_pylist()[-1]
    assert address.startswith(("m", "n"))  # testnet-style P2PKH on every non-main network


def test_forced_network_mismatch_names_magic_and_offset(tmp_path: Path, chain) -> None:
    blk = tmp_path / "blk00000.dat"
    blk.write_bytes(frame([chain["g"]], "regtest"))
    with pytest.raises(CorruptDataError) as err:
        read_all([blk], network="mainnet")
    assert err.value.message == (
        "blk00000.dat: wrong network magic fabfb5da (regtest), expected mainnet f9beb4d9 "
        "at byte offset 0"
    )
    assert err.value.details == {"file": str(blk), "offset": 0}


def test_wrong_magic_midway_names_its_offset(tmp_path: Path) -> None:
    data = frame([B0], "mainnet") + b"\xde\xad\xbe\xef" + frame([B1], "mainnet")[4:]
    (tmp_path / "blk00000.dat").write_bytes(data)
    with pytest.raises(
        CorruptDataError, match=r"magic deadbeef, expected mainnet f9beb4d9 at byte offset 293"
    ):
        read_all([tmp_path])


# --- chain shape ----------------------------------------------------------------------------


def test_fork_longer_branch_wins_stale_after(tmp_path: Path, chain) -> None:
    order = ["3a", "2b", "1", "g", "2a"]
    (tmp_path / "blk00000.dat").write_bytes(frame([chain[k] for k in order]))
    got = blocks_of(read_all([tmp_path]))
    h = {k: block_hash(v) for k, v in chain.items()}
    assert got == [
        (h["g"], 0, True),
        (h["1"], 1, True),
        (h["2a"], 2, True),
        (h["3a"], 3, True),
        (h["2b"], None, False),
    ]


def test_tie_goes_to_the_first_seen_tip(tmp_path: Path, chain) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame([chain[k] for k in ["g", "1", "2b", "2a"]]))
    got = blocks_of(read_all([tmp_path]))
    assert got[2] == (block_hash(chain["2b"]), 2, True)
    assert got[3] == (block_hash(chain["2a"]), None, False)


def test_chain_without_genesis_numbered_by_bip34(tmp_path: Path, chain) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame([chain["2a"], chain["3a"], chain["1"]]))
    got = blocks_of(read_all([tmp_path]))
    assert [height for _, height, _ in got] == [1, 2, 3]


def test_root_without_bip34_cannot_be_numbered(tmp_path: Path) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame([B1], "mainnet"))  # version 1, parent absent
    with pytest.raises(InvalidInputError, match="no parent in the input and no BIP34 height"):
        read_all([tmp_path])


def test_batches_in_height_order_and_duplicates_once(tmp_path: Path, chain) -> None:
    blocks = [chain[k] for k in ["3a", "g", "2a", "1", "2b"]]
    (tmp_path / "blk00000.dat").write_bytes(frame(blocks[:3]))
    (tmp_path / "blk00001.dat").write_bytes(frame(blocks[2:]))  # 2a stored twice
    batches = read_all([tmp_path], batch_blocks=2)
    assert [b.block_count for b in batches] == [2, 2, 1]
    assert [h for _, h, _ in blocks_of(batches)] == [0, 1, 2, 3, None]
    assert batches[1].origin == "blkfiles:blk00000.dat"  # 2a's first copy is used
    assert batches[2].origin == "blkfiles:blk00001.dat"


def test_output_is_deterministic(tmp_path: Path, chain) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame(list(chain.values())))
    one, two = read_all([tmp_path]), read_all([tmp_path])
    assert len(one) == len(two) == 1
    assert one[0].inputs.equals(two[0].inputs) and one[0].blocks.equals(two[0].blocks)


# --- corruption -----------------------------------------------------------------------------


def test_truncated_file_names_file_and_record_offset(tmp_path: Path) -> None:
    data = frame([B0, B413567], "mainnet")
    (tmp_path / "blk00003.dat").write_bytes(data[:-1000])
    with pytest.raises(CorruptDataError) as err:
        read_all([tmp_path])
    assert err.value.message.startswith("blk00003.dat: truncated block: record says 999887 bytes")
    assert err.value.message.endswith("at byte offset 293")
    assert err.value.details["offset"] == 293


def test_truncated_record_header(tmp_path: Path) -> None:
    (tmp_path / "blk00000.dat").write_bytes(frame([B0], "mainnet") + b"\xf9\xbe\xb4")
    with pytest.raises(CorruptDataError, match="truncated record header .* at byte offset 293"):
        read_all([tmp_path])


def test_bit_flip_in_a_transaction_breaks_the_merkle_root(tmp_path: Path) -> None:
    data = bytearray(frame([B413567], "mainnet"))
    data[8 + 80 + 3 + 135 + 60] ^= 0x10  # inside tx 1's first scriptSig (a DER signature)
    (tmp_path / "blk00000.dat").write_bytes(bytes(data))
    with pytest.raises(CorruptDataError) as err:
        read_all([tmp_path])
    assert err.value.message == (
        "blk00000.dat: block 0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069: "
        "merkle root does not match the transactions at byte offset 8"
    )


def test_header_bit_flip_fails_proof_of_work(tmp_path: Path) -> None:
    data = bytearray(frame([B0], "mainnet"))
    data[8 + 70] ^= 0x01  # time field
    (tmp_path / "blk00000.dat").write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="header hash does not meet its target"):
        read_all([tmp_path])


def test_unparsable_block_reports_byte_offset(tmp_path: Path) -> None:
    body = bytearray(B0)
    body[81 + 4] = 0xFD  # input count becomes a non-minimal compact size
    data = frame([B1], "mainnet") + frame([bytes(body)], "mainnet")
    (tmp_path / "blk00000.dat").write_bytes(data)
    offset = (8 + len(B1)) + 8 + 81 + 4  # second record's data + header, count, tx version
    with pytest.raises(CorruptDataError, match=rf"\(non-canonical .* at byte offset {offset}$"):
        read_all([tmp_path])


FRAMED = frame([B1, B0], "mainnet")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(FRAMED) * 8 - 1))
def test_any_single_bit_flip_is_detected(bit: int) -> None:
    data = bytearray(FRAMED)
    data[bit // 8] ^= 1 << (bit % 8)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "blk00000.dat").write_bytes(bytes(data))
        with pytest.raises(CorruptDataError, match=r"^blk00000.dat: .* at byte offset \d+$"):
            read_all([tmp])


def test_missing_and_empty_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file or directory"):
        read_all([tmp_path / "nope"])
    with pytest.raises(InvalidInputError, match="no blk.*dat files"):
        read_all([tmp_path])
    (tmp_path / "short.raw").write_bytes(b"\x01\x02")
    with pytest.raises(CorruptDataError, match="too short for a block"):
        read_all([tmp_path / "short.raw"])


def test_corruption_found_before_first_batch(tmp_path: Path, chain) -> None:
    blocks = [chain[k] for k in ["g", "1", "2a", "3a"]]
    random.Random(1).shuffle(blocks)
    data = frame(blocks)
    (tmp_path / "blk00000.dat").write_bytes(data[:-10])  # last record truncated
    with pytest.raises(CorruptDataError):
        read_block_batches([tmp_path], batch_blocks=1)  # raises before any iteration


def test_data_after_zero_padding_is_reported(tmp_path: Path) -> None:
    data = frame([B0], "mainnet") + bytes(100) + frame([B1], "mainnet")
    (tmp_path / "blk00000.dat").write_bytes(data)
    with pytest.raises(CorruptDataError, match="data at byte offset 393 after zero padding"):
        read_all([tmp_path])


def test_segwit_block_witness_is_read_and_committed(tmp_path: Path, chain) -> None:
    block = segwit_block(chain["1"], 2)
    (tmp_path / "blk00000.dat").write_bytes(frame([chain["g"], chain["1"], block]))
    (batch,) = read_all([tmp_path])
    tx = batch.transactions.to_pylist()[-1]
    assert tx["txid"] == "b2ce556154e5ab22bec0a2f990b2b843f4f4085486c0d2cd82873685c0012004"
    assert tx["wtxid"] == "7944c8f36d682addda15124399bf954ec5d4b3a426e9d505a5f74a08644f0ebb"
    assert tx["weight"] < 4 * tx["size"]
    assert [len(w) for w in batch.inputs["witness"].to_pylist()[-1]] == [72, 33]


def test_bit_flip_in_witness_breaks_the_commitment(tmp_path: Path, chain) -> None:
    block = bytearray(segwit_block(chain["1"], 2))
    block[len(block) - 40] ^= 0x01  # inside the public key in the last witness
    (tmp_path / "blk00000.dat").write_bytes(frame([chain["g"], chain["1"], bytes(block)]))
    with pytest.raises(CorruptDataError, match="witness commitment does not match"):
        read_all([tmp_path])


def test_batches_are_capped_by_bytes(tmp_path: Path, chain, monkeypatch) -> None:
    from ledgerhound.sources import blkfiles

    monkeypatch.setattr(blkfiles, "MAX_BATCH_BYTES", len(chain["1"]) * 2)
    (tmp_path / "blk00000.dat").write_bytes(frame([chain[k] for k in ["g", "1", "2a", "3a"]]))
    assert [b.block_count for b in read_all([tmp_path])] == [1, 2, 1]  # genesis is larger


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 3), st.booleans())
def test_storage_layout_does_not_change_the_result(rnd, n_files: int, obfuscate: bool) -> None:
    """Any order, any split across files, XOR or not: the same blocks, heights and rows."""
    blocks = list(CHAIN.values())
    rnd.shuffle(blocks)
    cuts = sorted(rnd.sample(range(1, len(blocks)), n_files - 1))
    parts = [blocks[a:b] for a, b in zip([0, *cuts], [*cuts, len(blocks)], strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        for number, part in enumerate(parts):
            data = frame(part)
            (Path(tmp) / f"blk{number:05d}.dat").write_bytes(xor(data, KEY) if obfuscate else data)
        if obfuscate:
            (Path(tmp) / "xor.dat").write_bytes(KEY)
        got = read_all([tmp])
    assert blocks_of(got) == CANONICAL
    assert sum(b.inputs.num_rows for b in got) == len(CHAIN)


def _chain() -> dict[str, bytes]:
    g = regtest_genesis()
    b1 = child_block(g, 1)
    b2a, b2b = child_block(b1, 2, tag=1), child_block(b1, 2, tag=2)
    b3a = child_block(b2a, 3, tag=1)
    return {"g": g, "1": b1, "2a": b2a, "2b": b2b, "3a": b3a, "4a": child_block(b3a, 4)}


CHAIN = _chain()
CANONICAL = [(block_hash(CHAIN[k]), h, True) for h, k in enumerate(["g", "1", "2a", "3a", "4a"])]
CANONICAL.append((block_hash(CHAIN["2b"]), None, False))


def test_only_padding_and_short_hex_lines(tmp_path: Path) -> None:
    (tmp_path / "blk00000.dat").write_bytes(bytes(1024))
    with pytest.raises(InvalidInputError, match="no blocks found in blk00000.dat"):
        read_all([tmp_path])
    hex_file = tmp_path / "blocks.hex"
    hex_file.write_text(B0.hex() + "\n" + "00" * 60 + "\n")
    with pytest.raises(CorruptDataError, match=r"blocks.hex: 60 bytes .* at block #2 of the file"):
        read_all([hex_file])
