"""The ground truth of a scenario, streamed to CSV files under ``truth/`` as it is generated.

Every row is written when the simulator decides it, so memory stays bounded however many
transactions are generated. Files (columns in ``TABLES``):

- ``addresses.csv``: every address the simulator created -> wallet, entity, entity kind, role;
- ``entities.csv``: every entity with its kind, name and sanction status;
- ``transactions.csv``: every non-coinbase txid -> behaviour kind, acting entity, true change vout;
- ``coinjoins.csv``, ``consolidations.csv``, ``peel_hops.csv``, ``cashouts.csv``,
  ``donations.csv``, ``osint.csv``: the typology-specific facts;
- ``campaign_funds.csv``: exact satoshis of each campaign's funds that reached each service;
- ``summary.json``: seed, options and chain counts (blocks, transactions, inputs, outputs).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from ledgerhound.sim.keys import CORE_TYPE, Lock

TABLES: dict[str, tuple[str, ...]] = {
    "addresses": ("address", "script_type", "wallet_id", "entity_id", "entity_kind", "role"),
    "entities": ("entity_id", "kind", "name", "sanctioned"),
    "transactions": ("txid", "height", "kind", "entity_id", "change_vout"),
    "coinjoins": ("txid", "height", "protocol", "inputs", "outputs", "denomination", "equal"),
    "consolidations": ("txid", "entity_id", "inputs"),
    "peel_hops": ("chain_id", "hop", "txid", "peel_vout", "change_vout", "payee_entity"),
    "cashouts": ("txid", "campaign", "from_entity", "service_entity", "service_kind", "sats"),
    "donations": (
        "campaign",
        "txid",
        "vout",
        "address",
        "sats",
        "usd",
        "donor_entity",
        "donor_kind",
        "channel",
    ),
    "osint": ("address", "source_file", "campaign", "is_campaign_address"),
    "campaign_funds": ("campaign", "service_entity", "service_kind", "sats"),
}


class Truth:
    """Streaming writer of the truth tables plus running chain counts for ``summary.json``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}
        self.height = 0
        self.funds: dict[tuple[str, str, str], int] = defaultdict(int)
        self.counts = {"transactions": 0, "inputs": 0, "outputs": 0}

    def row(self, table: str, *values: Any) -> None:
        writer = self._writers.get(table)
        if writer is None:
            fh = open(self.dir / f"{table}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(TABLES[table])
            self._files[table], self._writers[table] = fh, writer
        writer.writerow(values)

    def address(self, lock: Lock, wallet: Any, role: str) -> None:
        entity = wallet.entity
        addr = lock.address if lock.address is not None else "script:" + lock.script.hex()
        self.row("addresses", addr, CORE_TYPE[lock.kind], wallet.id, entity.id, entity.kind, role)

    def tx(self, built: Any, kind: str, entity_id: str) -> None:
        self.row("transactions", built.txid, self.height, kind, entity_id, built.change_vout)

    def fund(self, campaign: str, service: Any, sats: int) -> None:
        """Record that ``sats`` of ``campaign``'s funds reached ``service`` (an Entity)."""
        self.funds[(campaign, service.id, service.kind)] += sats

    def close(self, summary: dict[str, Any], entities: list[Any]) -> None:
        for e in entities:
            self.row("entities", e.id, e.kind, e.name, str(e.sanctioned).lower())
        for (campaign, sid, skind), sats in sorted(self.funds.items()):
            self.row("campaign_funds", campaign, sid, skind, sats)
        for table in TABLES:  # every table exists, with its header, even when empty
            if table not in self._writers:
                self.row_header_only(table)
        for fh in self._files.values():
            fh.close()
        text = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (self.dir / "summary.json").write_text(text, encoding="utf-8")

    def row_header_only(self, table: str) -> None:
        with open(self.dir / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerow(TABLES[table])
