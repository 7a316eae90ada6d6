"""Deterministic keys, locking scripts and spending data for the simulator.

Every simulated output is locked to real secp256k1 public keys (``coincurve``), so a scriptSig or
witness reveals a key that hashes to the spent address, exactly as on the real chain. Signatures
are *shaped* like real ones (DER with low-S and a sighash byte; 64-byte Schnorr) but are not valid
signatures: no ledgerhound method reads signature contents, and producing valid ones would cost
a sighash computation per input for no analytical gain. ``docs/methods/simulator.md`` says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from coincurve import PublicKey

from ledgerhound.codecs.address import Network, script_to_address
from ledgerhound.codecs.hashes import hash160, sha256

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _gen_xor(top: int) -> int:
    acc = 0
    for i, g in enumerate(_GEN):
        if (top >> i) & 1:
            acc ^= g
    return acc


_GEN_TABLE = tuple(_gen_xor(top) for top in range(32))
_HRP_STATE: dict[str, int] = {}


def _step(chk: int, v: int) -> int:
    return ((chk & 0x1FFFFFF) << 5) ^ v ^ _GEN_TABLE[chk >> 25]


def segwit_address(hrp: str, version: int, program: bytes) -> str:
    """BIP173/BIP350 address of a witness program: a table-driven encoder for the hot path.

    Equivalent to :func:`ledgerhound.codecs.bech32.encode_segwit` (property-tested), about ten
    times faster because it skips the decode round trip and the generic bit regrouping.
    """
    chk = _HRP_STATE.get(hrp)
    if chk is None:
        chk = 1
        for v in [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]:
            chk = _step(chk, v)
        _HRP_STATE[hrp] = chk
    bits = len(program) * 8
    n = int.from_bytes(program, "big") << (-bits % 5)
    groups = (bits + 4) // 5
    data = [version] + [(n >> (5 * i)) & 31 for i in range(groups - 1, -1, -1)]
    for v in data:
        chk = _step(chk, v)
    for _ in range(6):
        chk = _step(chk, 0)
    chk ^= 0x2BC830A3 if version else 1
    checksum = [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def address_of(kind: str, script: bytes, network: Network) -> str | None:
    """The address of a simulator script (fast path for SegWit; Core's rules otherwise)."""
    if kind in ("p2wpkh", "p2wsh"):
        return segwit_address(network.hrp, 0, script[2:])
    if kind == "p2tr":
        return segwit_address(network.hrp, 1, script[2:])
    return script_to_address(script, network, CORE_TYPE[kind]).address


#: Simulator lock kinds -> Bitcoin Core script type names (``codecs.script.classify``).
CORE_TYPE = {
    "p2pkh": "pubkeyhash",
    "p2sh-p2wpkh": "scripthash",
    "p2wpkh": "witness_v0_keyhash",
    "p2wsh": "witness_v0_scripthash",
    "p2tr": "witness_v1_taproot",
    "p2pk": "pubkey",
    "multisig": "multisig",
}
KINDS = tuple(CORE_TYPE)


def _push(data: bytes) -> bytes:
    """Minimal push for data up to 75 bytes (all the simulator needs)."""
    return bytes([len(data)]) + data


def _tagged_hash(tag: str, data: bytes) -> bytes:
    t = sha256(tag.encode())
    return sha256(t + t + data)


@dataclass(slots=True)
class Lock:
    """One output script the simulator can later spend: its kind, script and keys."""

    kind: str
    script: bytes
    pubkeys: tuple[bytes, ...]
    extra: bytes  # redeem script (P2SH-P2WPKH) or witness script (P2WSH); empty otherwise
    wallet: int  # owning wallet id; -1 for nobody (OP_RETURN)
    address: str | None = field(default=None)


class KeyFactory:
    """Public keys of a scenario: ``P_i = P_0 + i·H`` with ``P_0``, ``H`` derived from the seed.

    One point addition per key is three times cheaper than a scalar multiplication, and the
    simulator never needs private keys (signatures are placeholders). The keys are valid curve
    points with unknown discrete logs; consecutive keys (in generation order, across wallets)
    differ by the constant ``H``, an artefact no analysis should rely on (documented).
    """

    def __init__(self, seed: int, network: Network) -> None:
        tag = b"ledgerhound-sim/" + seed.to_bytes(8, "little", signed=True)
        self._point = PublicKey.from_valid_secret(sha256(tag + b"/P0"))
        self._step = PublicKey.from_valid_secret(sha256(tag + b"/H"))
        self.network = network

    def pubkey(self) -> bytes:
        """The next compressed public key."""
        self._point = PublicKey.combine_keys([self._point, self._step])
        return self._point.format(compressed=True)

    def lock(self, kind: str, wallet: int) -> Lock:
        """A fresh lock of ``kind`` owned by ``wallet``, with its address (or None)."""
        if kind == "p2wsh":  # 2-of-3 multisig in a witness script, as custody wallets use
            keys = (self.pubkey(), self.pubkey(), self.pubkey())
            wscript = bytes([0x52]) + b"".join(_push(k) for k in keys) + bytes([0x53, 0xAE])
            script = b"\x00\x20" + sha256(wscript)
            lock = Lock(kind, script, keys, wscript, wallet)
        elif kind == "multisig":  # bare 1-of-2
            keys = (self.pubkey(), self.pubkey())
            script = bytes([0x51]) + b"".join(_push(k) for k in keys) + bytes([0x52, 0xAE])
            lock = Lock(kind, script, keys, b"", wallet)
        else:
            pub = self.pubkey()
            lock = Lock(kind, *_single_key_script(kind, pub), wallet)
        lock.address = address_of(kind, lock.script, self.network)
        return lock


def _single_key_script(kind: str, pub: bytes) -> tuple[bytes, tuple[bytes, ...], bytes]:
    if kind == "p2pkh":
        return b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac", (pub,), b""
    if kind == "p2wpkh":
        return b"\x00\x14" + hash160(pub), (pub,), b""
    if kind == "p2sh-p2wpkh":
        redeem = b"\x00\x14" + hash160(pub)
        return b"\xa9\x14" + hash160(redeem) + b"\x87", (pub,), redeem
    if kind == "p2pk":
        return _push(pub) + b"\xac", (pub,), b""
    if kind == "p2tr":  # BIP86 key-path output: Q = P + H_TapTweak(P)G with even-y P
        xonly = pub[1:]
        tweak = _tagged_hash("TapTweak", xonly)
        even = PublicKey(b"\x02" + xonly)
        q = even.add(tweak).format(compressed=True)
        return b"\x51\x20" + q[1:], (pub,), b""
    raise ValueError(f"unknown lock kind {kind!r}")


def der_signature(seed: bytes) -> bytes:
    """A DER-encoded, low-S ECDSA-shaped signature + SIGHASH_ALL (71 or 72 bytes). Not valid."""
    h = hashlib.sha512(seed).digest()
    r = bytes([h[0] or 1]) + h[1:32]
    s = bytes([(h[32] % 0x7E) + 1]) + h[33:64]
    if r[0] >= 0x80:
        r = b"\x00" + r
    body = b"\x02" + bytes([len(r)]) + r + b"\x02" + bytes([len(s)]) + s
    return b"\x30" + bytes([len(body)]) + body + b"\x01"


def schnorr_signature(seed: bytes) -> bytes:
    """A 64-byte BIP340-shaped signature (default sighash, so no suffix byte). Not valid."""
    return hashlib.sha512(seed).digest()


def spend_data(lock: Lock, seed: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    """``(scriptSig, witness)`` spending ``lock``; ``seed`` (the outpoint) varies signatures."""
    kind = lock.kind
    if kind == "p2wpkh":
        return b"", (der_signature(seed), lock.pubkeys[0])
    if kind == "p2pkh":
        return _push(der_signature(seed)) + _push(lock.pubkeys[0]), ()
    if kind == "p2sh-p2wpkh":
        return _push(lock.extra), (der_signature(seed), lock.pubkeys[0])
    if kind == "p2tr":
        return b"", (schnorr_signature(seed),)
    if kind == "p2wsh":
        sigs = (der_signature(seed), der_signature(seed + b"/2"))
        return b"", (b"", *sigs, lock.extra)
    if kind == "p2pk":
        return _push(der_signature(seed)), ()
    if kind == "multisig":
        return b"\x00" + _push(der_signature(seed)), ()
    raise ValueError(f"cannot spend lock kind {kind!r}")


def op_return(payload: bytes) -> Lock:
    """An unspendable OP_RETURN output carrying ``payload`` (at most 75 bytes)."""
    return Lock("nulldata", b"\x6a" + _push(payload), (), b"", -1, None)
