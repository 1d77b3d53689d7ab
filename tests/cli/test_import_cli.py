"""`redline import` end to end on SQLite and PostgreSQL: counts, duplicates, the error table, exit codes."""

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

import app.cli.commands  # noqa: F401  (registers the commands)
from app.cli.groups import root
from app.db import get_sessionmaker
from app.models import Item

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
runner = CliRunner()


def item_count() -> int:
    with get_sessionmaker()() as session:
        return session.scalar(select(func.count()).select_from(Item)) or 0


def test_import_then_reimport_skips_duplicates(db_url):
    first = runner.invoke(root, ["import", str(FIXTURES / "hh_rlhf.parquet"), "--dataset", "hh"])
    assert first.exit_code == 0, first.output
    assert "created 3, skipped duplicates 0, invalid 0" in first.stdout
    assert "format hh-rlhf, parquet" in first.stderr
    again = runner.invoke(root, ["import", str(FIXTURES / "hh_rlhf.jsonl"), "--dataset", "hh", "--format", "hh-rlhf"])
    assert again.exit_code == 0, again.output
    assert "created 0, skipped duplicates 3, invalid 0" in again.stdout
    assert item_count() == 3


def test_invalid_rows_print_a_table_and_import_nothing(db_url):
    result = runner.invoke(root, ["import", str(FIXTURES / "missing_fields.jsonl"), "--dataset", "bad"])
    assert result.exit_code == 2
    assert "2 invalid row(s)" in result.stderr
    assert "missing field 'rejected'" in result.stderr and "'chosen' is empty" in result.stderr
    assert "nothing was imported" in result.stderr and "--skip-invalid" in result.stderr
    assert item_count() == 0


def test_skip_invalid_imports_the_rest(db_url):
    result = runner.invoke(
        root, ["import", str(FIXTURES / "ragged.csv"), "--dataset", "csv", "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "created 2, skipped duplicates 0, invalid 1" in result.stdout
    assert "has 2 fields but the header has 3" in result.stderr
    assert item_count() == 2


def test_unreadable_file_and_unknown_format_exit_2(db_url):
    result = runner.invoke(root, ["import", str(FIXTURES / "utf16.jsonl"), "--dataset", "u"])
    assert result.exit_code == 2 and "file" in result.stderr and "UTF-8" in result.stderr
    result = runner.invoke(root, ["import", str(FIXTURES / "trl_standard.csv"), "--dataset", "u", "--format", "x"])
    assert result.exit_code == 2 and "unknown format 'x'" in result.stderr
    assert item_count() == 0
