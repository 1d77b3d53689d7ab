"""`redline import`: load a file of preference pairs into a dataset, with a progress bar and an error table."""

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from app.cli.groups import root

SHOWN_ERRORS = 50


@root.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="JSONL, JSON, CSV or Parquet."),
    dataset: str = typer.Option(..., "--dataset", help="Dataset name; created when new, else added to."),
    fmt: str = typer.Option(
        None, "--format",
        help="Row format: trl-standard, trl-conversational, trl-implicit, hh-rlhf, alpaca-farm, label-studio "
             "(detected from the first rows when left out).",
    ),
    file_type: str = typer.Option(None, "--file-type", help="jsonl, json, csv or parquet (sniffed when left out)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows and report the rest."),
) -> None:
    """Import preference pairs. Any invalid row rejects the whole file unless --skip-invalid."""
    from app.db import get_sessionmaker
    from app.services.imports import ImportRejected, import_file

    err = Console(stderr=True)
    with Progress(
        TextColumn("[bold]import[/] {task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), console=err, transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=file.stat().st_size)
        try:
            with get_sessionmaker()() as session:
                report = import_file(
                    session, file, dataset, fmt=fmt, skip_invalid=skip_invalid, file_type=file_type,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        except ImportRejected as exc:
            bar.stop()
            _print_errors(err, exc.errors, exc.invalid_rows, exc.truncated)
            err.print("[red]import rejected: nothing was imported[/] "
                      + ("(fix the rows above, or pass --skip-invalid to import the valid ones)"
                         if exc.invalid_rows else ""))
            raise typer.Exit(2) from None
    if report.errors:
        _print_errors(err, report.errors, report.invalid, report.errors_truncated)
    err.print(
        f"dataset [bold]{report.dataset_name}[/] (id {report.dataset_id}"
        f"{', new' if report.dataset_created else ''}): format {report.row_format}, {report.file_type}; "
        f"{report.rows_read} rows read in {report.seconds:.1f} s"
    )
    typer.echo(
        f"created {report.created}, skipped duplicates {report.skipped_duplicates}, invalid {report.invalid}"
    )


def _print_errors(console: Console, errors: list[dict], invalid_rows: int, truncated: bool) -> None:
    table = Table(title=f"{invalid_rows} invalid row(s)" if invalid_rows else "the file cannot be read")
    table.add_column("row", justify="right")
    table.add_column("field")
    table.add_column("problem", overflow="fold")
    for error in errors[:SHOWN_ERRORS]:
        row = error["row"]
        table.add_row("file" if row is None else str(row), error["field"] or "", error["message"])
    console.print(table)
    hidden = len(errors) - SHOWN_ERRORS
    if hidden > 0 or truncated:
        console.print(f"... and {'more' if truncated else hidden} further problem(s) not shown")
