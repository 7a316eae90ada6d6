"""Bech32/Bech32m SegWit addresses (BTC ``bc1``, LTC ``ltc1``) via the shared codec."""

from __future__ import annotations

from ledgerhound.codecs.bech32 import decode_segwit
from ledgerhound.errors import InvalidAddressError


def check(address: str) -> tuple[str | None, str]:
    hrp = "ltc" if address[:3].lower() == "ltc" else "bc"
    try:
        decode_segwit(hrp, address)
    except InvalidAddressError as exc:
        raise ValueError(exc.message) from None
    return None, "verified"
