"""Entities: co-spend clustering, CoinJoin detection and change annotations."""
