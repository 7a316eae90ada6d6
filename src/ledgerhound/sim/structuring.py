"""Structuring and dormant-then-burst wallets (FATF 2020 red flags T1 and T2), with their truth.

- :class:`Structurer` (T1, "amounts just under reporting thresholds"): a cash-out facilitator
  collects the armed groups' balances (money the sanctioned hub redistributed), pre-splits each
  lump into coins of about one payment, and deposits it at the exchanges through a few "mule"
  customer accounts in many payments each worth $900-995 at that day's price, 3-6 a day over a
  few days. Each payment spends the previous change together with the next pre-split coin, and
  the change always returns to one reused address; the first pre-split coin of an episode
  started without change is locked to that address too, so every payment of the facilitator
  shares one co-spend wallet (and the change stays below two payments: never a peel-chain step).
  An episode makes at least ``MIN_PAYMENTS`` payments: the split also spends the facilitator's
  reserve of earlier episodes and, if the groups are still too poor, a float the facilitator
  bought from the mining pool (``launderer_float``); without it the episode is skipped.
  Truth: ``transactions.csv`` kinds ``launderer_intake`` (group -> facilitator),
  ``launderer_float``, ``launderer_split`` and ``structuring`` (the sub-threshold deposits),
  entity ``launderer:cashout`` (kind ``launderer``).
- :class:`Dormant` (T2, "a regular pattern after long inactivity"): holders bought coins from the
  mining pool early in the scenario on one or two addresses (role ``dormant``), stay silent for
  400-560 days of block time, then wake and move their coins in a burst of 3-4 payments within
  the same hours (change back to the same address, as single-address wallets do). Truth:
  ``dormant_funding`` and ``dormant_wakeup`` transactions, entities ``dormant:<i>`` (kind
  ``dormant_holder``).

Both run after the block's background fill and draw from their own ``random.Random`` (the
ledger's generator is swapped for theirs while they build transactions), so the random stream of
every earlier behaviour is unchanged; only the coins they take or deposit couple them to the
rest (group wallets, the miner's coins, exchange deposit wallets).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ledgerhound.sim.economy import Economy
from ledgerhound.sim.wallets import COIN, Coin, InsufficientFunds, Wallet
from ledgerhound.sim.world import World

DAY = 86_400
EPISODE_START = 0.55  # structuring episodes from this phase on (groups have been paid by then)
EPISODE_MIN_USD = 4_000  # a lump worth moving (topped up to MIN_PAYMENTS payments)
EPISODE_GAP_DAYS = 45
MAX_PAYMENTS = 30  # per episode (keeps the change below two payments: never a peel step)
MIN_PAYMENTS = 8  # per episode: fewer is not a pattern a detector (or an analyst) could see
MAX_COIN_CENTS = 99_500 + 8_000  # largest pre-split coin: payment plus premium, USD cents
MULES_PER_EXCHANGE = 3
FEE_MARGIN = 50 * 250  # sats: a generous fee for a 2-input payment


@contextmanager
def own_rng(world: World, rng: random.Random) -> Iterator[None]:
    """Let the ledger draw from ``rng`` (fees, change positions, script types) meanwhile."""
    saved = world.ledger.rng
    world.ledger.rng = rng
    try:
        yield
    finally:
        world.ledger.rng = saved


class Structurer:
    """A facilitator depositing the groups' money in sub-$1,000 payments (T1)."""

    def __init__(self, world: World, eco: Economy, groups: list[Wallet]) -> None:
        self.world, self.eco, self.groups = world, eco, groups
        self.rng = random.Random(f"{world.seed}-structuring")
        e = world.entity("launderer:cashout", "launderer", "Cash-out facilitator (structuring)")
        self.wallet = world.wallet(e, {"p2wpkh": 0.8, "p2sh-p2wpkh": 0.2}, reuse=2.0)
        self.change_to = None  # the one change address the facilitator's wallet keeps reusing
        self.mules: dict[int, list] = {}  # exchange index -> deposit locks of mule accounts
        self.queue: list[tuple[int, int]] = []  # (due timestamp, usd cents) of planned payments
        self.split: list[Coin] = []  # pre-split coins, in spending order
        self.change: Coin | None = None
        self.last_episode: int | None = None

    def on_block(self) -> None:
        w = self.world
        now = w.time_of(w.height)
        with own_rng(w, self.rng):
            if self.queue:
                self.pay_due(now)
            elif w.phase() >= EPISODE_START and (
                self.last_episode is None or now - self.last_episode >= EPISODE_GAP_DAYS * DAY
            ):
                self.start_episode(now)

    def start_episode(self, now: int) -> None:
        w, rng = self.world, self.rng
        price = w.usd_price()
        if sum(g.balance for g in self.groups) * price < EPISODE_MIN_USD * COIN:
            return
        self.last_episode = now
        plan = [rng.randint(90_000, 99_500) for _ in range(MAX_PAYMENTS)]  # usd cents
        coins: list[Coin] = []
        for g in self.groups:
            if g.balance * price < 500 * COIN:
                continue
            lock = w.ledger.new_lock(self.wallet, "intake")
            try:
                built = w.ledger.pay(g, [(lock, g.balance * 9 // 10)], "launderer_intake")
            except InsufficientFunds:
                continue
            coins.append(w.ledger.detach(built, built.created.index(_mine(built, lock))))
        coins += self.wallet.coins  # the reserve (and any coin back from a failed payment)
        self.wallet.coins = []
        if not self.top_up(coins, price):
            self.wallet.coins.extend(coins)  # skipped: all of it stays in reserve
            return
        payments = self.split_coins(coins, plan, price) if coins else []
        day, n_today, per_day = now, 0, rng.randint(3, 6)
        for cents in payments:
            if n_today == per_day:
                day, n_today, per_day = day + DAY, 0, rng.randint(3, 6)
            self.queue.append((day + rng.randrange(0, 8 * 3600), cents))
            n_today += 1
        self.queue.sort()
        self.pay_due(now)

    def top_up(self, coins: list[Coin], price: int) -> bool:
        """Make ``coins`` worth ``MIN_PAYMENTS`` payments, buying the shortfall from the pool."""
        w = self.world
        # plus the split's fee as split_coins budgets it, at the highest rate (200 sat/vB)
        need = MIN_PAYMENTS * MAX_COIN_CENTS * COIN // (100 * price)
        need += 200 * (11 + 150 * (len(coins) + 1) + 43 * (MAX_PAYMENTS + 1)) + 10**5
        short = need - sum(c.value for c in coins)
        if short <= 0:
            return True
        lock = w.ledger.new_lock(self.wallet, "float")
        try:
            built = w.ledger.pay(self.eco.miner, [(lock, short)], "launderer_float")
        except InsufficientFunds:
            return False
        coins.append(w.ledger.detach(built, built.created.index(_mine(built, lock))))
        return True

    def split_coins(self, coins: list[Coin], plan: list[int], price: int) -> list[int]:
        """Co-spend the intakes into coins a little above the planned payments, the rest to a
        reserve coin; no change output, so the split never looks like a hub keeping a balance."""
        w, rng = self.world, self.rng
        rate = w.ledger.fee_rate()
        total = sum(c.value for c in coins)
        outs, cents = [], []
        budget = total - rate * (11 + 150 * len(coins) + 43 * (len(plan) + 1)) - 10**5
        if self.change_to is None:
            self.change_to = w.ledger.new_lock(self.wallet, "change")
        for c in plan:
            sats = (c + rng.randint(2_000, 8_000)) * COIN // (100 * price)
            if sats > budget:
                break
            # no change to spend with: the first coin waits on the change address itself
            first = not outs and self.change is None
            lock = self.change_to if first else w.ledger.new_lock(self.wallet, "split")
            outs.append((lock, sats))
            cents.append(c)
            budget -= sats
        if not outs:
            self.wallet.coins.extend(coins)
            return []
        outs.append((w.ledger.new_lock(self.wallet, "reserve"), budget + 10**5 // 2))
        try:
            built = w.ledger.pay(self.wallet, outs, "launderer_split", coins=coins, rate=rate,
                                 change=False)  # fmt: skip
        except InsufficientFunds:
            return []
        for c in built.created[:-1]:
            if c is not None:
                self.wallet.coins.remove(c)
                self.split.append(c)
        return cents

    def mule_lock(self) -> tuple:
        """A mule's deposit address at a random exchange (a new one now and then)."""
        w, rng = self.world, self.rng
        i = rng.randrange(len(self.eco.exchanges))
        ex = self.eco.exchanges[i]
        locks = self.mules.setdefault(i, [])
        if len(locks) < MULES_PER_EXCHANGE or rng.random() < 0.25:
            locks.append(w.ledger.new_lock(ex.deposits, "deposit"))
            del locks[:-MULES_PER_EXCHANGE]
        return rng.choice(locks)

    def pay_due(self, now: int) -> None:
        w = self.world
        while self.queue and self.queue[0][0] <= now + 600 and self.split:
            _, cents = self.queue.pop(0)
            sats = cents * COIN // (100 * w.usd_price())
            coins = [self.split.pop(0)] + ([self.change] if self.change is not None else [])
            if sum(c.value for c in coins) < sats + FEE_MARGIN and self.split:
                coins.append(self.split.pop(0))  # the price fell since the split
            if self.change_to is None:
                self.change_to = w.ledger.new_lock(self.wallet, "change")
            self.wallet.recent = [self.change_to]  # reuse >= 1: change always goes back there
            try:
                built = w.ledger.pay(self.wallet, [(self.mule_lock(), sats)], "structuring",
                                     coins=coins)  # fmt: skip
            except InsufficientFunds:
                self.change = None
                continue
            self.change = None
            if built.change_vout >= 0:
                self.change = w.ledger.detach(built, built.change_vout)
        if not self.split:
            self.queue.clear()


class Dormant:
    """Holders funded early who wake after more than a year into a burst of payments (T2)."""

    FUND_WINDOW = (0.03, 0.10)

    def __init__(self, world: World, eco: Economy) -> None:
        self.world, self.eco = world, eco
        self.rng = random.Random(f"{world.seed}-dormant")
        n = max(3, min(120, world.plan.users // 500))
        self.holders: list[Wallet] = []
        self.wake_at: dict[int, int] = {}  # wallet id -> timestamp it wakes
        for i in range(n):
            e = world.entity(f"dormant:{i}", "dormant_holder", f"Dormant holder {i}")
            self.holders.append(world.wallet(e, {"p2pkh": 0.5, "p2wpkh": 0.5}, reuse=2.0))
        self.unfunded = list(self.holders)

    def on_block(self) -> None:
        w = self.world
        now = w.time_of(w.height)
        with own_rng(w, self.rng):
            if self.unfunded and w.in_window(*self.FUND_WINDOW):
                self.fund(now)
            for h in self.holders:
                due = self.wake_at.get(h.id)
                if due is not None and now >= due:
                    del self.wake_at[h.id]
                    self.burst(h)

    def fund(self, now: int) -> None:
        w, rng = self.world, self.rng
        share = max(1, len(self.holders) // max(1, int(0.07 * w.plan.blocks)))
        for h in self.unfunded[:share]:
            outs = [(w.ledger.new_lock(h, "dormant"), w.usd_to_sats(rng.uniform(3_000, 40_000)))]
            try:
                w.ledger.pay(self.eco.miner, outs, "dormant_funding")
            except InsufficientFunds:
                return
            self.unfunded.remove(h)
            self.wake_at[h.id] = now + rng.randint(400, 560) * DAY

    def burst(self, h: Wallet) -> None:
        """3-4 payments within hours, each from the dormant address (change back to it)."""
        w, rng = self.world, self.rng
        ex = self.eco.exchanges
        for _ in range(rng.randint(3, 4)):
            if h.balance < 4 * 10**5:
                return
            h.recent = [h.coins[0].lock]  # change back to the dormant address
            lock = w.ledger.new_lock(rng.choice(ex).deposits, "deposit")
            coins, amount = list(h.coins), int(h.balance * rng.uniform(0.2, 0.4))
            h.coins.clear()
            try:
                w.ledger.pay(h, [(lock, amount)], "dormant_wakeup", coins=coins)
            except InsufficientFunds:
                return


def _mine(built, lock) -> Coin | None:
    for c in built.created:
        if c is not None and c.lock is lock:
            return c
    return None


def behaviours(world: World, eco: Economy, groups: list[Wallet]) -> list[Callable[[], None]]:
    """The ``on_block`` hooks of both behaviours, in the order the scenario calls them."""
    return [Structurer(world, eco, groups).on_block, Dormant(world, eco).on_block]
