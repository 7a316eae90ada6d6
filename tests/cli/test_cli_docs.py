"""docs/cli.md documents every exit status and every store command."""

from pathlib import Path

from ledgerhound.errors import ExitStatus

DOC = Path(__file__).parents[2] / "docs" / "cli.md"


def test_every_exit_status_is_documented():
    text = DOC.read_text()
    for status in ExitStatus:
        assert f"| {int(status)} | {status.name} |" in text


def test_store_commands_are_documented():
    text = DOC.read_text()
    for command in ("ingest blocks", "ingest rpc", "ingest etl", "stats", "block HEIGHT|HASH",
                    "tx TXID", "address ADDRESS", "export addresses"):  # fmt: skip
        assert f"ledgerhound {command}" in text


def _commands(command, prefix=""):
    subs = getattr(command, "commands", None)
    if not subs:
        yield prefix.strip()
        return
    for name, sub in subs.items():
        yield from _commands(sub, f"{prefix} {name}")


def test_every_registered_command_is_documented():
    import typer

    from ledgerhound.cli.main import app

    text = DOC.read_text()
    missing = [c for c in _commands(typer.main.get_command(app)) if f"ledgerhound {c}" not in text]
    assert missing == []
