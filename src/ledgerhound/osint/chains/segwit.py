"""Bech32/Bech32m SegWit addresses (BTC ``bc1``/``tb1``/``bcrt1``, LTC ``ltc1``) via the codec."""

from __future__ import annotations

from ledgerhound.codecs.bech32 import decode_segwit
from ledgerhound.errors import InvalidAddressError


def check(address: str) -> tuple[str | None, str]:
    low = address.lower()
    hrp = next(h for h in ("bcrt", "ltc", "tb", "bc") if low.startswith(h + "1"))
    try:
        decode_segwit(hrp, address)
    except InvalidAddressError as exc:
        raise ValueError(exc.message) from None
    return None, "verified"
