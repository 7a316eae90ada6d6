"""The tag record every attribution source produces, and per-currency address checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ledgerhound.attribution.taxonomy import CONFIDENCE_LEVELS
from ledgerhound.codecs.address import address_to_script, get_network
from ledgerhound.errors import InvalidAddressError


@dataclass(frozen=True)
class Tag:
    """One attribution of one address, with where it came from and how much to trust it."""

    address: str
    currency: str
    label: str
    source: str
    confidence: str
    category: str | None = None
    abuse: str | None = None
    concepts: tuple[str, ...] = ()
    actor: str | None = None
    is_cluster_definer: bool = False
    lastmod: str | None = None
    context: str | None = None
    tagpack: str = ""  # file or feed the tag was read from
    line: int | None = None
    valid: bool | None = None  # None: no validator for this currency
    invalid_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def confidence_level(self) -> int:
        return CONFIDENCE_LEVELS.get(self.confidence, CONFIDENCE_LEVELS["unknown"])

    @property
    def categories(self) -> tuple[str, ...]:
        """Category, abuse and concepts together, without repeats, in that order."""
        seen: list[str] = []
        for c in (self.category, self.abuse, *self.concepts):
            if c and c not in seen:
                seen.append(c)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["concepts"] = list(self.concepts)
        data["confidence_level"] = self.confidence_level
        data.pop("extra")
        return data


BITCOIN_CODES = frozenset({"BTC", "XBT"})


def normalize_address(address: str) -> str:
    """Canonical form for matching: EVM hex addresses are compared lowercased (EIP-55 is case)."""
    address = address.strip()
    if address[:2].lower() == "0x" and len(address) == 42:
        return address.lower()
    return address


def check_address(
    currency: str, address: str, network: str = "mainnet"
) -> tuple[bool | None, str | None]:
    """``(valid, reason)`` on ``network``; ``valid`` is None for currencies we cannot check."""
    if currency.upper() in BITCOIN_CODES:
        try:
            address_to_script(address, get_network(network))
        except InvalidAddressError as exc:
            return False, exc.message
        return True, None
    return None, None
