"""Per-chain address validators and the shape dispatcher used by the extractor.

Every detector is a checksum check, never a regex alone: :func:`classify` takes one cleaned
ASCII token and says which chain's *shape* it has (prefix, length, alphabet) and whether its
checksum holds. Tokens with no known shape return ``None`` and are not reported at all; tokens
with a shape but a bad checksum come back with ``valid=False`` and are listed as invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.osint.chains import base58check, cashaddr, evm, monero, segwit, xrp


@dataclass(frozen=True)
class Verdict:
    """What a token is: ``chain`` (ticker), ``kind`` (format), validity and why."""

    address: str
    chain: str
    kind: str
    valid: bool
    checksum: str  # "verified", "unverified" (EVM all-lower/upper) or "failed"
    reason: str | None = None


_BASE58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_HEX = frozenset("0123456789abcdefABCDEF")
_BECH32_PREFIXES = ("bc1", "ltc1", "tb1", "bcrt1")
# Bitcoin's test networks: testnet3/testnet4/signet share ``tb1`` and the m/n/2 Base58 forms
# (regtest uses the same Base58 versions); ``bcrt1`` is regtest only.
_BECH32_CHAIN = {"l": "LTC", "t": "BTC-TESTNET"}


def classify(token: str) -> Verdict | None:
    """Dispatch ``token`` (ASCII alphanumerics only) to the validator its shape names."""
    n = len(token)
    if n == 42 and token[:2] in ("0x", "0X") and _HEX.issuperset(token[2:]):
        return _verdict(token, "ETH", "evm", evm.check)
    low = token.lower()
    if low.startswith(_BECH32_PREFIXES) and 14 <= n <= 90:
        chain = "BTC-REGTEST" if low.startswith("bcrt1") else _BECH32_CHAIN.get(low[0], "BTC")
        return _verdict(token, chain, "bech32", segwit.check)
    if n == 42 and low[0] in "qpzr" and cashaddr.is_shape(token):
        return _verdict(token, "BCH", "cashaddr", cashaddr.check)
    if not _BASE58.issuperset(token):
        return None
    if n in (95, 106) and token[0] in "48":
        return _verdict(token, "XMR", "monero", monero.check)
    if token[0] == "r" and 25 <= n <= 35:
        return _verdict(token, "XRP", "base58check-ripple", xrp.check)
    shape = base58check.shape(token)
    if shape is None:
        return None
    return _verdict(token, shape, "base58check", base58check.check)


def _verdict(token: str, chain: str, kind: str, check) -> Verdict:  # type: ignore[no-untyped-def]
    """Run ``check(token) -> (chain_or_None, checksum_state)``; its message is the reason."""
    try:
        real_chain, state = check(token)
    except ValueError as exc:
        return Verdict(token, chain, kind, False, "failed", str(exc))
    return Verdict(token, real_chain or chain, kind, True, state)
