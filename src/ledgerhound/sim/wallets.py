"""Wallets, coins and the transaction builder that keeps value exactly conserved.

A :class:`Wallet` belongs to one :class:`Entity` and holds its unspent coins in FIFO order. The
:class:`Ledger` turns "pay these outputs from this wallet" into a serialized transaction: it
selects coins, computes the exact weight from the scripts it is about to write, charges
``fee = feerate * vsize``, sends the remainder to a change lock and registers every new output
with the wallet that owns it. Only the Ledger creates transactions, so every satoshi is
accounted for: ``sum(inputs) == sum(outputs) + fee`` for every non-coinbase transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledgerhound.codecs import compact
from ledgerhound.codecs.hashes import hash256
from ledgerhound.codecs.tx import Tx, TxIn, TxOut
from ledgerhound.sim.keys import KeyFactory, Lock, spend_data

DUST = 546
RECENT = 4  # receive addresses a wallet may hand out again
MANY_COINS = 10  # above this, coin selection adds EXTRA_INPUTS more coins (bounds the UTXO set)
EXTRA_INPUTS = 3
COIN = 100_000_000


@dataclass(slots=True)
class Entity:
    """Who controls wallets: an exchange, a user, a campaign... ``kind`` is the truth label."""

    id: str
    kind: str
    name: str
    sanctioned: bool = False


@dataclass(slots=True)
class Coin:
    txid: bytes  # internal byte order
    vout: int
    value: int
    lock: Lock
    mature: int = 0  # first height at which it may be spent (coinbase maturity)


@dataclass(slots=True)
class Wallet:
    """Keys and coins of one wallet. ``mix`` weights the lock kinds it hands out."""

    id: int
    entity: Entity
    mix: tuple[tuple[str, ...], tuple[float, ...]]
    reuse: float = 0.0  # probability of handing out an earlier receive address again
    style: int = 1  # wallet software: 0 legacy (v1, no locktime), 1 Core-like, 2 Electrum-like
    change_kind: str | None = None  # None: change uses the wallet's own mix
    coins: list[Coin] = field(default_factory=list)
    recent: list[Lock] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return sum(c.value for c in self.coins)


@dataclass(slots=True)
class Built:
    """A transaction the ledger wrote: its txid and the coins it created (None: not ours)."""

    txid: str
    txid_le: bytes
    created: list[Coin | None]
    fee: int
    change_vout: int = -1


class InsufficientFunds(Exception):
    """A wallet cannot pay; behaviours skip the action (never reaches the user)."""


def _var_len(n: int) -> int:
    return len(compact.encode(n))


def weight(spends: Sequence[tuple[bytes, tuple[bytes, ...]]], scripts: Sequence[bytes]) -> int:
    """Exact BIP141 weight of a transaction with these (scriptSig, witness) and output scripts."""
    base = 4 + _var_len(len(spends)) + _var_len(len(scripts)) + 4
    wit = 0
    for ss, w in spends:
        base += 40 + _var_len(len(ss)) + len(ss)
        wit += _var_len(len(w)) + sum(_var_len(len(i)) + len(i) for i in w)
    for s in scripts:
        base += 8 + _var_len(len(s)) + len(s)
    if any(w for _, w in spends):
        return base * 4 + 2 + wit
    return base * 4


INPUT_VBYTES = {
    "p2pkh": 148,
    "p2sh-p2wpkh": 91,
    "p2wpkh": 68,
    "p2tr": 58,
    "p2wsh": 105,
    "p2pk": 114,
    "multisig": 116,
}


class Ledger:
    """Builds transactions for wallets and hands them to the block assembler and truth log."""

    def __init__(self, keys: KeyFactory, rng: random.Random, sink, truth) -> None:
        self.keys = keys
        self.rng = rng
        self.sink = sink  # BlockAssembler: add(raw, txid_le, wtxid_le, fee)
        self.truth = truth
        self.wallets: list[Wallet] = []
        self.height = 1
        self.n_inputs = 0
        self.n_outputs = 0

    # --- wallets and locks -------------------------------------------------------------------
    def wallet(
        self, entity: Entity, mix: dict[str, float], reuse: float = 0.0, style: int = 1
    ) -> Wallet:
        kinds = tuple(sorted(mix))
        w = Wallet(len(self.wallets), entity, (kinds, tuple(mix[k] for k in kinds)), reuse, style)
        self.wallets.append(w)
        return w

    def new_lock(self, wallet: Wallet, role: str, kind: str | None = None) -> Lock:
        if kind is None:
            kind = self.rng.choices(wallet.mix[0], wallet.mix[1])[0]
        lock = self.keys.lock(kind, wallet.id)
        self.truth.address(lock, wallet, role)
        return lock

    def receive_lock(self, wallet: Wallet, role: str = "receive") -> Lock:
        """A receive address: a fresh one, or with probability ``wallet.reuse`` an old one."""
        if wallet.recent and self.rng.random() < wallet.reuse:
            return self.rng.choice(wallet.recent)
        lock = self.new_lock(wallet, role)
        wallet.recent.append(lock)
        if len(wallet.recent) > RECENT:
            del wallet.recent[0]
        return lock

    def change_lock(self, wallet: Wallet) -> Lock:
        if wallet.reuse and wallet.recent and self.rng.random() < wallet.reuse / 2:
            return self.rng.choice(wallet.recent)  # change back to a used address
        return self.new_lock(wallet, "change", wallet.change_kind)

    # --- building ----------------------------------------------------------------------------
    def fee_rate(self, low: bool = False) -> int:
        rate = self.rng.lognormvariate(1.6 if low else 2.2, 0.7)
        return max(1, min(200, int(rate)))

    def take(self, wallet: Wallet, target: int, rate: int, n_out: int) -> list[Coin]:
        """FIFO coin selection covering ``target`` plus the fee of the inputs taken."""
        total, taken = 0, 0
        need = target + rate * (11 + 34 * (n_out + 1))
        h = self.height
        for coin in wallet.coins:
            if coin.mature > h:
                continue
            taken += 1
            total += coin.value
            need += rate * INPUT_VBYTES[coin.lock.kind]
            if total >= need:
                break
        else:
            raise InsufficientFunds(wallet.entity.id)
        if len(wallet.coins) > MANY_COINS:  # wallets consolidate small coins at the margin
            taken = min(len(wallet.coins), taken + EXTRA_INPUTS)
        picked: list[Coin] = []
        keep: list[Coin] = []
        for coin in wallet.coins:
            if len(picked) < taken and coin.mature <= h:
                picked.append(coin)
            else:
                keep.append(coin)
        wallet.coins = keep
        return picked

    def pay(
        self,
        wallet: Wallet,
        outputs: list[tuple[Lock, int]],
        kind: str,
        *,
        coins: list[Coin] | None = None,
        rate: int | None = None,
        change: bool = True,
    ) -> Built:
        """Pay ``outputs`` from ``wallet`` with change back to it; the fee is exact."""
        rate = rate or self.fee_rate()
        target = sum(v for _, v in outputs)
        if coins is None:
            coins = self.take(wallet, target, rate, len(outputs))
        spends = [spend_data(c.lock, c.txid + c.vout.to_bytes(4, "little")) for c in coins]
        total = sum(c.value for c in coins)
        outs = list(outputs)
        change_vout = -1
        if change:
            lock = self.change_lock(wallet)
            change_vout = self.rng.randrange(len(outs) + 1)
            outs.insert(change_vout, (lock, 0))
        fee = rate * ((weight(spends, [lk.script for lk, _ in outs]) + 3) // 4)
        rest = total - target - fee
        if change and rest < DUST:
            del outs[change_vout]
            change_vout, fee, rest = -1, total - target, 0
        if rest < 0:
            wallet.coins.extend(coins)
            raise InsufficientFunds(wallet.entity.id)
        if change_vout >= 0:
            outs[change_vout] = (outs[change_vout][0], rest)
        else:
            fee = total - target
        built = self.write(coins, spends, outs, wallet.style)
        built.change_vout = change_vout
        self.truth.tx(built, kind, wallet.entity.id)
        return built

    def write(
        self,
        coins: Sequence[Coin],
        spends: Sequence[tuple[bytes, tuple[bytes, ...]]],
        outs: Sequence[tuple[Lock, int]],
        style: int = 1,
    ) -> Built:
        """Serialize, hand to the block, and register created coins with their wallets."""
        fee = sum(c.value for c in coins) - sum(v for _, v in outs)
        if fee < 0 or any(v < 0 for _, v in outs):
            raise AssertionError("value conservation violated")  # a simulator bug, not input
        seq, locktime, version = (
            (0xFFFFFFFF, 0, 1) if style == 0 else (0xFFFFFFFD, self.height - 1, 2)
        )
        tx = Tx(
            version,
            tuple(
                TxIn(c.txid, c.vout, ss, seq, w) for c, (ss, w) in zip(coins, spends, strict=True)
            ),
            tuple(TxOut(v, lk.script) for lk, v in outs),
            locktime,
        )
        stripped = tx.serialize(include_witness=False)
        raw = tx.serialize() if tx.has_witness else stripped
        txid_le = hash256(stripped)
        wtxid_le = hash256(raw) if raw is not stripped else txid_le
        self.sink.add(raw, txid_le, wtxid_le, fee)
        self.n_inputs += len(coins)
        self.n_outputs += len(outs)
        created: list[Coin | None] = []
        for vout, (lk, v) in enumerate(outs):
            if lk.wallet < 0:
                created.append(None)
                continue
            coin = Coin(txid_le, vout, v, lk)
            self.wallets[lk.wallet].coins.append(coin)
            created.append(coin)
        return Built(txid_le[::-1].hex(), txid_le, created, fee)

    def sweep(
        self, wallet: Wallet, coins: list[Coin], lock: Lock, kind: str, rate: int | None = None
    ) -> Built:
        """Spend all ``coins`` to one output at ``lock`` minus the exact fee (consolidation)."""
        rate = rate or self.fee_rate(low=True)
        spends = [spend_data(c.lock, c.txid + c.vout.to_bytes(4, "little")) for c in coins]
        fee = rate * ((weight(spends, [lock.script]) + 3) // 4)
        value = sum(c.value for c in coins) - fee
        if value < DUST:
            wallet.coins.extend(coins)
            raise InsufficientFunds(wallet.entity.id)
        built = self.write(coins, spends, [(lock, value)], wallet.style)
        self.truth.tx(built, kind, wallet.entity.id)
        return built

    def detach(self, built: Built, vout: int) -> Coin:
        """Remove output ``vout`` of ``built`` from its wallet's coins (to spend it explicitly)."""
        coin = built.created[vout]
        assert coin is not None
        self.wallets[coin.lock.wallet].coins.remove(coin)
        return coin
