"""The simulated case fixture is shared with tests/report."""

from tests.report.conftest import sim_case  # noqa: F401
