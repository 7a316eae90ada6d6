"""Ground-truth simulator: terror-finance scenarios written as real Bitcoin Core block files.

Entry point: :func:`ledgerhound.sim.scenario.simulate`; evaluation: :mod:`ledgerhound.sim.evaluate`.
"""
