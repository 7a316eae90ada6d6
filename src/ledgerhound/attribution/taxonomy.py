"""GraphSense confidence levels and concept taxonomy (tagpack/db/confidence.csv, concepts.yaml)."""

from __future__ import annotations

CONFIDENCE_LEVELS: dict[str, int] = {
    "override": 100,
    "ownership": 100,
    "ledger_immanent": 100,
    "manual_transaction": 90,
    "service_api": 70,
    "forensic_investigation": 70,
    "authority_data": 60,
    "trusted_provider": 50,
    "service_data": 50,
    "forensic": 50,
    "untrusted_transaction": 40,
    "web_crawl": 20,
    "heuristic": 10,
    "unknown": 5,
}

# child -> parent, from the Iknaio concept taxonomy v0.1.0 (INTERPOL DW-VA derived).
_TREE = """
concept:
unknown:concept
behaviour:concept
abuse:behaviour
sexual_abuse:abuse
child_sexual_abuse:sexual_abuse
violence:abuse
murder:violence
torture:violence
human_trafficking:abuse
scam:abuse
financial_crime:abuse
investment_fraud:financial_crime
ponzi_scheme:investment_fraud
pyramid_scheme:ponzi_scheme
money_laundering:financial_crime
payment_card_fraud:financial_crime
extortion:abuse
sextortion:extortion
ransomware:extortion
phishing:abuse
hacking:abuse
service_hack:hacking
account_hack:hacking
exploit:hacking
data_breach:hacking
social_engineering:hacking
malware:hacking
drugs:abuse
weapons:abuse
sanction:abuse
counterfeit:abuse
extremism:abuse
terrorism:extremism
terrorism_financing:extremism
black_list:abuse
gov_black_list:black_list
gray_usage:behaviour
mixing:gray_usage
coinjoin:mixing
white_usage:behaviour
cold_wallet:white_usage
hot_wallet:white_usage
warm_wallet:white_usage
deposit_wallet:white_usage
white_list:white_usage
gov_white_list:white_list
deployer:behaviour
funder:behaviour
source:concept
mention:source
website_mention:mention
forum_mention:website_mention
dark_web:source
entity:concept
organization:entity
user:entity
victim:user
perpetrator:user
donation:user
miner:user
service:entity
exchange:service
wallet_service:service
escrow_wallet:wallet_service
ico_wallet:wallet_service
filesharing:service
index:service
market:service
messaging_service:service
mixing_service:service
mining_service:service
gambling:service
search_engine:service
shop:service
faucet:service
payment_processor:service
atm:service
hosting:service
vpn:service
nameservice:service
defi:service
defi_token:defi
defi_lending:defi
defi_dex:defi
defi_dex_pair:defi_dex
defi_derivatives:defi
defi_bridge:defi
defi_dao:defi
defi_staking:defi
defi_custody:defi
item:concept
collectible:item
"""

PARENT: dict[str, str | None] = {
    child: (parent or None) for child, parent in (line.split(":") for line in _TREE.split() if line)
}
CONCEPTS = frozenset(PARENT)


def ancestors(concept: str) -> list[str]:
    """``concept`` and its broader concepts up to the root, narrowest first."""
    chain = []
    node: str | None = concept
    while node is not None and node in PARENT:
        chain.append(node)
        node = PARENT[node]
    return chain


def is_a(concept: str, broader: str) -> bool:
    return broader in ancestors(concept)


# Categories whose flows lose identity: tracing stops there by default.
SERVICE_CONCEPTS = frozenset(c for c in CONCEPTS if is_a(c, "service"))
