"""Base58Check addresses of Bitcoin and its relatives, told apart by the version byte.

The version byte, not the first character, decides the chain: the first character only picks
which candidates are worth decoding. A ``1``/``3`` address is reported as BTC even though
Bitcoin Cash and Bitcoin SV share the legacy encoding (and LTC once used ``3`` for P2SH):
the string alone cannot say more, and the report says ``kind: base58check`` so nobody reads
more into it. Zcash transparent addresses use two version bytes.
"""

from __future__ import annotations

from ledgerhound.codecs.base58 import b58check_decode
from ledgerhound.errors import InvalidAddressError

# version byte -> (chain, script kind)
VERSIONS: dict[int, tuple[str, str]] = {
    0x00: ("BTC", "p2pkh"),
    0x05: ("BTC", "p2sh"),
    0x30: ("LTC", "p2pkh"),
    0x32: ("LTC", "p2sh"),
    0x1E: ("DOGE", "p2pkh"),
    0x16: ("DOGE", "p2sh"),
    0x4C: ("DASH", "p2pkh"),
    0x10: ("DASH", "p2sh"),
    0x41: ("TRX", "account"),
    0x6F: ("BTC-TESTNET", "p2pkh"),  # testnet3/testnet4/signet/regtest share these versions
    0xC4: ("BTC-TESTNET", "p2sh"),
}
ZCASH_VERSIONS: dict[bytes, str] = {b"\x1c\xb8": "p2pkh", b"\x1c\xbd": "p2sh"}

# first character -> (chain the shape suggests, allowed lengths)
_SHAPES: dict[str, tuple[str, range]] = {
    "1": ("BTC", range(26, 36)),
    "3": ("BTC", range(33, 36)),
    "L": ("LTC", range(33, 35)),
    "M": ("LTC", range(33, 35)),
    "D": ("DOGE", range(34, 35)),
    "9": ("DOGE", range(34, 35)),
    "A": ("DOGE", range(34, 35)),
    "X": ("DASH", range(34, 35)),
    "7": ("DASH", range(34, 35)),
    "T": ("TRX", range(34, 35)),
    "m": ("BTC-TESTNET", range(26, 36)),
    "n": ("BTC-TESTNET", range(26, 36)),
    "2": ("BTC-TESTNET", range(35, 36)),
}


def shape(token: str) -> str | None:
    """The chain whose prefix and length ``token`` has, or ``None`` (not a candidate)."""
    if token[:2] in ("t1", "t3") and len(token) == 35:
        return "ZEC"
    hit = _SHAPES.get(token[0])
    if hit is not None and len(token) in hit[1]:
        return hit[0]
    return None


def check(token: str) -> tuple[str | None, str]:
    try:
        payload = b58check_decode(token)
    except InvalidAddressError as exc:
        raise ValueError(exc.message) from None
    if len(payload) == 22 and payload[:2] in ZCASH_VERSIONS:
        return "ZEC", "verified"
    if len(payload) != 21:
        raise ValueError(f"Base58Check payload is {len(payload)} bytes, expected 21")
    hit = VERSIONS.get(payload[0])
    if hit is None:
        raise ValueError(f"unknown address version byte 0x{payload[0]:02x}")
    return hit[0], "verified"
