"""Byte-exact Bitcoin formats. Imports nothing else of ledgerhound except ``errors``.

Modules are named after the standard they implement: ``compact`` (CompactSize), ``base58``
(Base58Check), ``bech32`` (BIP173/BIP350), ``script`` (output classification as Bitcoin Core names
it), ``address`` (script <-> address per network), ``tx`` and ``block`` (serialization, txid/wtxid).
"""
