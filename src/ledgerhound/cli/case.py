"""``ledgerhound case``: persistent cases with seeds, notes, seizures and a verifiable audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ledgerhound.cli.context import JSON_OPTION, emit, store_path, to_json
from ledgerhound.errors import CorruptDataError, InvalidInputError

app = typer.Typer(help="Investigation cases: seeds, notes, seizures, audit log.")


@app.command("new")
def new_cmd(ctx: typer.Context, name: str, title: str = typer.Option("", help="Case title."),
            as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """Create a case."""
    from ledgerhound import cases

    emit(cases.new(store_path(ctx), name, title), as_json, lambda c: typer.echo(f"case {name}"))


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the cases of the store."""
    from ledgerhound import cases

    rows = cases.list_cases(store_path(ctx))

    def human(rows: list[dict[str, Any]]) -> None:
        for r in rows:
            typer.echo(f"{r['name']}\t{r['seeds']} seeds\t{r['seizures']} seizures\t{r['title']}")

    emit(rows, as_json, human)


@app.command("show")
def show_cmd(ctx: typer.Context, name: str, as_json: bool = JSON_OPTION) -> None:
    """Show a case."""
    from ledgerhound import cases

    emit(cases.load(store_path(ctx), name), as_json, _human_case)


def _human_case(c: dict[str, Any]) -> None:
    typer.echo(f"case {c['name']}: {c.get('title', '')}")
    for s in c["seeds"]:
        typer.echo(f"  seed {s['address']}  {s.get('source', '')}")
    for n in c["notes"]:
        typer.echo(f"  note {n['time']}: {n['text']}")
    for z in c["seizures"]:
        typer.echo(f"  seized {z['kind']} {z['ref']}  {z.get('detail', '')}")
    typer.echo(f"  findings: {len(c['findings'])}, reports: {len(c.get('reports', []))}")
    typer.echo(f"  audit: {c.get('audit')}")


@app.command("add-seed")
def add_seed_cmd(ctx: typer.Context, name: str, addresses: list[str],
                 source: str = typer.Option("", help="Where the seed came from."),
                 as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """Add seed addresses to a case."""
    from ledgerhound import cases

    case = None
    for a in addresses:
        case = cases.add_seed(store_path(ctx), name, a, source)
    emit(case, as_json, _human_case)


@app.command("note")
def note_cmd(ctx: typer.Context, name: str, text: str, as_json: bool = JSON_OPTION) -> None:
    """Add a note to a case."""
    from ledgerhound import cases

    emit(cases.note(store_path(ctx), name, text), as_json, _human_case)


@app.command("seize")
def seize_cmd(ctx: typer.Context, name: str,
              kind: str = typer.Option(..., help="crypto_account | website | social_page | other"),
              ref: str = typer.Option(..., help="Account id, domain or page URL."),
              detail: str = typer.Option("", help="Custodian, warrant number, amount..."),
              as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """Record a seized asset."""
    from ledgerhound import cases

    emit(cases.seize(store_path(ctx), name, kind, ref, detail), as_json, _human_case)


@app.command("verify")
def verify_cmd(ctx: typer.Context, name: str, as_json: bool = JSON_OPTION) -> None:
    """Check the case's audit log chain; a tampered log fails (exit 5)."""
    from ledgerhound import cases

    result = cases.verify(store_path(ctx), name)
    if not result["ok"]:
        problem = result["problem"]
        raise CorruptDataError(f"audit log of case {name!r} fails verification: {problem}",
                               **result)  # fmt: skip
    emit(result, as_json, lambda r: typer.echo(f"audit log ok: {r['entries']} entries"))


@app.command("export")
def export_cmd(ctx: typer.Context, name: str,
               out: Path | None = typer.Option(None, "--out", help="Write JSON here."),
               as_json: bool = JSON_OPTION) -> None:  # fmt: skip
    """Export the case with its audit log and verification verdict as JSON."""
    from ledgerhound import cases

    doc = cases.export(store_path(ctx), name)
    if out is None:
        typer.echo(to_json(doc))
        return
    try:
        out.write_text(to_json(doc) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out}: {exc.strerror}") from None
    emit({"out": str(out), "verification": doc["verification"]}, as_json, None)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="case")
