"""Columnar block scanner: raw blocks -> flat little-endian columns, compiled when possible.

:func:`scan` returns a dict of column name -> ``bytes`` (or a read-only memoryview over the
C scanner's memory, no copy) laid out as Arrow buffers, so the caller
wraps them without per-row Python (see ``sources/rawblocks.py``):

* ``b_*`` one row per block, ``t_*`` per transaction, ``o_*`` per output, ``i_*`` per input,
  ``w_*`` per witness item. ``t_block``/``o_tx``/``i_tx`` are row indexes into the parent table.
* integers: ``int32`` (``*_index``, counts, sizes, ``*_off``) or ``int64`` (values, header and tx
  fields, ``i_seq``, ``i_prev_vout``); flags (``*_ok``, ``*_valid``, ``t_coinbase``,
  ``o_derived``) one byte each; ``o_type`` indexes :data:`SCRIPT_TYPES`; ``b_witness`` is one
  signed byte per block, the BIP141 verdict (``WITNESS_*``, see :func:`witness_verdict`).
* hashes: 64 lowercase hex characters per row, display order; ``i_prev`` is empty for the
  coinbase input (``i_valid`` = 0).
* variable width: ``X_off`` holds n + 1 int32 offsets into ``X`` (``o_addr``, ``o_script``,
  ``i_prev``, ``i_sig``); ``i_wit_off`` indexes witness items, whose bytes are ``w_off``/``w_data``.

The C extension (``_blockscan.c``) and the pure-Python fallback below produce identical bytes and
raise identical :class:`CodecError` messages and offsets (details: ``offset`` inside the block,
``block`` index in the call) -- tested; ``NATIVE`` says which one runs. The C scanner releases the
GIL while it works and recycles column memory through a bounded pool (<= 256 MiB, see
``_blockscan.pool_stats()`` / ``pool_clear()``): fresh pages otherwise cost a third of its time.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from ledgerhound.codecs import compact
from ledgerhound.codecs.address import Network, script_to_address
from ledgerhound.codecs.block import Block, merkle_root
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.script import SCRIPT_TYPES, classify
from ledgerhound.codecs.tx import Tx
from ledgerhound.errors import CodecError

try:
    from ledgerhound.codecs import _blockscan  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the build skipped the extension (no compiler/OpenSSL)
    _blockscan = None

NATIVE: bool = _blockscan is not None
MAX_BLOCK_BYTES = 0x10000000  # 256 MiB, as in the C scanner: int32 sizes/weights stay exact
_TYPE_CODE = {name: code for code, name in enumerate(SCRIPT_TYPES)}

Bytes = bytes | bytearray | memoryview

WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")
# b_witness codes; sources/verify.py words the negative ones
WITNESS_NONE = 0  # no transaction after the first carries witness data: nothing to check
WITNESS_OK = 1
WITNESS_NO_COMMITMENT = -1
WITNESS_NO_RESERVED = -2  # the first input's witness is not exactly one 32-byte item
WITNESS_MISMATCH = -3
WITNESS_UNAVAILABLE = -4  # only from decoded tables lacking a wtxid, never from a scan


def witness_verdict(
    wtxids: Sequence[bytes | None], scripts: Sequence[bytes], witness: Sequence[bytes]
) -> int:
    """BIP141 check of a block whose transactions after the first carry witness data.

    ``wtxids`` are the block's, internal byte order (the first one is ignored: it counts as 32
    zero bytes), ``scripts`` the first transaction's output scripts and ``witness`` the stack of
    its first input (the reserved value). The commitment is the last script starting with
    :data:`WITNESS_COMMITMENT_PREFIX`; bytes 6..38 must equal
    ``hash256(witness merkle root || reserved value)``. The C scanner implements the same rule.
    """
    commitments = [s for s in scripts if s.startswith(WITNESS_COMMITMENT_PREFIX)]
    if not commitments:
        return WITNESS_NO_COMMITMENT
    if len(witness) != 1 or len(witness[0]) != 32:
        return WITNESS_NO_RESERVED
    leaves = [b"\x00" * 32]
    for wtxid in wtxids[1:]:
        if not wtxid:
            return WITNESS_UNAVAILABLE
        leaves.append(wtxid)
    commitment = hash256(merkle_root(leaves) + witness[0])
    return WITNESS_OK if commitments[-1][6:38] == commitment else WITNESS_MISMATCH


def witness_verdicts(cols: dict) -> dict[str, int]:
    """Block hash (display hex) -> its ``b_witness`` code, from :func:`scan`'s columns."""
    hashes = bytes(cols["b_hash"]).decode()
    codes = array("b", bytes(cols["b_witness"]))
    return {hashes[64 * i : 64 * i + 64]: code for i, code in enumerate(codes)}


def scan(blocks: Sequence[Bytes], network: Network, *, native: bool | None = None) -> dict:
    """Scan serialized blocks into flat columns; ``native=False`` forces the Python path."""
    use_native = NATIVE if native is None else native
    if use_native:
        if _blockscan is None:
            raise RuntimeError("the compiled block scanner is not available")
        try:
            cols = _blockscan.scan(blocks, network.p2pkh, network.p2sh, network.hrp)
        except _blockscan.ScanError as exc:
            message, block, offset = exc.args
            raise CodecError(message, offset=offset, block=block) from None
        return {name: memoryview(col) for name, col in cols.items()}
    return _PyScan(network).run(blocks)


class _PyScan:
    """The readable reference: the same columns built from :mod:`ledgerhound.codecs` objects."""

    def __init__(self, network: Network) -> None:
        self.net = network
        self.c: dict[str, array] = {}
        for spec, names in _LAYOUT.items():
            for name in names.split():
                self.c[name] = array(spec)
        for name in ("o_addr_off", "o_script_off", "i_prev_off", "i_sig_off", "i_wit_off", "w_off"):
            self.c[name].append(0)
        self.text = {name: bytearray() for name in _TEXT.split()}

    def run(self, blocks: Sequence[Bytes]) -> dict:
        for index, data in enumerate(blocks):
            data = bytes(data)
            try:
                self._block(data)
            except CodecError as exc:
                raise CodecError(exc.message, **exc.details, block=index) from None
        out = {name: col.tobytes() for name, col in self.c.items()}
        out.update({name: bytes(buf) for name, buf in self.text.items()})
        return out

    def _block(self, data: bytes) -> None:
        if len(data) > MAX_BLOCK_BYTES and len(data) >= 80:
            raise CodecError("block larger than 256 MiB", offset=0)
        block = Block.parse(data)
        row = len(self.c["b_time"])
        stripped = len(data)
        pos = len(compact.encode(len(block.txs))) + 80
        for tx in block.txs:
            if _running_sum_overflows(tx):
                raise CodecError("sum of output values overflows 64 bits", offset=pos)
            pos += tx.size
        for index, tx in enumerate(block.txs):
            stripped -= tx.size - len(tx.serialize(False))
            self._tx(tx, row, index)
        h = block.header
        ok = bool(block.txs) and block.computed_merkle_root() == h.merkle_root
        self._hex("b_hash", block.hash)
        self._hex("b_prev", h.prev_hash_hex)
        self._hex("b_merkle", h.merkle_root[::-1].hex())
        self._put(b_version=h.version, b_time=h.time, b_bits=h.bits, b_nonce=h.nonce)
        self._put(b_tx_count=len(block.txs), b_size=len(data), b_stripped=stripped)
        self._put(b_weight=stripped * 3 + len(data), b_merkle_ok=int(ok))
        self._put(b_witness=_block_witness_verdict(block))

    def _tx(self, tx: Tx, block_row: int, index: int) -> None:
        row = len(self.c["t_index"])
        total = sum(o.value for o in tx.outputs)
        self._hex("t_txid", tx.txid)
        self._hex("t_wtxid", tx.wtxid)
        self._put(t_block=block_row, t_index=index, t_version=tx.version, t_locktime=tx.locktime)
        self._put(t_size=tx.size, t_vsize=tx.vsize, t_weight=tx.weight)
        self._put(t_coinbase=int(tx.is_coinbase), t_n_in=len(tx.inputs))
        self._put(t_n_out=len(tx.outputs), t_value=total)
        for vout, out in enumerate(tx.outputs):
            kind = classify(out.script)
            addr = script_to_address(out.script, self.net, kind)
            self._put(o_tx=row, o_vout=vout, o_value=out.value, o_type=_TYPE_CODE[kind])
            self._var("o_addr", (addr.address or "").encode())
            self._put(o_addr_valid=int(addr.address is not None), o_derived=int(addr.derived))
            self._var("o_script", out.script)
        for vin, txin in enumerate(tx.inputs):
            coinbase = tx.is_coinbase
            self._put(i_tx=row, i_vin=vin, i_prev_vout=txin.prev_vout, i_seq=txin.sequence)
            self._var("i_prev", b"" if coinbase else txin.prev_txid_hex.encode())
            self._put(i_valid=int(not coinbase))
            self._var("i_sig", txin.script_sig)
            for item in txin.witness:
                self._var("w_data", item, "w_off")
            self.c["i_wit_off"].append(len(self.c["w_off"]) - 1)

    def _put(self, **values: int) -> None:
        for name, value in values.items():
            self.c[name].append(value)

    def _hex(self, name: str, text: str) -> None:
        self.text[name] += text.encode()

    def _var(self, name: str, data: bytes, off: str | None = None) -> None:
        self.text[name] += data
        self.c[off or name + "_off"].append(len(self.text[name]))


def _block_witness_verdict(block: Block) -> int:
    txs = block.txs
    if not any(tx.wtxid != tx.txid for tx in txs[1:]):
        return WITNESS_NONE
    first = txs[0]
    witness = first.inputs[0].witness if first.inputs else ()
    wtxids = [bytes.fromhex(tx.wtxid)[::-1] for tx in txs]
    return witness_verdict(wtxids, [out.script for out in first.outputs], witness)


def _running_sum_overflows(tx: Tx) -> bool:
    """The C scanner adds output values left to right in int64 and stops on overflow."""
    total = 0
    for out in tx.outputs:
        total += out.value
        if not -(2**63) <= total < 2**63:
            return True
    return False


_LAYOUT = {
    "q": "b_version b_time b_bits b_nonce t_version t_locktime t_value o_value i_prev_vout i_seq",
    "i": "b_tx_count b_size b_stripped b_weight t_block t_index t_size t_vsize t_weight t_n_in "
    "t_n_out o_tx o_vout o_addr_off o_script_off i_tx i_vin i_prev_off i_sig_off i_wit_off w_off",
    "B": "b_merkle_ok t_coinbase o_type o_addr_valid o_derived i_valid",
    "b": "b_witness",
}
_TEXT = "b_hash b_prev b_merkle t_txid t_wtxid o_addr o_script i_prev i_sig w_data"
