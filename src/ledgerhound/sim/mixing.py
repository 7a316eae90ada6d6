"""CoinJoins (Wasabi 1, Wasabi 2, Whirlpool, JoinMarket), peel chains and equal-value distractors.

Shapes follow the detection rules in the reference (Dumplings, GraphSense): Wasabi 1 rounds of
10-30 equal ~0.1 BTC outputs plus a coordinator fee; Wasabi 2 rounds of >= 50 inputs paying
standard denominations sorted by value; Whirlpool Tx0 (premix outputs, coordinator fee,
OP_RETURN, change) and 5-in/5-out mixes mixing new entrants with free remixes; JoinMarket rounds
with n equal outputs and n change outputs. Every CoinJoin is written to ``truth/coinjoins.csv``;
equal-value payouts that are *not* CoinJoins are labelled ``equal_payout`` in
``truth/transactions.csv`` so detectors' false positives can be counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.sim.economy import Economy
from ledgerhound.sim.keys import Lock, op_return, spend_data
from ledgerhound.sim.wallets import COIN, Built, Coin, InsufficientFunds, Wallet
from ledgerhound.sim.world import World

WHIRLPOOL_POOLS = (1_000_000, 5_000_000)
WW2_DENOMS = sorted(
    {
        v
        for n in range(0, 40)
        for v in (2**n, 3**n, 2 * 3**n, 10**n, 2 * 10**n, 5 * 10**n)
        if 5_000 <= v <= 10 * COIN
    }
)


@dataclass
class Peel:
    """An active peel chain: the remainder coin and how many hops are left."""

    chain_id: str
    wallet: Wallet
    coin: Coin
    hops_left: int
    hop: int = 0


class Mixing:
    """Privacy users, CoinJoin coordinators, peel chains and distractor payouts."""

    def __init__(self, world: World, eco: Economy) -> None:
        self.world, self.eco = world, eco
        n = max(40, min(3000, world.plan.users // 8))
        self.mixers = []
        for i in range(n):
            e = world.entity(f"user:mixer{i}", "user", f"Privacy user {i}")
            self.mixers.append(world.wallet(e, {"p2wpkh": 1.0}))
        coord = world.entity("coordinator:wasabi", "coinjoin_coordinator", "Wasabi coordinator")
        self.wasabi = world.wallet(coord, {"p2wpkh": 1.0})
        self.wasabi_lock = world.ledger.new_lock(self.wasabi, "coordinator")
        wp = world.entity("coordinator:whirlpool", "coinjoin_coordinator", "Whirlpool coordinator")
        self.whirlpool = world.wallet(wp, {"p2wpkh": 1.0})
        self.whirlpool_lock = world.ledger.new_lock(self.whirlpool, "coordinator")
        self.premix: dict[int, list[Coin]] = {p: [] for p in WHIRLPOOL_POOLS}
        self.postmix: dict[int, list[Coin]] = {p: [] for p in WHIRLPOOL_POOLS}
        self.peels: list[Peel] = []
        self.peel_count = 0

    # --- helpers ---------------------------------------------------------------------------
    def _funded(self, need: int, count: int) -> list[Wallet]:
        """Up to ``count`` distinct mixers with at least ``need`` spendable; others top up."""
        rng, out = self.world.rng, []
        for wallet in rng.sample(self.mixers, min(len(self.mixers), count * 2)):
            if wallet.balance >= need:
                out.append(wallet)
            else:
                self.eco.request_withdrawal(wallet)
            if len(out) == count:
                break
        return out

    def _join(
        self, parts: list[tuple[list[Coin], list[tuple[Lock, int]]]], protocol: str, denom: int
    ) -> Built:
        """Write one multi-party transaction from (coins, outputs) per participant, shuffled."""
        w, rng = self.world, self.world.rng
        coins = [c for cs, _ in parts for c in cs]
        outs = [o for _, os in parts for o in os]
        rng.shuffle(coins)
        if protocol == "wasabi2":
            outs.sort(key=lambda o: -o[1])
        else:
            rng.shuffle(outs)
        spends = [spend_data(c.lock, c.txid + c.vout.to_bytes(4, "little")) for c in coins]
        built = w.ledger.write(coins, spends, outs)
        equal = sum(1 for _, v in outs if v == denom)
        w.truth.row(
            "coinjoins", built.txid, w.height, protocol, len(coins), len(outs), denom, equal
        )
        w.truth.tx(built, "coinjoin", f"coinjoin:{protocol}")
        return built

    def _contribute(self, wallet: Wallet, amount: int, rate: int, n_out: int) -> list[Coin]:
        return self.world.ledger.take(wallet, amount, rate, n_out)

    def _restore(self, parts: list[tuple[list[Coin], list]]) -> None:
        """Give taken coins back when a round cannot be completed."""
        for coins, _ in parts:
            for c in coins:
                self.world.ledger.wallets[c.lock.wallet].coins.append(c)

    # --- protocols -------------------------------------------------------------------------
    def wasabi1(self) -> None:
        w, rng = self.world, self.world.rng
        denom = 10_000_000 + rng.randrange(-500_000, 500_000, 1000)
        k = rng.randint(10, 30)
        rate = w.ledger.fee_rate()
        wallets = self._funded(denom + 400_000, k)
        if len(wallets) < 10:
            return
        coord_fee = denom * 3 // 1000
        parts, total_fee = [], 0
        for wallet in wallets:
            try:
                coins = self._contribute(wallet, denom + coord_fee, rate, 2)
            except InsufficientFunds:
                self._restore(parts)
                return
            fee = rate * (68 * len(coins) + 62)
            change = sum(c.value for c in coins) - denom - coord_fee - fee
            outs = [(w.ledger.new_lock(wallet, "coinjoin"), denom)]
            if change >= 5000:
                outs.append((w.ledger.new_lock(wallet, "change"), change))
            parts.append((coins, outs))
            total_fee += fee
        parts.append(([], [(self.wasabi_lock, coord_fee * len(wallets))]))
        self._join(parts, "wasabi1", denom)

    def wasabi2(self) -> None:
        w, rng = self.world, self.world.rng
        rate = w.ledger.fee_rate(low=True)
        wallets = self._funded(2_000_000, rng.randint(18, 30))
        if len(wallets) < 15:
            return
        parts: list[tuple[list[Coin], list[tuple[Lock, int]]]] = []
        n_in = 0
        for wallet in wallets:
            amount = int(wallet.balance * rng.uniform(0.5, 0.95))
            try:
                coins = self._contribute(wallet, amount, rate, 4)
            except InsufficientFunds:
                continue
            extra = [c for c in wallet.coins if c.mature <= w.height][: rng.randint(0, 3)]
            for c in extra:
                wallet.coins.remove(c)
            coins += extra
            n_in += len(coins)
            budget = sum(c.value for c in coins) - rate * 68 * len(coins)
            parts.append((coins, self._denominate(wallet, budget, rate)))
        if n_in < 50:  # not a WabiSabi-sized round: give everything back untouched
            self._restore(parts)
            return
        self._join(parts, "wasabi2", 0)

    def _denominate(self, wallet: Wallet, budget: int, rate: int) -> list[tuple[Lock, int]]:
        outs, left = [], budget
        while len(outs) < 8:
            left -= rate * 31
            fit = [d for d in WW2_DENOMS if d <= left]
            if not fit:
                break
            outs.append((self.world.ledger.new_lock(wallet, "coinjoin"), fit[-1]))
            left -= fit[-1]
        return outs

    def whirlpool_tx0(self) -> None:
        w, rng = self.world, self.world.rng
        pool = rng.choice(WHIRLPOOL_POOLS)
        n = rng.randint(2, 6)
        premix = pool + rng.randrange(1_000, 6_000)
        fee_out = pool * 5 // 100
        wallets = self._funded(n * premix + fee_out + 200_000, 1)
        if not wallets:
            return
        wallet = wallets[0]
        outs = [(w.ledger.new_lock(wallet, "premix", "p2wpkh"), premix) for _ in range(n)]
        outs += [(self.whirlpool_lock, fee_out), (op_return(rng.randbytes(46)), 0)]
        try:
            built = w.ledger.pay(wallet, outs, "whirlpool_tx0")
        except InsufficientFunds:
            return
        w.truth.row(
            "coinjoins", built.txid, w.height, "whirlpool_tx0", 0, len(built.created), pool, n
        )
        for coin in built.created:
            if coin is not None and coin.value == premix and coin.lock.wallet == wallet.id:
                wallet.coins.remove(coin)
                self.premix[pool].append(coin)

    def whirlpool_mix(self) -> None:
        w, rng = self.world, self.world.rng
        pool = rng.choice(WHIRLPOOL_POOLS)
        remix = self.postmix[pool][: rng.randint(0, 2)]
        fresh_needed = 5 - len(remix)
        if len(self.premix[pool]) < fresh_needed or fresh_needed < 1:
            return
        fresh = self.premix[pool][:fresh_needed]
        del self.premix[pool][:fresh_needed]
        del self.postmix[pool][: len(remix)]
        parts = []
        for coin in fresh + remix:
            owner = w.ledger.wallets[coin.lock.wallet]
            parts.append(([coin], [(w.ledger.new_lock(owner, "postmix", "p2wpkh"), pool)]))
        built = self._join(parts, "whirlpool", pool)
        for vout, coin in enumerate(built.created):
            if coin is not None and rng.random() < 0.5 and len(self.postmix[pool]) < 50:
                w.ledger.detach(built, vout)
                self.postmix[pool].append(coin)

    def joinmarket(self) -> None:
        w, rng = self.world, self.world.rng
        amount = int(rng.uniform(0.01, 0.5) * COIN)
        n = rng.randint(3, 8)
        rate = w.ledger.fee_rate()
        wallets = self._funded(amount + 100_000, n)
        if len(wallets) < 3:
            return
        cjfee = rng.randrange(200, 2_000)
        mining = rate * (68 * 2 * len(wallets) + 31 * 2 * len(wallets) + 11)
        parts = []
        for i, wallet in enumerate(wallets):  # wallet 0 is the taker: pays makers and miners
            paid = cjfee * (len(wallets) - 1) + mining if i == 0 else -cjfee
            try:
                coins = self._contribute(wallet, amount + max(0, paid), 0, 2)
            except InsufficientFunds:
                self._restore(parts)
                return
            change = sum(c.value for c in coins) - amount - paid
            outs = [(w.ledger.new_lock(wallet, "coinjoin"), amount)]
            if change >= 1_000:
                outs.append((w.ledger.new_lock(wallet, "change"), change))
            parts.append((coins, outs))
        total_in = sum(c.value for cs, _ in parts for c in cs)
        total_out = sum(v for _, os in parts for _, v in os)
        if total_out > total_in:  # cannot happen with the fee arithmetic above; stay safe
            self._restore(parts)
            return
        self._join(parts, "joinmarket", amount)

    # --- peel chains and distractors ---------------------------------------------------------
    def start_peel(self, wallet: Wallet, min_value: int = 5_000_000) -> None:
        w = self.world
        coins = [c for c in wallet.coins if c.value >= min_value and c.mature <= w.height]
        if not coins:
            return
        coin = max(coins, key=lambda c: (c.value, c.txid, c.vout))
        wallet.coins.remove(coin)
        self.peel_count += 1
        hops = w.rng.randint(4, 12)
        self.peels.append(Peel(f"peel{self.peel_count}", wallet, coin, hops))

    def advance_peels(self, payees: list[Wallet]) -> None:
        """Each active chain makes one or two hops: a small peel and a fresh-address remainder."""
        w, rng = self.world, self.world.rng
        still: list[Peel] = []
        for p in self.peels:
            for _ in range(rng.randint(1, 2)):
                if p.hops_left <= 0:
                    break
                payee = rng.choice(payees)
                peel = min(p.coin.value // rng.randint(5, 20), int(rng.lognormvariate(14, 1)))
                lock = w.ledger.receive_lock(payee)
                try:
                    built = w.ledger.pay(
                        p.wallet, [(lock, max(peel, 10_000))], "peel_hop", coins=[p.coin]
                    )
                except InsufficientFunds:  # the coin went back to the wallet
                    p.hops_left, p.coin = 0, None  # type: ignore[assignment]
                    break
                peel_vout = 1 - built.change_vout if built.change_vout >= 0 else 0
                w.truth.row(
                    "peel_hops",
                    p.chain_id,
                    p.hop,
                    built.txid,
                    peel_vout,
                    built.change_vout,
                    payee.entity.id,
                )
                p.hop += 1
                p.hops_left -= 1
                if built.change_vout < 0:
                    p.hops_left = 0
                    break
                p.coin = w.ledger.detach(built, built.change_vout)
            if p.hops_left > 0:
                still.append(p)
            elif p.coin is not None:
                p.wallet.coins.append(p.coin)  # the chain ends: the remainder is spendable again
        self.peels = still

    def equal_payout(self) -> None:
        """An exchange pays many customers the same amount (a promotion): not a CoinJoin."""
        w, rng = self.world, self.world.rng
        ex = rng.choice(self.eco.exchanges)
        value = rng.choice((1_000_000, 5_000_000, 10_000_000))
        users = rng.sample(self.eco.users, min(len(self.eco.users), rng.randint(10, 25)))
        outs = [(w.ledger.receive_lock(u), value) for u in users]
        try:
            w.ledger.pay(ex.hot, outs, "equal_payout")
        except InsufficientFunds:
            return
