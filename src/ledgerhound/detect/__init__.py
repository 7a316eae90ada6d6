"""Typology detection: name terror-finance patterns on chain, with the evidence (issue 6)."""
