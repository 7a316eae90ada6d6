"""Bitcoin transactions: legacy and SegWit (BIP144) serialization, txid, wtxid, weight.

Deserialization follows Core's ``UnserializeTransaction``: an empty input vector followed by a
flag byte switches to the extended format; unknown flags and superfluous witness data are
rejected; ``parse`` rejects trailing bytes. This is the readable reference; the columnar block
scanner must agree with it byte for byte (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledgerhound.codecs import compact
from ledgerhound.codecs.hashes import hash256
from ledgerhound.errors import CodecError

COINBASE_PREVOUT = (b"\x00" * 32, 0xFFFFFFFF)


def _take(buf: bytes | memoryview, pos: int, n: int, what: str) -> tuple[bytes, int]:
    end = pos + n
    if end > len(buf):
        raise CodecError(f"truncated data: {what} needs {n} bytes at offset {pos}", offset=pos)
    return bytes(buf[pos:end]), end


def _var_bytes(buf: bytes | memoryview, pos: int, what: str) -> tuple[bytes, int]:
    n, pos = compact.decode(buf, pos)
    return _take(buf, pos, n, what)


@dataclass(frozen=True)
class TxIn:
    prev_txid: bytes  # internal (little-endian) byte order, as serialized
    prev_vout: int
    script_sig: bytes
    sequence: int
    witness: tuple[bytes, ...] = ()

    @property
    def is_coinbase(self) -> bool:
        return (self.prev_txid, self.prev_vout) == COINBASE_PREVOUT

    @property
    def prev_txid_hex(self) -> str:
        return self.prev_txid[::-1].hex()


@dataclass(frozen=True)
class TxOut:
    value: int
    script: bytes


@dataclass(frozen=True)
class Tx:
    version: int
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    locktime: int
    _raw: bytes = field(default=b"", repr=False, compare=False)

    # --- serialization -------------------------------------------------------------------
    @property
    def has_witness(self) -> bool:
        return any(i.witness for i in self.inputs)

    def serialize(self, include_witness: bool = True) -> bytes:
        """Core's serialization (BIP144 when any input has a witness and ``include_witness``).

        As in Core, a tx with no inputs but some outputs has no unambiguous legacy form.
        """
        witness = include_witness and self.has_witness
        parts = [(self.version & 0xFFFFFFFF).to_bytes(4, "little")]
        if witness:
            parts.append(b"\x00\x01")
        parts.append(compact.encode(len(self.inputs)))
        for i in self.inputs:
            parts += [i.prev_txid, i.prev_vout.to_bytes(4, "little")]
            parts += [
                compact.encode(len(i.script_sig)),
                i.script_sig,
                i.sequence.to_bytes(4, "little"),
            ]
        parts.append(compact.encode(len(self.outputs)))
        for o in self.outputs:
            parts += [
                o.value.to_bytes(8, "little", signed=True),
                compact.encode(len(o.script)),
                o.script,
            ]
        if witness:
            for i in self.inputs:
                parts.append(compact.encode(len(i.witness)))
                parts += [compact.encode(len(item)) + item for item in i.witness]
        parts.append(self.locktime.to_bytes(4, "little"))
        return b"".join(parts)

    @classmethod
    def parse(cls, data: bytes) -> Tx:
        tx, end = cls.read_from(data, 0)
        if end != len(data):
            raise CodecError(f"{len(data) - end} trailing bytes after transaction", offset=end)
        return tx

    @classmethod
    def read_from(cls, buf: bytes | memoryview, pos: int) -> tuple[Tx, int]:
        start = pos
        raw_version, pos = _take(buf, pos, 4, "tx version")
        ins_raw, pos = _read_inputs(buf, pos)
        flags = 0
        outs: list[TxOut] = []
        if ins_raw:
            outs, pos = _read_outputs(buf, pos)
        else:  # an empty vin is the BIP144 marker; with flag 0 it was an empty vout (Core)
            flag_byte, pos = _take(buf, pos, 1, "segwit flag")
            flags = flag_byte[0]
            if flags:
                ins_raw, pos = _read_inputs(buf, pos)
                outs, pos = _read_outputs(buf, pos)
        witnesses: list[tuple[bytes, ...]] = [()] * len(ins_raw)
        if flags & 1:
            flags ^= 1
            witnesses, pos = _read_witnesses(buf, pos, len(ins_raw))
            if not any(witnesses):
                raise CodecError("superfluous witness record", offset=pos)
        if flags:
            raise CodecError(f"unknown transaction optional data flag {flags}", offset=start + 4)
        raw_lock, pos = _take(buf, pos, 4, "locktime")
        inputs = tuple(
            TxIn(*fields, witness=w) for fields, w in zip(ins_raw, witnesses, strict=True)
        )
        tx = cls(
            int.from_bytes(raw_version, "little", signed=True),
            inputs,
            tuple(outs),
            int.from_bytes(raw_lock, "little"),
            bytes(buf[start:pos]),
        )
        return tx, pos

    # --- identity and size ----------------------------------------------------------------
    @property
    def raw(self) -> bytes:
        return self._raw or self.serialize()

    @property
    def txid(self) -> str:
        """Hash of the serialization without witness, in display (reversed) hex."""
        return hash256(self.serialize(include_witness=False))[::-1].hex()

    @property
    def wtxid(self) -> str:
        return hash256(self.raw)[::-1].hex()

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def weight(self) -> int:
        return len(self.serialize(include_witness=False)) * 3 + self.size

    @property
    def vsize(self) -> int:
        return (self.weight + 3) // 4

    @property
    def is_coinbase(self) -> bool:
        return len(self.inputs) == 1 and self.inputs[0].is_coinbase


def _read_inputs(buf: bytes | memoryview, pos: int) -> tuple[list[tuple], int]:
    n, pos = compact.decode(buf, pos)
    out = []
    for _ in range(n):
        prev, pos = _take(buf, pos, 32, "input prevout txid")
        vout, pos = _take(buf, pos, 4, "input prevout index")
        script_sig, pos = _var_bytes(buf, pos, "scriptSig")
        seq, pos = _take(buf, pos, 4, "input sequence")
        out.append(
            (prev, int.from_bytes(vout, "little"), script_sig, int.from_bytes(seq, "little"))
        )
    return out, pos


def _read_outputs(buf: bytes | memoryview, pos: int) -> tuple[list[TxOut], int]:
    n, pos = compact.decode(buf, pos)
    out = []
    for _ in range(n):
        value, pos = _take(buf, pos, 8, "output value")
        script, pos = _var_bytes(buf, pos, "scriptPubKey")
        out.append(TxOut(int.from_bytes(value, "little", signed=True), script))
    return out, pos


def _read_witnesses(
    buf: bytes | memoryview, pos: int, n_inputs: int
) -> tuple[list[tuple[bytes, ...]], int]:
    result = []
    for _ in range(n_inputs):
        count, pos = compact.decode(buf, pos)
        items = []
        for _ in range(count):
            item, pos = _var_bytes(buf, pos, "witness item")
            items.append(item)
        result.append(tuple(items))
    return result, pos
