"""Daily BTC/USD rates from a user-imported CSV (``date,usd``), to value amounts at tx time.

Why a user file and not a feed: the report must be reproducible offline, and the rate source
must be named in it. A first line ``# source: ...`` names the source; otherwise the file name
does. A day without a rate gives no USD value (reported as missing), never an interpolation.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from ledgerhound.errors import InvalidInputError

SAMPLE = "prices-sample.csv"
SATS = Decimal(100_000_000)


@dataclass
class PriceTable:
    source: str
    path: str
    sha256: str
    rates: dict[str, Decimal] = field(default_factory=dict)

    def usd(self, sats: int, timestamp: int | None) -> str | None:
        """USD value of ``sats`` at the UTC day of ``timestamp``, as a 2-decimal string."""
        if timestamp is None:
            return None
        day = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
        rate = self.rates.get(day)
        if rate is None:
            return None
        return str((Decimal(sats) * rate / SATS).quantize(Decimal("0.01")))

    def describe(self) -> dict[str, object]:
        days = sorted(self.rates)
        return {
            "source": self.source,
            "file": self.path,
            "sha256": self.sha256,
            "days": len(days),
            "first": days[0] if days else None,
            "last": days[-1] if days else None,
        }


def load_prices(path: Path | None = None) -> PriceTable:
    """Read a rate table; ``None`` loads the bundled sample (demo only)."""
    if path is None:
        data = resources.files("ledgerhound.market").joinpath("data", SAMPLE).read_bytes()
        name = f"bundled {SAMPLE}"
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"{path}: cannot read price table: {exc.strerror}") from None
        name = Path(path).name
    return _parse(data, name)


def _parse(data: bytes, name: str) -> PriceTable:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{name}: price table is not UTF-8 text") from None
    lines = text.splitlines()
    source = name
    if lines and lines[0].startswith("#"):
        source = lines[0].lstrip("#").strip().removeprefix("source:").strip() or name
        lines = lines[1:]
    reader = csv.DictReader(lines)
    if not reader.fieldnames or not {"date", "usd"} <= set(reader.fieldnames):
        raise InvalidInputError(f"{name}: price table needs columns date,usd")
    rates: dict[str, Decimal] = {}
    for n, row in enumerate(reader, 2):
        try:
            day = date.fromisoformat((row["date"] or "").strip()).isoformat()
            rate = Decimal((row["usd"] or "").strip())
        except (ValueError, InvalidOperation):
            raise InvalidInputError(f"{name}:{n}: bad date or usd value") from None
        if not rate.is_finite() or rate <= 0:
            raise InvalidInputError(f"{name}:{n}: usd must be a positive number")
        rates[day] = rate
    return PriceTable(source, name, hashlib.sha256(data).hexdigest(), rates)
