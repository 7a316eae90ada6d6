"""``--link``: what the chain store knows about each extracted address.

The store holds Bitcoin only, so other chains are listed as ``present: null`` with a note
rather than silently dropped. Cluster, tags and exposure are reported when the store has them
and ``null``/``[]`` otherwise: absence of a field is never turned into a "clean" verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledgerhound.errors import InvalidAddressError, NotFoundError, StoreError
from ledgerhound.osint.report import canonical

_FIELDS = ("tx_count", "received", "sent", "balance")
BITCOIN_CHAINS = ("BTC", "BTC-TESTNET", "BTC-REGTEST")


def link(result: dict[str, Any], store_path: Path) -> list[dict[str, Any]]:
    """One entry per distinct valid address, sorted by (chain, address)."""
    try:
        from ledgerhound.store import Store
    except ImportError:
        raise StoreError("--link needs the chain store (ledgerhound.store.Store)") from None
    store = Store(store_path)
    unique = sorted({(i["chain"], canonical(i["address"], i["chain"])) for i in result["items"]})
    return [_one(store, chain, address) for chain, address in unique]


def _one(store: Any, chain: str, address: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"address": address, "chain": chain}
    empty = dict.fromkeys(_FIELDS) | {"cluster": None, "tags": [], "exposure": None}
    if chain not in BITCOIN_CHAINS:
        return entry | {"present": None, "note": "the store holds Bitcoin only"} | empty
    from ledgerhound.attribution.tagstore import tags_for
    from ledgerhound.cluster.annotate import describe_address

    try:
        info = describe_address(store, store.address(address))
    except InvalidAddressError:
        note = "not an address of the store's network"
        return entry | {"present": False, "note": note} | empty
    except NotFoundError:
        tags = [t.to_dict() for t in tags_for(store.root, [address]).get(address, [])]
        return entry | {"present": False} | empty | {"tags": tags}
    found = {key: info.get(key) for key in _FIELDS}
    cluster = info.get("cluster", info.get("cluster_id"))
    return (
        entry
        | {"present": True}
        | found
        | {
            "cluster": cluster,
            "tags": info.get("tags") or [],
            "exposure": info.get("exposure"),
        }
        | ({"note": info["note"]} if info.get("note") else {})
    )
