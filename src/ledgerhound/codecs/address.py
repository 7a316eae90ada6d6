"""Addresses <-> output scripts for mainnet, testnet (3 and 4), signet and regtest.

Outputs with no address (bare multisig, OP_RETURN, nonstandard) get ``None``: ledgerhound never
invents an address string. P2PK outputs have no address in Core; :func:`script_to_address` can
return the P2PKH form of the key, flagged ``derived=True`` so it is always labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerhound.codecs import base58, bech32
from ledgerhound.codecs.hashes import hash160
from ledgerhound.codecs.script import classify, witness_program
from ledgerhound.errors import InvalidAddressError


@dataclass(frozen=True)
class Network:
    name: str
    magic: bytes
    p2pkh: int
    p2sh: int
    hrp: str


NETWORKS: dict[str, Network] = {
    n.name: n
    for n in (
        Network("mainnet", bytes.fromhex("f9beb4d9"), 0x00, 0x05, "bc"),
        Network("testnet", bytes.fromhex("0b110907"), 0x6F, 0xC4, "tb"),
        Network("testnet4", bytes.fromhex("1c163f28"), 0x6F, 0xC4, "tb"),
        Network("signet", bytes.fromhex("0a03cf40"), 0x6F, 0xC4, "tb"),
        Network("regtest", bytes.fromhex("fabfb5da"), 0x6F, 0xC4, "bcrt"),
    )
}
MAINNET = NETWORKS["mainnet"]


def get_network(name: str) -> Network:
    try:
        return NETWORKS[name]
    except KeyError:
        known = ", ".join(NETWORKS)
        raise InvalidAddressError(f"unknown network {name!r} (known: {known})") from None


@dataclass(frozen=True)
class ScriptAddress:
    address: str | None
    derived: bool  # True when the string is a convention (P2PK shown as P2PKH), not Core's


def script_to_address(
    script: bytes, network: Network = MAINNET, script_type: str | None = None
) -> ScriptAddress:
    """The address Core shows for ``script`` (``None`` if none); P2PK gives its derived P2PKH."""
    kind = script_type or classify(script)
    if kind == "pubkeyhash":
        return ScriptAddress(base58.b58check_encode(bytes([network.p2pkh]) + script[3:23]), False)
    if kind == "scripthash":
        return ScriptAddress(base58.b58check_encode(bytes([network.p2sh]) + script[2:22]), False)
    if kind.startswith("witness_") or kind == "anchor":
        wp = witness_program(script)
        if wp is None:  # pragma: no cover - classify guarantees a program
            return ScriptAddress(None, False)
        return ScriptAddress(bech32.encode_segwit(network.hrp, *wp), False)
    if kind == "pubkey":
        pubkey = script[1:-1]
        derived = base58.b58check_encode(bytes([network.p2pkh]) + hash160(pubkey))
        return ScriptAddress(derived, True)
    return ScriptAddress(None, False)


def address_to_script(address: str, network: Network = MAINNET) -> bytes:
    """The output script an address pays to; raises :class:`InvalidAddressError` naming the fault."""
    if not address:
        raise InvalidAddressError("empty address", reason="length")
    lowered = address.lower()
    if lowered.startswith(network.hrp + "1"):
        version, program = bech32.decode_segwit(network.hrp, address)
        op = 0 if version == 0 else 0x50 + version
        return bytes([op, len(program)]) + program
    if "1" in lowered and lowered.split("1", 1)[0] in {n.hrp for n in NETWORKS.values()}:
        hrp = lowered.rsplit("1", 1)[0]
        raise InvalidAddressError(
            f"address is for hrp {hrp!r} but the network is {network.name} ({network.hrp!r})",
            reason="network",
        )
    payload = base58.b58check_decode(address)
    if len(payload) != 21:
        raise InvalidAddressError(
            f"Base58 address payload is {len(payload)} bytes, expected 21", reason="length"
        )
    version, body = payload[0], payload[1:]
    if version == network.p2pkh:
        return bytes([0x76, 0xA9, 20]) + body + bytes([0x88, 0xAC])
    if version == network.p2sh:
        return bytes([0xA9, 20]) + body + bytes([0x87])
    raise InvalidAddressError(
        f"address version byte 0x{version:02x} is not a {network.name} address", reason="network"
    )


def is_valid_address(address: str, network: Network = MAINNET) -> bool:
    try:
        address_to_script(address, network)
    except InvalidAddressError:
        return False
    return True
