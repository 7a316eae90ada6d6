"""Bitcoin Core block files (``blocks/blk*.dat``) and raw blocks -> :class:`ChainBatch`.

Core appends blocks in download order (headers-first: out of height order, stale blocks
included), frames each as ``magic | size | block``, pre-allocates files with zeros and, since
v28, XORs every byte with ``xor.dat``. Heights are not stored, so they are derived here: a first
pass reads only the 80-byte headers (checking framing and proof of work for every block before
anything is emitted), the most-work chain through the prev-hash graph is numbered, and a second
pass re-reads block bodies by offset, in height order, a batch at a time (bounded memory).
"""

from __future__ import annotations

import mmap
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ledgerhound.codecs import compact
from ledgerhound.codecs.address import NETWORKS, Network
from ledgerhound.codecs.block import HEADER_SIZE, bip34_height
from ledgerhound.codecs.chainwork import block_work
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx
from ledgerhound.errors import CodecError, CorruptDataError, InvalidInputError
from ledgerhound.sources.rawblocks import RawBlock, blocks_to_batch, scan_blocks
from ledgerhound.sources.verify import first_inconsistent_block, pow_problem
from ledgerhound.store.batch import ChainBatch

MAGICS = {net.magic: name for name, net in NETWORKS.items()}
BLK_NAME = re.compile(r"^blk\d+\.dat$")
ZERO_HASH = b"\x00" * 32
MAX_BATCH_BYTES = 64 << 20  # bounds memory: a batch costs ~8x its block bytes while staged
_HEX = frozenset(b"0123456789abcdefABCDEF")


@dataclass
class _Source:
    """One input file: a mapped blk file (XOR-decoded on read) or raw blocks held in memory."""

    path: Path
    framed: bool
    key: bytes = b""
    blobs: list[bytes] = field(default_factory=list)
    _file: object = None
    _map: mmap.mmap | bytes | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def open(self) -> None:
        if self.framed and self._map is None:
            self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
            size = self.path.stat().st_size
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def close(self) -> None:
        if isinstance(self._map, mmap.mmap):
            self._map.close()
        if self._file is not None:
            self._file.close()
        self._map = self._file = None

    def __len__(self) -> int:
        return len(self._map or b"")

    def release(self, offset: int = 0, n: int | None = None) -> None:
        """Drop mapped pages already read (the file stays mapped): without this every page of
        every blk file would stay resident, and ingest's memory would grow with the chain."""
        if not isinstance(self._map, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
            return
        end = len(self._map) if n is None else min(len(self._map), offset + n)
        start = offset - offset % mmap.PAGESIZE
        if end > start:
            self._map.madvise(mmap.MADV_DONTNEED, start, end - start)

    def raw(self, offset: int, n: int) -> bytes:
        return bytes(self._map[offset : offset + n])  # type: ignore[index]

    def read(self, offset: int, n: int) -> bytes:
        """Bytes at ``offset`` with the XOR key applied by absolute file offset."""
        data = self.raw(offset, n)
        if not self.key or not data:
            return data
        shift = offset % 8
        rotated = self.key[shift:] + self.key[:shift]
        if len(data) <= 4096:  # headers and framing: integer XOR beats numpy's setup cost
            stream = (rotated * (len(data) // 8 + 1))[: len(data)]
            value = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
            return value.to_bytes(len(data), "little")
        key = np.frombuffer(rotated, np.uint8)
        return (np.frombuffer(data, np.uint8) ^ np.resize(key, len(data))).tobytes()


@dataclass(frozen=True, slots=True)
class _Record:
    """Where one block lives and what its header says; the body is re-read when emitted."""

    src: int
    offset: int  # byte offset of the block data (after magic + size) in the file
    size: int
    hash: bytes  # internal byte order
    prev: bytes
    bits: int
    version: int


def read_block_batches(
    paths: Sequence[Path], network: str | None = None, batch_blocks: int = 500
) -> Iterator[ChainBatch]:
    """Blocks from blk files, a ``blocks/`` directory or raw/hex block files, in height order.

    Framing, proof of work and the chain are checked for every block before this returns;
    body errors found later (parse failure, merkle mismatch) raise while iterating.
    """
    if network is not None and network not in NETWORKS:
        raise InvalidInputError(f"unknown network {network!r} (known: {', '.join(NETWORKS)})")
    if batch_blocks < 1:
        raise InvalidInputError(f"batch_blocks must be positive, got {batch_blocks}")
    sources = _expand(paths)
    records, net_name = _scan_all(sources, network)
    for src in sources:
        src.release()  # the scan touched every header's page
    plan = _plan_chain(records, sources, net_name)
    return _emit(plan, sources, NETWORKS[net_name], batch_blocks)


# --- inputs ---------------------------------------------------------------------------------


def _expand(paths: Sequence[Path]) -> list[_Source]:
    sources: list[_Source] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            sources += _dir_sources(path)
        elif path.is_file():
            sources.append(_file_source(path))
        else:
            raise InvalidInputError(f"{path}: no such file or directory", file=str(path))
    if not sources:
        raise InvalidInputError("no block files given")
    return sources


def _dir_sources(path: Path) -> list[_Source]:
    if not any(BLK_NAME.match(p.name) for p in path.iterdir()) and (path / "blocks").is_dir():
        path = path / "blocks"  # a datadir was given
    files = sorted(p for p in path.iterdir() if BLK_NAME.match(p.name))
    if not files:
        raise InvalidInputError(f"{path}: no blk*.dat files in this directory", file=str(path))
    key = _xor_key(path)
    return [_Source(f, framed=True, key=key) for f in files]


def _xor_key(directory: Path) -> bytes:
    """The 8-byte obfuscation key in ``xor.dat`` (Core >= 28); empty when absent or all zero."""
    path = directory / "xor.dat"
    if not path.is_file():
        return b""
    key = path.read_bytes()
    if len(key) != 8:
        raise CorruptDataError(
            f"{path.name}: XOR key must be 8 bytes, found {len(key)}", file=str(path), offset=0
        )
    return b"" if key == bytes(8) else key


def _file_source(path: Path) -> _Source:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read ({exc.strerror})", file=str(path)) from None
    if BLK_NAME.match(path.name):
        return _Source(path, framed=True, key=_xor_key(path.parent))
    if head in MAGICS:
        return _Source(path, framed=True)
    key = _xor_key(path.parent)
    if key and bytes(a ^ b for a, b in zip(head, key, strict=False)) in MAGICS:
        return _Source(path, framed=True, key=key)
    return _Source(path, framed=False, blobs=_raw_blocks(path))


def _raw_blocks(path: Path) -> list[bytes]:
    """One binary block, or hex text (``getblock <hash> 0``), one block per line."""
    data = path.read_bytes()
    if len(data) >= HEADER_SIZE * 2 and set(data[: HEADER_SIZE * 2]) <= _HEX:
        blobs = []
        for number, line in enumerate(data.split(b"\n"), start=1):
            text = line.strip()
            if not text:
                continue
            try:
                blobs.append(bytes.fromhex(text.decode("ascii")))
            except (ValueError, UnicodeDecodeError):
                raise CorruptDataError(
                    f"{path.name}: line {number} is not valid hex", file=str(path)
                ) from None
        return blobs
    if len(data) < HEADER_SIZE + 1:
        raise CorruptDataError(
            f"{path.name}: {len(data)} bytes is too short for a block", file=str(path), offset=0
        )
    return [data]


# --- pass 1: framing and headers --------------------------------------------------------------


def _scan_all(sources: list[_Source], network: str | None) -> tuple[list[_Record], str]:
    records: list[_Record] = []
    state = {"network": network}
    for index, src in enumerate(sources):
        if src.framed:
            src.open()
            try:
                records += _scan_framed(index, src, state)
            finally:
                src.close()
        else:
            records += _scan_blobs(index, src)
    if not records:
        names = ", ".join(sorted({src.name for src in sources}))
        raise InvalidInputError(f"no blocks found in {names} (only zero padding)")
    net_name = state["network"] or "mainnet"
    if net_name != "regtest":
        for rec in records:
            src = sources[rec.src]
            if not src.framed:
                _check_pow(src, rec, src.blobs[rec.offset][:HEADER_SIZE])
    return records, net_name


def _check_pow(src: _Source, rec: _Record, header: bytes) -> None:
    problem = pow_problem(header, rec.bits)
    if problem:
        _corrupt(src, rec.offset, f"block {rec.hash[::-1].hex()}: {problem}")


def _scan_framed(index: int, src: _Source, state: dict) -> list[_Record]:
    records, pos, end = [], 0, len(src)
    while pos < end:
        head = src.read(pos, 8 + HEADER_SIZE)  # magic, size and the header in one read
        if src.raw(pos, 8).count(0) == min(8, end - pos) or head[:4] == bytes(4):
            _check_padding(src, pos)  # pre-allocated zeros (raw, or zeros under the XOR key)
            break
        if end - pos < 8:
            _corrupt(src, pos, f"truncated record header ({end - pos} of 8 bytes)")
        _check_magic(src, pos, head[:4], state)
        size = int.from_bytes(head[4:8], "little")
        if size < HEADER_SIZE + 1:
            _corrupt(src, pos, f"block record size {size} is too small")
        if pos + 8 + size > end:
            _corrupt(src, pos, f"truncated block: record says {size} bytes, {end - pos - 8} left")
        rec = _record(index, pos + 8, size, head[8:])
        if state["network"] != "regtest":
            _check_pow(src, rec, head[8:])
        records.append(rec)
        pos += 8 + size
    return records


def _check_padding(src: _Source, pos: int) -> None:
    """Zeros must run to the end of the file: data after them means a size field is wrong."""
    rest = np.frombuffer(src.raw(pos, len(src) - pos), np.uint8)
    if not rest.any():
        return
    if src.key and not np.frombuffer(src.read(pos, len(rest)), np.uint8).any():
        return
    nonzero = pos + int(np.flatnonzero(rest)[0])
    _corrupt(src, pos, f"data at byte offset {nonzero} after zero padding that starts")


def _check_magic(src: _Source, pos: int, magic: bytes, state: dict) -> None:
    seen = MAGICS.get(magic)
    expected = state["network"]
    if seen is not None and expected in (None, seen):
        state["network"] = seen
        return
    label = f" ({seen})" if seen else ""
    want = f", expected {expected} {NETWORKS[expected].magic.hex()}" if expected else ""
    _corrupt(src, pos, f"wrong network magic {magic.hex()}{label}{want}")


def _scan_blobs(index: int, src: _Source) -> list[_Record]:
    for i, blob in enumerate(src.blobs):
        if len(blob) < HEADER_SIZE + 1:
            _corrupt(src, i, f"{len(blob)} bytes is too short for a block")
    return [_record(index, i, len(b), b[:HEADER_SIZE]) for i, b in enumerate(src.blobs)]


def _record(src: int, offset: int, size: int, header: bytes) -> _Record:
    return _Record(
        src=src,
        offset=offset,
        size=size,
        hash=hash256(header),
        prev=header[4:36],
        bits=int.from_bytes(header[72:76], "little"),
        version=int.from_bytes(header[0:4], "little", signed=True),
    )


def _corrupt(src: _Source, offset: int, what: str) -> None:
    where = f"byte offset {offset}" if src.framed else f"block #{offset + 1} of the file"
    raise CorruptDataError(f"{src.name}: {what} at {where}", file=str(src.path), offset=offset)


# --- the chain --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Planned:
    rec: _Record
    height: int | None
    main: bool


def _plan_chain(records: list[_Record], sources: list[_Source], net: str) -> list[_Planned]:
    """Number the most-work chain (ties: first seen); everything else is stale, height None."""
    first: dict[bytes, int] = {}
    for i, rec in enumerate(records):
        first.setdefault(rec.hash, i)
    unique = [i for i, rec in enumerate(records) if first[rec.hash] == i]
    children: dict[bytes, list[int]] = defaultdict(list)
    for i in unique:
        children[records[i].prev].append(i)
    chainwork: dict[int, int] = {}
    for root in (i for i in unique if records[i].prev not in first):
        stack = [(root, 0)]
        while stack:
            i, parent_work = stack.pop()
            chainwork[i] = parent_work + block_work(records[i].bits)
            stack += [(c, chainwork[i]) for c in children[records[i].hash]]
    best = -1
    for i in unique:  # strict '>' keeps the first-seen tip on equal work
        if best < 0 or chainwork.get(i, -1) > chainwork[best]:
            best = i
    main: list[int] = []
    i = best
    while True:
        main.append(i)
        parent = first.get(records[i].prev)
        if parent is None:
            break
        i = parent
    main.reverse()
    base = _root_height(records[main[0]], sources[records[main[0]].src])
    on_main = set(main)
    plan = [_Planned(records[i], base + h, True) for h, i in enumerate(main)]
    plan += [_Planned(records[i], None, False) for i in unique if i not in on_main]
    return plan


def _root_height(rec: _Record, src: _Source) -> int:
    """0 for a genesis block, else the BIP34 height committed in the coinbase (version >= 2)."""
    if rec.prev == ZERO_HASH:
        return 0
    display = rec.hash[::-1].hex()
    if rec.version >= 2:
        data = _body(src, rec)
        src.close()
        try:
            _, pos = compact.decode(data, HEADER_SIZE)
            coinbase, _ = Tx.read_from(data, pos)
        except CodecError as exc:
            _corrupt(src, rec.offset, f"block {display} does not parse ({exc.message})")
        height = bip34_height(coinbase.inputs[0].script_sig) if coinbase.inputs else None
        if height is not None:
            return height
    raise InvalidInputError(
        f"{src.name}: cannot number the chain: its first block {display} has no parent in the "
        f"input and no BIP34 height in its coinbase (version {rec.version})",
        file=str(src.path),
    )


def _body(src: _Source, rec: _Record) -> bytes:
    if not src.framed:
        return src.blobs[rec.offset]
    src.open()
    return src.read(rec.offset, rec.size)


# --- pass 2: bodies -----------------------------------------------------------------------------


def _emit(
    plan: list[_Planned], sources: list[_Source], net: Network, batch_blocks: int
) -> Iterator[ChainBatch]:
    try:
        for chunk in _chunks(plan, batch_blocks):
            raws = [RawBlock(_body(sources[p.rec.src], p.rec), p.height, p.main) for p in chunk]
            names = sorted({sources[p.rec.src].name for p in chunk})
            origin = f"blkfiles:{','.join(names)}"
            for p in chunk:
                sources[p.rec.src].release(p.rec.offset, p.rec.size)
            batch, verdicts = _to_batch(raws, chunk, sources, net, origin)
            # merkle roots and witness commitments were checked by the scanner
            bad = first_inconsistent_block(batch, merkle=False, witness=verdicts)
            if bad:
                rec = next(p.rec for p in chunk if p.rec.hash[::-1].hex() == bad[0])
                _corrupt(sources[rec.src], rec.offset, f"block {bad[0]}: {bad[1]}")
            yield batch
    finally:
        for src in sources:
            src.close()


def _chunks(plan: list[_Planned], batch_blocks: int) -> Iterator[list[_Planned]]:
    """At most ``batch_blocks`` blocks and (beyond one block) MAX_BATCH_BYTES of block data."""
    chunk: list[_Planned] = []
    size = 0
    for p in plan:
        if chunk and (len(chunk) == batch_blocks or size + p.rec.size > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(p)
        size += p.rec.size
    if chunk:
        yield chunk


def _to_batch(
    raws: list[RawBlock], chunk: list[_Planned], sources: list[_Source], net: Network, origin: str
) -> tuple[ChainBatch, dict[str, int]]:
    """The batch and its witness verdicts; a block that fails the scan is reported as corrupt."""
    try:
        return scan_blocks(raws, net, origin, verify_merkle=True)
    except CodecError as exc:
        failed = exc
    index = failed.details.get("block")
    if index is not None and "merkle root" in failed.message:
        p = chunk[int(index)]
        _corrupt(sources[p.rec.src], p.rec.offset, failed.message)
    for raw, p in zip(raws, chunk, strict=True):  # find the block that does not parse
        try:
            blocks_to_batch([raw], net, origin)
        except CodecError as exc:
            offset = p.rec.offset + int(exc.details.get("offset", 0))
            src = sources[p.rec.src]
            what = f"block {p.rec.hash[::-1].hex()} does not parse ({exc.message})"
            if not src.framed:
                what += f", byte {offset - p.rec.offset} of the block"
                offset = p.rec.offset
            _corrupt(src, offset, what)
    raise AssertionError("unreachable: batch failed but no single block did")  # pragma: no cover
