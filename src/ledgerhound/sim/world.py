"""The shared state of a running scenario: randomness, clock, prices, entities and the ledger.

One ``random.Random(seed)`` drives every decision in a fixed order, so a seed and options give
byte-identical output. Block times are fixed by height (no wall clock), and USD amounts are
converted with a table of approximate monthly BTC/USD means for 2019-2020 (rounded, for scale
only; documented in ``docs/methods/simulator.md``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledgerhound.codecs.address import Network, script_to_address
from ledgerhound.sim.blkwriter import BlkWriter, BlockAssembler, genesis_block
from ledgerhound.sim.keys import KeyFactory
from ledgerhound.sim.truth import Truth
from ledgerhound.sim.wallets import COIN, Entity, Ledger, Wallet

START = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2020, 9, 30, tzinfo=UTC).timestamp())
BOOTSTRAP_BLOCKS = 110  # coinbase-only blocks so that the first coinbases mature (100 blocks)
# Approximate monthly mean BTC/USD, Jan 2019 .. Dec 2020 (rounded; scale only).
USD_PER_BTC = (
    3600,
    3700,
    4000,
    5200,
    7500,
    9800,
    10500,
    10500,
    9500,
    8500,
    8000,
    7200,
    8500,
    9700,
    6500,
    7000,
    9300,
    9500,
    9500,
    11700,
    10600,
    11500,
    16000,
    20000,
)


@dataclass(frozen=True)
class Plan:
    """Sizes derived from the transaction budget; everything else scales from these."""

    budget: int
    blocks: int  # regular blocks after the bootstrap
    per_block: int
    users: int
    merchants: int
    broker_customers: int

    @classmethod
    def for_budget(cls, budget: int) -> Plan:
        # ~sqrt growth in both dimensions; at most 3,000 transactions (~3 M weight) per block.
        blocks = max(40, int(budget**0.5 * 1.2), budget // 3000)
        users = max(150, min(60_000, budget // 8))
        return cls(
            budget=budget,
            blocks=blocks,
            per_block=max(10, budget // blocks),
            users=users,
            merchants=max(8, min(3000, users // 25)),
            broker_customers=max(15, min(3000, users // 12)),
        )


class World:
    """Everything behaviours need: ``rng``, ``ledger``, the clock and entity registry."""

    def __init__(
        self,
        seed: int,
        out: Path,
        network: Network,
        plan: Plan,
        *,
        xor: bool = False,
        max_file_size: int = 128 << 20,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.network = network
        self.plan = plan
        self.truth = Truth(out / "truth")
        xor_key = self.rng.randbytes(8) if xor else None
        self.writer = BlkWriter(out / "blocks", network.magic, self.rng, max_file_size, xor_key)
        raw, genesis_hash = genesis_block("mainnet" if network.name == "mainnet" else "regtest")
        self.writer._write(raw)  # Core writes the genesis block first, always
        subsidy_net = "mainnet" if network.name == "mainnet" else "regtest"
        self.assembler = BlockAssembler(self.writer, subsidy_net, genesis_hash)
        self.ledger = Ledger(KeyFactory(seed, network), self.rng, self.assembler, self.truth)
        self.entities: list[Entity] = []
        self._ids: set[str] = set()
        self.last_block = BOOTSTRAP_BLOCKS + plan.blocks
        self._genesis_truth(raw)

    def _genesis_truth(self, raw: bytes) -> None:
        """The genesis output (P2PK, unspendable) is on every chain: label it too."""
        script = raw[-4 - 67 : -4]  # the one output script, before the locktime
        address = script_to_address(script, self.network).address
        e = self.entity("genesis", "genesis", "Genesis block coinbase")
        self.truth.row("addresses", address, "pubkey", -1, e.id, e.kind, "coinbase")

    # --- entities ------------------------------------------------------------------------
    def entity(self, eid: str, kind: str, name: str, sanctioned: bool = False) -> Entity:
        if eid in self._ids:
            raise ValueError(f"duplicate entity id {eid}")
        self._ids.add(eid)
        e = Entity(eid, kind, name, sanctioned)
        self.entities.append(e)
        return e

    def wallet(self, entity: Entity, mix: dict[str, float], **kw: float) -> Wallet:
        return self.ledger.wallet(entity, mix, **kw)

    # --- time and money ------------------------------------------------------------------
    @property
    def height(self) -> int:
        return self.ledger.height

    def time_of(self, height: int) -> int:
        """Bootstrap blocks 10 minutes apart before 2019; then evenly spread to Sep 2020."""
        if height <= BOOTSTRAP_BLOCKS:
            return START - (BOOTSTRAP_BLOCKS - height + 1) * 600
        step = (END - START) // self.plan.blocks
        return START + (height - BOOTSTRAP_BLOCKS - 1) * step + (height * 7919) % max(1, step // 2)

    def phase(self) -> float:
        """Position of the current block in the scenario timeline, 0.0 .. 1.0."""
        return (self.height - BOOTSTRAP_BLOCKS) / self.plan.blocks

    def in_window(self, start: float, end: float) -> bool:
        return start <= self.phase() < end

    def usd_price(self) -> int:
        month = datetime.fromtimestamp(self.time_of(self.height), tz=UTC)
        idx = (month.year - 2019) * 12 + month.month - 1
        return USD_PER_BTC[max(0, min(len(USD_PER_BTC) - 1, idx))]

    def usd_to_sats(self, usd: float) -> int:
        return int(usd * COIN / self.usd_price())

    def date_of(self, height: int) -> datetime:
        return datetime.fromtimestamp(self.time_of(height), tz=UTC)
