"""The Finding record every detector returns, and the FATF 2020 red-flag indicators it cites.

A finding is a heuristic observation, never an attribution: it carries the measured facts
(``evidence``) that triggered it and a 0-100 ``confidence``; the scan adds method, parameters
and the store's data fingerprint at the top level so every result can be reproduced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: FATF "Virtual Assets Red Flag Indicators of ML/TF" (14 Sep 2020), paraphrased ids
#: (docs/methods/typologies.md; /work/shared/reference/typologies.md section 6).
FATF_INDICATORS = {
    "T1": "structuring: small amounts or amounts just under reporting thresholds",
    "T2": "multiple transfers in short succession, or a regular pattern after long inactivity",
    "T3": "transferring funds immediately to one or more virtual-asset service providers",
    "P4": "frequent transfers to the same account from more than one person",
    "P5": "incoming transfers from many unrelated wallets in small amounts, then moved on",
    "A3": "operating as an unregistered peer-to-peer exchanger",
    "A5": "use of mixing/tumbling services or CoinJoin",
    "F1": "transacting with sanctioned addresses",
    "F6": "funds sourced directly from a mixer",
}


@dataclass
class Finding:
    """One detected pattern: which addresses/transactions, how much, when, and why."""

    typology: str
    confidence: int
    addresses: list[str]
    txids: list[str]
    value: int
    first_seen: int | None
    last_seen: int | None
    evidence: dict[str, Any] = field(default_factory=dict)
    fatf_indicators: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape with sorted lists so identical inputs give byte-identical output."""
        return {
            "typology": self.typology,
            "confidence": int(self.confidence),
            "addresses": sorted(set(self.addresses)),
            "txids": sorted(set(self.txids)),
            "value": int(self.value),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "evidence": self.evidence,
            "fatf_indicators": sorted(set(self.fatf_indicators)),
        }

    def sort_key(self) -> tuple:
        """Typology, first height, then the whole record: a total order, whatever SQL returned."""
        doc = self.to_dict()
        return (self.typology, self.first_seen or 0, json.dumps(doc, sort_keys=True))
