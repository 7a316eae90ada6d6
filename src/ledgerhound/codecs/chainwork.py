"""Proof-of-work arithmetic on compact ``bits`` targets (Core's ``arith_uint256`` rules)."""

from __future__ import annotations


def target_from_bits(bits: int) -> int | None:
    """The target a compact ``bits`` field encodes; None if negative, zero or overflowing."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000 or mantissa == 0:
        return None
    if exponent <= 3:
        target = mantissa >> (8 * (3 - exponent))
    else:
        target = mantissa << (8 * (exponent - 3))
    return target if 0 < target < 1 << 256 else None


def block_work(bits: int) -> int:
    """Expected hashes to find a block at this target (Core's ``GetBlockProof``)."""
    target = target_from_bits(bits)
    return 0 if target is None else (1 << 256) // (target + 1)
