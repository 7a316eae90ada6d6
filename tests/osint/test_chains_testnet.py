"""Bitcoin test-network addresses (testnet/signet/regtest) are recognised as their own chains."""

from __future__ import annotations

import pytest

from ledgerhound.osint import extract_text
from ledgerhound.osint.chains import classify


@pytest.mark.parametrize(
    ("address", "chain"),
    [
        # BIP173 / BIP350 valid vectors and Core's base58 testnet vectors
        ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "BTC-TESTNET"),
        ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "BTC-TESTNET"),
        ("bcrt1pfeesnyr2tx", "BTC-REGTEST"),
        ("mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVs", "BTC-TESTNET"),
        ("2N2JD6wb56AfK4tfmM6PwdVmoYk2dCKf4Br", "BTC-TESTNET"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BTC"),
    ],
)
def test_test_network_addresses(address, chain):
    verdict = classify(address)
    assert verdict is not None and verdict.valid and verdict.chain == chain


def test_a_broken_testnet_checksum_is_invalid_not_dropped():
    result = extract_text("send to mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVt please")
    assert not result["items"]
    assert [i["address"] for i in result["invalid"]] == ["mo9ncXisMeAoXwqcV5EWuyncbmCcQN4rVt"]
