"""Plain address lists (one address per line, ``#`` comments) tagged with user-given fields."""

from __future__ import annotations

from pathlib import Path

from ledgerhound.attribution.tag import Tag, check_address, normalize_address
from ledgerhound.attribution.taxonomy import CONCEPTS, CONFIDENCE_LEVELS
from ledgerhound.errors import InvalidInputError


def read_address_list(
    path: Path,
    *,
    label: str,
    category: str,
    source: str,
    confidence: str = "unknown",
    currency: str = "BTC",
    network: str = "mainnet",
) -> tuple[list[Tag], list[str]]:
    """Tags for every address in ``path``; invalid addresses are kept, flagged and reported."""
    if category not in CONCEPTS:
        raise InvalidInputError(f"unknown category {category!r} (not in the concept taxonomy)")
    if confidence not in CONFIDENCE_LEVELS:
        known = ", ".join(CONFIDENCE_LEVELS)
        raise InvalidInputError(f"unknown confidence {confidence!r} (known: {known})")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read address list: {exc}") from None
    tags, problems = [], []
    for number, raw in enumerate(lines, start=1):
        text = normalize_address(raw.split("#", 1)[0])
        if not text:
            continue
        valid, reason = check_address(currency, text, network)
        if valid is False:
            problems.append(f"{path}:{number}: invalid {currency} address {text}: {reason}")
        tags.append(
            Tag(
                address=text, currency=currency.upper(), label=label, source=source,
                confidence=confidence, category=category, tagpack=str(path), line=number,
                valid=valid, invalid_reason=reason,
            )
        )  # fmt: skip
    return tags, problems
