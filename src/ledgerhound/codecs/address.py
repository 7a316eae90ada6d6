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
        raise InvalidAddressError(
            f"unknown network {name!r} (known: {known})", reason="network"
        ) from None


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


MAX_ADDRESS_LENGTH = 90  # BIP173's limit; Base58 addresses are at most 35 characters
_HRPS = {n.hrp for n in NETWORKS.values()}


def address_to_script(address: str, network: Network = MAINNET) -> bytes:
    """The output script an address pays to; raises :class:`InvalidAddressError` naming the fault.

    ``details["reason"]`` is one of: length, character, mixed-case, separator, hrp, checksum,
    version, program, network (see ``docs/methods/addresses.md``).
    """
    if not address:
        raise InvalidAddressError("empty address", reason="length")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidAddressError(
            f"address too long ({len(address)} > {MAX_ADDRESS_LENGTH} characters)", reason="length"
        )
    sep = address.rfind("1")
    hrp = address[:sep].lower() if sep > 0 else None
    if hrp in _HRPS:
        version, program = bech32.decode_segwit(hrp, address)  # format faults come first
        if hrp != network.hrp:
            raise InvalidAddressError(
                f"{_networks_named(hrp=hrp)} address (hrp {hrp!r}) used on {network.name}",
                reason="network",
            )
        return bytes([0 if version == 0 else 0x50 + version, len(program)]) + program
    if hrp is not None and _is_bech32(address):
        raise InvalidAddressError(
            f"unknown bech32 human-readable part {hrp!r} (expected {network.hrp!r})", reason="hrp"
        )
    return _base58_script(address, network)


def _is_bech32(address: str) -> bool:
    try:
        bech32.bech32_decode(address)
    except InvalidAddressError:
        return False
    return True


def _networks_named(hrp: str | None = None, version: int | None = None) -> str:
    names = [n.name for n in NETWORKS.values() if n.hrp == hrp or version in (n.p2pkh, n.p2sh)]
    return "/".join(names)


def _base58_script(address: str, network: Network) -> bytes:
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
    if others := _networks_named(version=version):
        raise InvalidAddressError(
            f"{others} address (version byte 0x{version:02x}) used on {network.name}",
            reason="network",
        )
    raise InvalidAddressError(
        f"unknown Base58 address version byte 0x{version:02x}", reason="version"
    )


def is_valid_address(address: str, network: Network = MAINNET) -> bool:
    try:
        address_to_script(address, network)
    except InvalidAddressError:
        return False
    return True
