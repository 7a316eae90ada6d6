"""ledgerhound: investigate terrorist financing and money laundering on public blockchains.

Data flows one way: codecs -> sources -> store -> cluster/attribution -> trace/risk/detect/osint
-> cases/report -> cli/api/web. Each layer imports only the layers before it.
"""

__version__ = "0.1.0"
