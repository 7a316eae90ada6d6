"""Market data for valuing on-chain amounts: daily BTC/USD rates (``market.prices``)."""
