"""The legitimate economy the typologies hide in: miner, exchanges, users, merchants, a broker.

- **Exchanges** give each customer a deposit address (reused for later deposits with high
  probability), sweep deposit addresses into a reused hot-wallet address in large consolidations,
  and pay withdrawals in batches (sometimes many equal amounts: a CoinJoin-like distractor).
- **Users** hold wallets of one main script type, pay each other and merchants in round and
  non-round amounts, get change (sometimes of another script type), reuse addresses sometimes,
  send to themselves, deposit to and withdraw from exchanges.
- **Merchants** receive per-order addresses and periodically cash out to an exchange.
- **The broker** (an unlicensed MSB) takes coins from many legitimate customers and deposits the
  pooled coins at an exchange in its own account: the over-attribution trap of the 2023 episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledgerhound.sim.keys import Lock
from ledgerhound.sim.wallets import Built, Entity, InsufficientFunds, Wallet
from ledgerhound.sim.world import World

USER_KINDS = ("p2pkh", "p2sh-p2wpkh", "p2wpkh", "p2tr", "p2wsh")
USER_KIND_WEIGHTS = (0.28, 0.24, 0.38, 0.07, 0.03)
MAX_CUSTOMER_LOCKS = 20_000  # per exchange; a returning dormant customer gets a new address
SERVICE_MIX = {"p2wpkh": 0.6, "p2sh-p2wpkh": 0.3, "p2pkh": 0.1}


def user_mix(world: World) -> dict[str, float]:
    main = world.rng.choices(USER_KINDS, USER_KIND_WEIGHTS)[0]
    mix = {k: 0.02 for k in USER_KINDS}
    mix[main] = 0.9
    if world.rng.random() < 0.01:
        mix["multisig"] = 0.05  # a few legacy bare-multisig wallets
    return mix


@dataclass
class Exchange:
    entity: Entity
    hot: Wallet
    deposits: Wallet
    hot_lock: Lock
    customer_locks: dict[int, Lock] = field(default_factory=dict)
    pending: list[tuple[Lock, int, Any]] = field(default_factory=list)  # (lock, sats, tag)
    known: list[str] = field(default_factory=list)  # first deposit addresses, for intel/

    def deposit_lock(self, world: World, customer: int) -> Lock:
        """The customer's deposit address: usually the same one again (exchanges reuse them)."""
        lock = self.customer_locks.get(customer)
        if lock is None or world.rng.random() < 0.25:
            lock = world.ledger.new_lock(self.deposits, "deposit")
            self.customer_locks.pop(customer, None)
            self.customer_locks[customer] = lock
            if len(self.customer_locks) > MAX_CUSTOMER_LOCKS:  # dormant customers: forget
                del self.customer_locks[next(iter(self.customer_locks))]
            if len(self.known) < 400 and lock.address:
                self.known.append(lock.address)
        return lock

    def sweep(self, world: World, max_inputs: int = 120, max_txs: int = 20) -> None:
        """Sweep deposit coins into the hot address, ``max_inputs`` per transaction."""
        for _ in range(max_txs):
            coins = self.deposits.coins[:max_inputs]
            if not coins:
                return
            del self.deposits.coins[: len(coins)]
            try:
                built = world.ledger.sweep(self.deposits, coins, self.hot_lock, "exchange_sweep")
            except InsufficientFunds:
                return
            world.truth.row("consolidations", built.txid, self.entity.id, len(coins))

    def withdraw(self, world: World, limit: int = 80) -> None:
        """Pay queued withdrawals in one batch; change returns to the reused hot address."""
        if not self.pending:
            return
        batch, self.pending = self.pending[:limit], self.pending[limit:]
        self.hot.recent = [self.hot_lock]
        outs = [(lock, sats) for lock, sats, _ in batch]
        try:
            built = world.ledger.pay(
                self.hot, outs, "exchange_withdrawal", rate=world.ledger.fee_rate(True)
            )
        except InsufficientFunds:
            self.pending = batch + self.pending
            return
        for i, (_, sats, tag) in enumerate(batch):
            if tag is not None:
                vout = i + (1 if 0 <= built.change_vout <= i else 0)
                tag(built, vout, sats)


class Economy:
    """Creates the legitimate population and runs its background activity."""

    def __init__(self, world: World) -> None:
        self.world = world
        w, plan = world, world.plan
        self.miner_entity = w.entity("miner:pool", "miner", "Mining pool")
        self.miner = w.wallet(self.miner_entity, {"p2wpkh": 0.8, "p2pk": 0.2})
        self.exchanges = [self._exchange(c) for c in "ABC"]
        self.users = [self._user(i) for i in range(plan.users)]
        self.merchants = [self._merchant(i) for i in range(plan.merchants)]
        broker = w.entity("broker:msb", "broker", "Unlicensed exchanger (MSB)")
        self.broker = w.wallet(broker, {"p2pkh": 0.5, "p2sh-p2wpkh": 0.5}, reuse=0.6, style=0)
        n_cust = plan.broker_customers
        self.broker_customers = self.users[:n_cust]
        self.broker_account = self.exchanges[0]  # "Virtual Currency Exchange A"
        self.broker_funds: dict[str, int] = {}  # campaign -> sats the broker holds for it

    def _exchange(self, letter: str) -> Exchange:
        w = self.world
        e = w.entity(f"exchange:{letter}", "exchange", f"Exchange {letter}")
        hot = w.wallet(e, {"p2wpkh": 0.7, "p2sh-p2wpkh": 0.3}, reuse=0.0)
        dep = w.wallet(e, SERVICE_MIX)
        hot_lock = w.ledger.new_lock(hot, "hot")
        hot.change_kind = hot_lock.kind
        return Exchange(e, hot, dep, hot_lock)

    def _user(self, i: int) -> Wallet:
        w = self.world
        e = w.entity(f"user:{i}", "user", f"User {i}")
        reuse = 0.3 if w.rng.random() < 0.2 else 0.02
        wallet = w.wallet(e, user_mix(w), reuse=reuse, style=0 if w.rng.random() < 0.2 else 1)
        if w.rng.random() < 0.15:
            wallet.change_kind = w.rng.choice(USER_KINDS[:3])  # change of another type
        return wallet

    def _merchant(self, i: int) -> Wallet:
        w = self.world
        e = w.entity(f"merchant:{i}", "merchant", f"Merchant {i}")
        return w.wallet(e, SERVICE_MIX)

    # --- amounts -----------------------------------------------------------------------------
    def payment_amount(self, wallet: Wallet) -> int:
        """Round USD or BTC amounts about half the time, otherwise arbitrary."""
        rng = self.world.rng
        r = rng.random()
        if r < 0.25:
            return self.world.usd_to_sats(rng.choice((10, 20, 25, 50, 100, 200, 250, 500)))
        if r < 0.45:
            return rng.choice((1, 2, 5)) * 10 ** rng.randint(5, 7)  # 0.001 .. 0.5 BTC
        return int(rng.lognormvariate(14.5, 1.3))  # ~2M sats median

    # --- bootstrap -----------------------------------------------------------------------
    def fund_exchanges(self) -> None:
        """The miner sells mature coinbases to the exchanges (their hot wallets)."""
        w = self.world
        mature = [c for c in self.miner.coins if c.mature <= w.height]
        if len(mature) < 2:
            return
        ex = w.rng.choice(self.exchanges)
        lock = ex.deposit_lock(w, -1)
        value = sum(c.value for c in mature) // 2
        try:
            w.ledger.pay(self.miner, [(lock, value)], "miner_sale")
        except InsufficientFunds:
            return

    def request_withdrawal(self, user: Wallet, ex: Exchange | None = None) -> None:
        rng = self.world.rng
        ex = ex or rng.choice(self.exchanges)
        if len(ex.pending) >= 400:  # the exchange is backlogged: the user waits
            return
        amount = rng.choice((1, 2, 5)) * 10 ** rng.randint(6, 7) + rng.randrange(0, 100_000)
        ex.pending.append((self.world.ledger.receive_lock(user), amount, None))

    # --- background activity -------------------------------------------------------------
    def step(self) -> None:
        """One background action, chosen by weight (most blocks are mostly these)."""
        rng = self.world.rng
        r = rng.random()
        if r < 0.50:
            self.user_payment()
        elif r < 0.66:
            self.user_deposit()
        elif r < 0.72:
            self.user_self_send()
        elif r < 0.80:
            self.merchant_cashout()
        elif r < 0.92:
            self.broker_customer()
        else:
            ex = rng.choice(self.exchanges)
            ex.withdraw(self.world)

    def user_payment(self) -> None:
        w, rng = self.world, self.world.rng
        payer = rng.choice(self.users)
        amount = self.payment_amount(payer)
        if payer.balance < amount * 1.1:
            self.request_withdrawal(payer)
            return
        if rng.random() < 0.5:
            payee = rng.choice(self.merchants)
            lock = w.ledger.new_lock(payee, "invoice")
        else:
            lock = w.ledger.receive_lock(rng.choice(self.users))
        try:
            w.ledger.pay(payer, [(lock, amount)], "payment")
        except InsufficientFunds:
            self.request_withdrawal(payer)

    def user_deposit(self) -> None:
        w, rng = self.world, self.world.rng
        user = rng.choice(self.users)
        if user.balance < 2 * 10**6:
            self.request_withdrawal(user)
            return
        ex = rng.choice(self.exchanges)
        amount = int(user.balance * rng.uniform(0.2, 0.7))
        try:
            w.ledger.pay(user, [(ex.deposit_lock(w, user.id), amount)], "exchange_deposit")
        except InsufficientFunds:
            pass

    def user_self_send(self) -> None:
        """Consolidate a user's many coins, or move funds to a fresh own address."""
        w, rng = self.world, self.world.rng
        user = rng.choice(self.users)
        coins = [c for c in user.coins if c.mature <= w.height]
        if len(coins) >= 4:
            coins = coins[: rng.randint(4, min(20, len(coins)))]
            for c in coins:
                user.coins.remove(c)
            try:
                lock = w.ledger.new_lock(user, "consolidation")
                built = w.ledger.sweep(user, coins, lock, "self_consolidation")
            except InsufficientFunds:
                return
            w.truth.row("consolidations", built.txid, user.entity.id, len(coins))
        elif user.balance > 10**6:
            lock = w.ledger.new_lock(user, "self")
            try:
                w.ledger.pay(user, [(lock, user.balance // 3)], "self_send")
            except InsufficientFunds:
                pass

    def merchant_cashout(self) -> None:
        w, rng = self.world, self.world.rng
        m = rng.choice(self.merchants)
        coins = m.coins[:250]
        if len(coins) < 2:
            return
        del m.coins[: len(coins)]
        ex = self.exchanges[hash_index(m.id, len(self.exchanges))]
        try:
            w.ledger.sweep(m, coins, ex.deposit_lock(w, m.id), "merchant_cashout")
        except InsufficientFunds:
            return

    def broker_customer(self) -> None:
        """A legitimate broker customer sells coins to the broker (cash paid off-chain)."""
        w, rng = self.world, self.world.rng
        user = rng.choice(self.broker_customers)
        amount = int(user.balance * rng.uniform(0.3, 0.9))
        if amount < 10**6:
            self.request_withdrawal(user)
            return
        try:
            w.ledger.pay(user, [(w.ledger.receive_lock(self.broker, "intake"), amount)], "otc_sale")
        except InsufficientFunds:
            pass

    def broker_deposit(self, max_inputs: int = 250) -> None:
        """The broker pools what it holds into its exchange account (deposit transactions).

        ``broker_funds`` maps a campaign to the satoshis the broker holds for it; the broker
        forwards them first, so exactly that many of the deposited satoshis are the campaign's.
        """
        w = self.world
        ex = self.broker_account
        while len(self.broker.coins) >= 2:
            coins = self.broker.coins[:max_inputs]
            del self.broker.coins[: len(coins)]
            lock = ex.deposit_lock(w, self.broker.id)
            try:
                built = w.ledger.sweep(self.broker, coins, lock, "broker_deposit")
            except InsufficientFunds:
                return
            self._allocate(built, sum(c.value for c in coins) - built.fee, ex)
            w.truth.row("consolidations", built.txid, "broker:msb", len(coins))

    def _allocate(self, built: Built, value: int, ex: Exchange) -> None:
        w, funds = self.world, self.broker_funds
        for campaign, sats in sorted(funds.items()):
            moved = min(sats, value)
            if moved > 0:
                w.truth.row(
                    "cashouts", built.txid, campaign, "broker:msb", ex.entity.id, "exchange", moved
                )
                w.truth.fund(campaign, ex.entity, moved)
                funds[campaign] = sats - moved
                value -= moved


def hash_index(n: int, size: int) -> int:
    """A stable small index from an integer id (never Python's salted ``hash``)."""
    return (n * 2654435761) % (2**32) % size
