"""``simulate``: run a seeded scenario and write blocks/, truth/, intel/ and posts/ to a directory.

The run is one loop over block heights. After 110 coinbase-only bootstrap blocks (so coinbases
mature), every block gets the scheduled typology actions (campaigns, sweeps, CoinJoins, peel
hops) and is then filled with background economy until it holds the planned number of
transactions. Nothing depends on the wall clock, ``hash()`` or set order: the same seed and
options give byte-identical files.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledgerhound import __version__
from ledgerhound.codecs.address import NETWORKS
from ledgerhound.errors import InvalidInputError
from ledgerhound.sim import intel, posts, structuring
from ledgerhound.sim.campaigns import CharityHub, Qassam, Storefront
from ledgerhound.sim.economy import Economy
from ledgerhound.sim.mixing import Mixing
from ledgerhound.sim.wallets import Coin
from ledgerhound.sim.world import BOOTSTRAP_BLOCKS, Plan, World

SIZES = {"small": 3_000, "medium": 200_000, "large": 10_000_000}
SMALL_FILE = 256 * 1024  # smallest file cap, so small scenarios span several blk files


def parse_size(size: str) -> int:
    """``small|medium|large`` or a number of transactions (at least 1,000)."""
    if size in SIZES:
        return SIZES[size]
    try:
        n = int(size.replace("_", ""))
    except ValueError:
        raise InvalidInputError(
            f"--size must be small, medium, large or a number of transactions, not {size!r}"
        ) from None
    if n < 1000:
        raise InvalidInputError(f"--size {n} is too small: use at least 1000 transactions")
    return n


@dataclass(frozen=True)
class Options:
    seed: int
    out: Path
    size: int
    xor: bool = False
    network: str = "regtest"


class Scenario:
    """Wires the behaviours together and drives them block by block."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.plan = Plan.for_budget(opts.size)
        # About six files for any size (Core's cap of 128 MiB binds only for large scenarios).
        max_file = max(SMALL_FILE, min(128 << 20, opts.size * 400 // 6))
        net = NETWORKS[opts.network]
        self.world = World(
            opts.seed, opts.out, net, self.plan, xor=opts.xor, max_file_size=max_file
        )
        w = self.world
        self.eco = Economy(w)
        self.mixing = Mixing(w, self.eco)
        self.qassam = Qassam(w, self.eco)
        self.hub = CharityHub(w, self.eco)
        self.shop = Storefront(w, self.eco)
        # T1 structuring and T2 dormant bursts: own random streams, run after the fill.
        self.extra = structuring.behaviours(w, self.eco, self.hub.groups)
        self.miner_lock = w.ledger.new_lock(self.eco.miner, "coinbase")
        # Two stale blocks (competing siblings that lost), as Core's files contain.
        self.stale_at = {
            BOOTSTRAP_BLOCKS + self.plan.blocks // 4,
            BOOTSTRAP_BLOCKS + 3 * self.plan.blocks // 5,
        }

    def run(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        w = self.world
        for height in range(1, w.last_block + 1):
            w.ledger.height = w.truth.height = height
            if height > BOOTSTRAP_BLOCKS:
                self.block_activity()
            if height % 20 == 0:
                self.miner_lock = w.ledger.new_lock(self.eco.miner, "coinbase")
            cb_txid, value = w.assembler.seal(w.time_of(height), self.miner_lock)
            self.eco.miner.coins.append(Coin(cb_txid, 0, value, self.miner_lock, height + 100))
            if height in self.stale_at:
                w.assembler.stale(w.time_of(height) + 1, self.miner_lock)
            if progress is not None:
                progress(height, w.assembler.tx_count)
        w.writer.close()
        intel.write(self.opts.out / "intel", self)
        posts.write(self.opts.out / "posts", self)
        summary = self.summary()
        w.truth.close(summary, w.entities)
        return summary

    def block_activity(self) -> None:
        w, eco, mix, rng = self.world, self.eco, self.mixing, self.world.rng
        h = w.height
        if h % 3 == 0 or h == BOOTSTRAP_BLOCKS + 1:
            eco.fund_exchanges()
        for i, ex in enumerate(eco.exchanges):
            if h % 3 == i % 3:
                ex.sweep(w)
            ex.withdraw(w)
        self.qassam.on_block()
        self.hub.on_block()
        self.shop.on_block()
        if h % 7 == 0:
            eco.broker_deposit()
        # Mid-scenario every shape runs at least once, so even small scenarios have them all.
        sure = h in (
            BOOTSTRAP_BLOCKS + self.plan.blocks // 3,
            BOOTSTRAP_BLOCKS + self.plan.blocks // 2,
        )
        for chance, action in (
            (0.15, mix.wasabi1),
            (0.08, mix.wasabi2),
            (0.35, mix.whirlpool_tx0),
            (0.40, mix.whirlpool_mix),
            (0.15, mix.joinmarket),
            (0.05, mix.equal_payout),
        ):
            if rng.random() < chance or sure:
                action()
        if rng.random() < 0.25:
            who = rng.choice((self.hub.hub, eco.broker, *rng.sample(eco.users, 3)))
            mix.start_peel(who)
        mix.advance_peels(eco.users[:50] + self.hub.groups + [ex.deposits for ex in eco.exchanges])
        self.fill()
        for on_block in self.extra:
            on_block()

    def fill(self) -> None:
        """Background economy until the block holds its planned number of transactions."""
        asm, eco = self.world.assembler, self.eco
        attempts = 0
        while len(asm.txs) < self.plan.per_block and attempts < self.plan.per_block * 4:
            eco.step()
            attempts += 1

    def summary(self) -> dict[str, Any]:
        w, opts = self.world, self.opts
        stale = w.assembler.stale_blocks
        blocks = w.last_block + 1 + stale  # genesis + main chain + stale blocks
        cb_outputs = w.assembler.coinbase_outputs
        return {
            "generator": f"ledgerhound {__version__} simulate",
            "seed": opts.seed,
            "size": opts.size,
            "xor": opts.xor,
            "network": opts.network,
            "blocks": blocks,
            "stale_blocks": stale,
            "transactions": w.assembler.tx_count + 1,
            "inputs": w.ledger.n_inputs + blocks,
            "outputs": w.ledger.n_outputs + cb_outputs + 1,
            "block_files": list(w.writer.files),
            "tip_height": w.last_block,
            "tip_hash": w.assembler.prev_hash[::-1].hex(),
            "entities": len(w.entities),
            "campaigns": [
                "alqassam-2019",
                "charity0-2019",
                "charity1-2019",
                "charity2-2019",
                "facemask-2020",
            ],
        }


def simulate(opts: Options, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Write a scenario to ``opts.out`` (which must be absent or empty); return its summary."""
    out = opts.out
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"--out {out} is a file; choose a new directory")
    if out.exists() and any(out.iterdir()):
        raise InvalidInputError(f"output directory {out} is not empty; choose a new one")
    if opts.network not in ("regtest", "mainnet"):
        raise InvalidInputError(f"--network must be regtest or mainnet, not {opts.network!r}")
    started = time.perf_counter()
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
    try:
        summary = Scenario(replace(opts, out=partial)).run(progress)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise InvalidInputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # never leave a half-written scenario
        raise
    summary = dict(summary)
    summary["_elapsed_s"] = round(time.perf_counter() - started, 3)  # not written to disk
    return summary
