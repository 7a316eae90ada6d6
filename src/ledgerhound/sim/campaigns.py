"""The terror-finance typologies of the August 2020 DOJ action, as on-chain behaviour.

- :class:`Qassam` (al-Qassam Brigades, 2019): phase 1 publishes two static addresses (one hosted
  at an exchange); phase 2 mints a fresh address per donor and consolidates them; the proceeds
  are cashed out through the unlicensed broker into its exchange account.
- :class:`CharityHub` (al-Qaeda "charities" + BitcoinTransfer, 2019-20): Telegram channels
  publish static addresses (one an exchange deposit address shared by two channels); funds are
  layered through fresh addresses into a sanctioned hub, which redistributes to several groups.
- :class:`Storefront` (ISIS FaceMaskCenter, 2020): customers pay per-order addresses of a scam
  shop; the shop sweeps to a facilitator who cashes out at an exchange.

Donation sizes follow the ITMC "Jahezona" figures (median $164, most $100-250, 14% $500-1,000,
largest just under $2,500): see :func:`donation_usd`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ledgerhound.sim.economy import Economy, Exchange
from ledgerhound.sim.keys import Lock
from ledgerhound.sim.wallets import Built, Coin, Entity, InsufficientFunds, Wallet
from ledgerhound.sim.world import World


def donation_usd(world: World) -> float:
    """A donation in USD from a mixture fitted to the published ITMC distribution."""
    rng = world.rng
    r = rng.random()
    if r < 0.62:
        return min(250.0, max(100.0, rng.lognormvariate(5.1, 0.25)))  # median ~$164
    if r < 0.76:
        return rng.uniform(500, 1000)
    if r < 0.985:
        return rng.uniform(20, 500) if rng.random() < 0.3 else rng.uniform(20, 160)
    return rng.uniform(1000, 2490)


@dataclass
class Donation:
    campaign: str
    address: str
    usd: float
    channel: str
    donor: Entity
    service: Entity | None = None  # set when the receiving address is exchange-hosted
    owner: Campaign | None = None  # credited with the exchange balance when service is set


@dataclass
class Campaign:
    """Common donor logic: who donates, from which wallet, and the truth rows it writes."""

    world: World
    eco: Economy
    id: str
    entity: Entity
    wallet: Wallet
    donations: int  # planned total
    pending_cashout: dict[str, int] = field(default_factory=dict)

    def donate(self, lock: Lock, channel: str, service: Entity | None = None) -> None:
        """One donation to ``lock``: from a user's own wallet, or withdrawn from an exchange."""
        w, rng = self.world, self.world.rng
        usd = donation_usd(w)
        sats = w.usd_to_sats(usd)
        if rng.random() < 0.35:  # donor buys at an exchange and withdraws straight to the address
            ex: Exchange = rng.choice(self.eco.exchanges)
            rec = Donation(self.id, lock.address or "", usd, channel, ex.entity, service, self)
            ex.pending.append(
                (lock, sats, lambda b, v, s, rec=rec: record_donation(w, rec, b, v, s))
            )
            return
        donor = rng.choice(self.eco.users)
        if donor.balance < sats * 1.2:
            self.eco.request_withdrawal(donor)
            return
        try:
            built = w.ledger.pay(donor, [(lock, sats)], "donation")
        except InsufficientFunds:
            return
        vout = built.created.index(_find(built, lock))
        d = Donation(self.id, lock.address or "", usd, channel, donor.entity, service, self)
        record_donation(w, d, built, vout, sats)

    def rate(self, start: float, end: float, share: float) -> int:
        """How many donations this block gets so that ``share`` of them fall in the window."""
        w = self.world
        per_block = self.donations * share / max(1.0, (end - start) * w.plan.blocks)
        whole = int(per_block)
        return whole + (1 if w.rng.random() < per_block - whole else 0)


def _find(built: Built, lock: Lock) -> Coin | None:
    for c in built.created:
        if c is not None and c.lock is lock:
            return c
    return None


def record_donation(world: World, d: Donation, built: Built, vout: int, sats: int) -> None:
    world.truth.row(
        "donations",
        d.campaign,
        built.txid,
        vout,
        d.address,
        sats,
        f"{d.usd:.2f}",
        d.donor.id,
        d.donor.kind,
        d.channel,
    )
    if d.service is not None:
        world.truth.row(
            "cashouts", built.txid, d.campaign, d.donor.id, d.service.id, d.service.kind, sats
        )
        world.truth.fund(d.campaign, d.service, sats)
        if d.owner is not None:
            d.owner.pending_cashout["balance"] = d.owner.pending_cashout.get("balance", 0) + sats


SELL_EVERY = 3  # consolidations between two sales to the broker (the wallet accumulates)


class Qassam(Campaign):
    """Al-Qassam Brigades 2019: static addresses, then per-donor addresses and consolidation."""

    P1 = (0.03, 0.15)
    P2 = (0.15, 0.40)

    def __init__(self, world: World, eco: Economy) -> None:
        e = world.entity("campaign:alqassam", "terror_campaign", "Al-Qassam Brigades campaign")
        wallet = world.wallet(e, {"p2pkh": 0.5, "p2sh-p2wpkh": 0.5})
        n = max(30, min(3000, world.plan.budget // 60))
        super().__init__(world, eco, "alqassam-2019", e, wallet, n)
        hosted = eco.exchanges[2]
        self.hosted = hosted
        self.static = [
            hosted.deposit_lock(world, wallet.id),
            world.ledger.new_lock(wallet, "static"),
        ]
        hosted.customer_locks[wallet.id] = self.static[0]
        self.published: list[tuple[str, str, int]] = []  # (address, phase, height)
        self.rounds = 0
        for lock in self.static:
            self.published.append((lock.address or "", "static", world.height))

    def on_block(self) -> None:
        w = self.world
        if w.in_window(*self.P1):
            for _ in range(self.rate(*self.P1, 0.4)):
                i = w.rng.randrange(2)
                self.donate(self.static[i], "website", self.hosted.entity if i == 0 else None)
        if w.in_window(*self.P2):
            for _ in range(self.rate(*self.P2, 0.6)):
                lock = w.ledger.new_lock(self.wallet, "per_donor")
                if len(self.published) < 200:
                    self.published.append((lock.address or "", "per_donor", w.height))
                self.donate(lock, "website")
        if w.in_window(self.P1[0], 0.5) and w.height % 5 == 0:
            self.consolidate_and_cash_out()

    def consolidate_and_cash_out(self) -> None:
        """Co-spend the per-donor coins with what the wallet kept; every third time sell a round
        90 % of the sweep to the broker (the MSB), the change staying in the wallet."""
        w = self.world
        coins = list(self.wallet.coins)
        if len(coins) < 3:
            return
        self.wallet.coins.clear()
        try:
            lock = w.ledger.new_lock(self.wallet, "consolidation", "p2wpkh")
            built = w.ledger.sweep(self.wallet, coins, lock, "campaign_consolidation")
        except InsufficientFunds:
            return
        w.truth.row("consolidations", built.txid, self.entity.id, len(coins))
        self.rounds += 1
        if self.rounds % SELL_EVERY:
            return  # keep accumulating: the next consolidation co-spends this coin too
        coin = w.ledger.detach(built, 0)
        broker = self.eco.broker
        intake = w.ledger.receive_lock(broker, "intake")
        sats = coin.value * 9 // 10 // 100_000 * 100_000  # a round sale; change stays home
        try:
            paid = w.ledger.pay(self.wallet, [(intake, sats)], "campaign_cashout", coins=[coin])
        except InsufficientFunds:
            return
        w.truth.row(
            "cashouts", paid.txid, self.id, self.entity.id, broker.entity.id, "broker", sats
        )
        w.truth.fund(self.id, broker.entity, sats)
        funds = self.eco.broker_funds
        funds[self.id] = funds.get(self.id, 0) + sats


class CharityHub:
    """Telegram 'charities' -> layered hops -> sanctioned hub -> redistribution to groups."""

    WINDOW = (0.30, 0.90)

    def __init__(self, world: World, eco: Economy) -> None:
        self.world, self.eco = world, eco
        hub = world.entity("hub:transfer", "hub", "Idlib transfer office (hub)", sanctioned=True)
        self.hub = world.wallet(hub, {"p2pkh": 0.4, "p2wpkh": 0.6}, reuse=0.8)
        self.central = [world.ledger.new_lock(self.hub, "central") for _ in range(4)]
        self.hub.recent = list(self.central)
        self.groups = []
        for i in range(4):
            g = world.entity(f"group:{i}", "terror_group", f"Armed group {i}")
            self.groups.append(world.wallet(g, {"p2wpkh": 0.5, "p2pkh": 0.5}))
        n = max(30, min(3000, world.plan.budget // 60))
        self.exchange: Exchange = eco.exchanges[1]
        self.channels: list[Campaign] = []
        names = ("Sham Relief Fund", "Orphans of Idlib Aid", "Steadfastness Charity")
        shared: Lock | None = None
        for i, name in enumerate(names):
            e = world.entity(f"campaign:charity{i}", "terror_campaign", name)
            wallet = world.wallet(e, {"p2wpkh": 0.7, "p2pkh": 0.3})
            c = Campaign(world, eco, f"charity{i}-2019", e, wallet, n // 3)
            if i < 2:  # one exchange deposit address published by two channels ("...bu1s")
                shared = shared or self.exchange.deposit_lock(world, wallet.id)
                self.exchange.customer_locks[wallet.id] = shared
                c.static = shared  # type: ignore[attr-defined]
            else:
                c.static = world.ledger.new_lock(wallet, "static")  # type: ignore[attr-defined]
            self.channels.append(c)
        self.hub_funds: dict[str, int] = {}

    def on_block(self) -> None:
        w = self.world
        if not w.in_window(*self.WINDOW):
            return
        for i, c in enumerate(self.channels):
            service = self.exchange.entity if i < 2 else None
            for _ in range(c.rate(*self.WINDOW, 1.0)):
                c.donate(c.static, "telegram", service)  # type: ignore[attr-defined]
        if w.height % 6 == 0:
            self.layer_to_hub(self.channels[2])
        if w.height % 9 == 0:
            self.withdraw_to_hub()
        if w.height % 8 == 4:
            self.redistribute()

    def layer_to_hub(self, c: Campaign) -> None:
        """Two hops through fresh addresses of the channel's wallet, then into a hub address."""
        w = self.world
        coins = list(c.wallet.coins)
        if len(coins) < 2:
            return
        c.wallet.coins.clear()
        try:
            hop = w.ledger.sweep(c.wallet, coins, w.ledger.new_lock(c.wallet, "layer"), "layering")
            for _ in range(w.rng.randint(1, 2)):
                coin = w.ledger.detach(hop, 0)
                lock = w.ledger.new_lock(c.wallet, "layer")
                hop = w.ledger.sweep(c.wallet, [coin], lock, "layering")
            coin = w.ledger.detach(hop, 0)
            last = w.ledger.sweep(c.wallet, [coin], w.rng.choice(self.central), "hub_inflow")
        except InsufficientFunds:
            return
        sats = last.created[0].value if last.created[0] else 0
        w.truth.fund(c.id, self.hub.entity, sats)
        w.truth.row("cashouts", last.txid, c.id, c.entity.id, self.hub.entity.id, "hub", sats)

    def withdraw_to_hub(self) -> None:
        """Channel admins withdraw their exchange balance straight to the hub."""
        w = self.world
        for c in self.channels[:2]:
            owed = c.pending_cashout.get("balance", 0)
            if owed < 100_000:
                continue
            tag = self._hub_tag(c)
            self.exchange.pending.insert(0, (w.rng.choice(self.central), owed, tag))
            c.pending_cashout["balance"] = 0

    def _hub_tag(self, c: Campaign) -> Callable[[Built, int, int], None]:
        w, hub = self.world, self.hub.entity

        def paid(built: Built, vout: int, sats: int) -> None:
            w.truth.fund(c.id, hub, sats)
            w.truth.row("cashouts", built.txid, c.id, self.exchange.entity.id, hub.id, "hub", sats)

        return paid

    def redistribute(self) -> None:
        """Fan out most of the hub's coins to the groups; change stays on a central address."""
        w = self.world
        bal = self.hub.balance
        if bal < 2_000_000:
            return
        share = int(bal * 0.7) // len(self.groups)
        outs = [(w.ledger.receive_lock(g, "group"), share) for g in self.groups]
        try:
            w.ledger.pay(self.hub, outs, "hub_redistribution")
        except InsufficientFunds:
            return


class Storefront:
    """FaceMaskCenter 2020: per-order addresses of a scam shop, swept to a facilitator."""

    WINDOW = (0.70, 0.82)

    def __init__(self, world: World, eco: Economy) -> None:
        self.world, self.eco = world, eco
        shop = world.entity("scam:facemask", "scam_storefront", "FaceMaskCenter (scam shop)")
        self.shop = world.wallet(shop, {"p2pkh": 0.2, "p2sh-p2wpkh": 0.8})
        fac = world.entity("group:facilitator", "terror_group", "ISIS facilitator")
        self.facilitator = world.wallet(fac, {"p2pkh": 1.0})
        n = max(20, min(2000, world.plan.budget // 150))
        self.campaign = Campaign(world, eco, "facemask-2020", shop, self.shop, n)
        self.example: str | None = None  # an order address shown on the shop page

    def on_block(self) -> None:
        w = self.world
        if w.in_window(*self.WINDOW):
            for _ in range(self.campaign.rate(*self.WINDOW, 1.0)):
                self.order()
        if w.in_window(self.WINDOW[0], self.WINDOW[1] + 0.05) and w.height % 4 == 0:
            self.sweep()

    def order(self) -> None:
        w, rng = self.world, self.world.rng
        lock = w.ledger.new_lock(self.shop, "invoice")
        if self.example is None:
            self.example = lock.address
        customer = rng.choice(self.eco.users)
        usd = round(rng.choice((2.49, 2.99, 3.49)) * rng.choice((50, 100, 200, 500)), 2)
        sats = w.usd_to_sats(usd)
        if customer.balance < sats * 1.2:
            self.eco.request_withdrawal(customer)
            return
        try:
            built = w.ledger.pay(customer, [(lock, sats)], "scam_payment")
        except InsufficientFunds:
            return
        vout = built.created.index(_find(built, lock))
        d = Donation(self.campaign.id, lock.address or "", usd, "storefront", customer.entity)
        record_donation(w, d, built, vout, sats)

    def sweep(self) -> None:
        w = self.world
        coins = list(self.shop.coins)
        if len(coins) < 2:
            return
        self.shop.coins.clear()
        try:
            built = w.ledger.sweep(
                self.shop, coins, w.ledger.new_lock(self.facilitator, "sweep"), "scam_sweep"
            )
            w.truth.row("consolidations", built.txid, self.shop.entity.id, len(coins))
            coin = w.ledger.detach(built, 0)
            ex = self.eco.exchanges[0]
            lock = ex.deposit_lock(w, self.facilitator.id)
            paid = w.ledger.sweep(self.facilitator, [coin], lock, "campaign_cashout")
        except InsufficientFunds:
            return
        sats = paid.created[0].value if paid.created[0] else 0
        w.truth.row(
            "cashouts",
            paid.txid,
            self.campaign.id,
            self.facilitator.entity.id,
            ex.entity.id,
            "exchange",
            sats,
        )
        w.truth.fund(self.campaign.id, ex.entity, sats)
