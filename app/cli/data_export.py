"""`redline export`: write a versioned snapshot of a dataset to a file or to standard output."""

import shutil
import sys
from pathlib import Path

import typer

from app.cli.groups import root
from app.config import get_settings


@root.command("export")
def export_command(
    dataset: str = typer.Argument(..., help="Dataset name or id."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
    tokenizer: str = typer.Option(None, help="Tokenizer for the token-labels view (default: the dataset's)."),
    view: str = typer.Option("token-labels", help="token-labels, preference or original-pairs."),
    out: Path = typer.Option(None, help="Output file; standard output when left out."),
) -> None:
    """Export a dataset; the card and manifest go beside --out as OUT.README.md and OUT.manifest.json."""
    from app.services.exports import ExportError, create_export

    settings = get_settings()
    try:
        files = create_export(settings, dataset, view=view, fmt=fmt, tokenizer=tokenizer)
    except ExportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    export = files.export
    if out is None:
        with files.data_path.open("rb") as fh:
            shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files.data_path, out)
        shutil.copyfile(files.card_path, out.with_name(out.name + ".README.md"))
        shutil.copyfile(files.manifest_path, out.with_name(out.name + ".manifest.json"))
    typer.echo(
        f"export {export.id}: {export.row_count} rows, content hash {export.content_hash}", err=True
    )
