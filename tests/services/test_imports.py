"""import_file on SQLite and PostgreSQL: one transaction, duplicates skipped, invalid files rejected whole."""

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import get_sessionmaker
from app.models import AuditEvent, Dataset, Item, Role, User
from app.services.importers import ImportLimits, item_content_hash
from app.services.imports import ImportRejected, import_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Dataset, Item, AuditEvent))


def test_import_creates_dataset_items_and_an_audit_event(session):
    admin = User(email="admin@example.org", role=Role.admin, password_hash="x")
    session.add(admin)
    session.commit()
    report = import_file(session, FIXTURES / "trl_standard.jsonl", "pairs", user=admin)
    assert (report.created, report.skipped_duplicates, report.invalid, report.rows_read) == (3, 0, 0, 3)
    assert report.dataset_created and report.row_format == "trl-standard" and report.file_type == "jsonl"
    assert report.bytes_read == (FIXTURES / "trl_standard.jsonl").stat().st_size
    session.expire_all()
    dataset = session.scalars(select(Dataset)).one()
    assert dataset.name == "pairs" and dataset.created_by_id == admin.id
    items = session.scalars(select(Item).order_by(Item.id)).all()
    assert [i.external_id for i in items][0] == "s1"
    assert items[0].content_hash == item_content_hash(items[0].prompt, items[0].rejected)
    assert items[0].meta == {"source": "fixture"} and items[0].state == "open"
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.user_id, event.target_id) == ("dataset.import", admin.id, str(dataset.id))
    assert event.detail["file"] == "trl_standard.jsonl" and event.detail["created"] == 3


def test_importing_the_same_file_twice_is_harmless(session):
    first = import_file(session, FIXTURES / "label_studio.json", "ls")
    second = import_file(session, FIXTURES / "label_studio.json", "ls")
    assert (first.created, second.created, second.skipped_duplicates) == (3, 0, 3)
    assert not second.dataset_created and second.dataset_id == first.dataset_id
    assert counts(session) == (1, 3, 2)


def test_the_same_pairs_in_another_file_type_are_duplicates_too(session):
    import_file(session, FIXTURES / "trl_standard.jsonl", "ds")
    report = import_file(session, FIXTURES / "trl_standard.parquet", "ds")
    assert (report.created, report.skipped_duplicates) == (0, 3)


def test_duplicates_by_external_id_or_by_prompt_and_rejected_are_skipped_and_counted(session):
    report = import_file(session, FIXTURES / "duplicates.jsonl", "dups")
    # rows: s1; s1 again (same id); "other" (new); the pair "other" already holds (same text); a new pair
    assert (report.created, report.skipped_duplicates) == (3, 2)
    ids = sorted(session.scalars(select(Item.external_id)))
    assert ids[:2] == ["other", "s1"] and ids[2].startswith("sha256-")


def test_an_invalid_row_rejects_the_whole_file_and_writes_nothing(session):
    with pytest.raises(ImportRejected) as exc:
        import_file(session, FIXTURES / "wrong_types.jsonl", "bad", fmt="trl-standard")
    assert exc.value.invalid_rows == 3
    assert exc.value.errors[0] == {"row": 2, "field": "prompt", "message": "'prompt' must be a string, got a number"}
    assert {e["row"] for e in exc.value.errors} == {2, 3, 4}
    assert counts(session) == (0, 0, 0)


def test_rejection_after_chunks_were_inserted_rolls_them_back(session):
    rows = [{"prompt": f"p{n}", "chosen": "yes", "rejected": "no"} for n in range(10)] + [{"prompt": "late"}]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    with pytest.raises(ImportRejected) as exc:
        import_file(session, io.BytesIO(data), "late", limits=ImportLimits(chunk_rows=3))
    assert [e["row"] for e in exc.value.errors] == [11, 11]
    assert counts(session) == (0, 0, 0)


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(session):
    report = import_file(session, FIXTURES / "not_utf8.jsonl", "mixed", skip_invalid=True)
    assert (report.created, report.invalid, report.rows_read) == (2, 1, 3)
    assert report.errors == [{
        "row": 2, "field": None,
        "message": "not valid UTF-8 (byte 0xE9 at byte 16 of the row); save the file as UTF-8",
    }]
    assert counts(session)[1] == 2
    assert session.scalars(select(AuditEvent)).one().detail["invalid"] == 1


def test_error_list_is_capped(session):
    data = b"".join(b'{"prompt": 1, "chosen": "a", "rejected": "b"}\n' for _ in range(5))
    data = b'{"prompt": "p", "chosen": "a", "rejected": "b"}\n' + data
    with pytest.raises(ImportRejected) as exc:
        import_file(session, io.BytesIO(data), "capped", limits=ImportLimits(max_errors=2))
    assert len(exc.value.errors) == 2 and exc.value.truncated
    report = import_file(session, io.BytesIO(data), "capped", skip_invalid=True, limits=ImportLimits(max_errors=2))
    assert (report.created, report.invalid, len(report.errors), report.errors_truncated) == (1, 5, 2, True)


@pytest.mark.parametrize("name", ["utf16.jsonl", "unknown_format.jsonl", "empty.jsonl", "trailing_garbage.json"])
def test_unreadable_files_are_rejected_even_with_skip_invalid(session, name):
    with pytest.raises(ImportRejected) as exc:
        import_file(session, FIXTURES / name, "nope", skip_invalid=True)
    assert exc.value.errors[-1]["row"] is None and exc.value.errors[-1]["message"]
    assert counts(session) == (0, 0, 0)


def test_existing_dataset_is_reused_by_name(session):
    a = import_file(session, FIXTURES / "hh_rlhf.csv", "shared")
    b = import_file(session, FIXTURES / "alpaca_farm.parquet", "shared")
    assert a.dataset_id == b.dataset_id and (a.dataset_created, b.dataset_created) == (True, False)
    assert (b.created, counts(session)[:2]) == (3, (1, 6))


def test_same_pairs_may_live_in_two_datasets(session):
    import_file(session, FIXTURES / "trl_standard.json", "one")
    report = import_file(session, FIXTURES / "trl_standard.json", "two")
    assert report.created == 3 and counts(session)[:2] == (2, 6)


@pytest.mark.parametrize("file_type", ["jsonl", "json", "csv", "parquet"])
def test_every_file_type_imports(session, file_type):
    report = import_file(session, FIXTURES / f"trl_conversational.{file_type}", "conv")
    assert (report.created, report.row_format, report.file_type) == (3, "trl-conversational", file_type)
    item = session.scalars(select(Item).where(Item.external_id == "c3")).one()
    assert item.meta["prompt_messages"][0] == {"role": "system", "content": "Be careful."}


def test_binary_stream_with_its_upload_name_and_progress(session):
    data = (FIXTURES / "alpaca_farm.jsonl").read_bytes()
    seen = []
    report = import_file(session, io.BytesIO(data), "stream", source_name="upload.jsonl",
                         progress=lambda done, total: seen.append((done, total)))
    assert report.created == 3 and seen[-1] == (len(data), len(data))
    assert session.scalars(select(AuditEvent)).one().detail["file"] == "upload.jsonl"


@pytest.mark.parametrize("name, field", [("  ", "name"), ("x" * 201, "name")])
def test_bad_dataset_name_or_format_is_rejected(session, name, field):
    with pytest.raises(ImportRejected) as exc:
        import_file(session, FIXTURES / "trl_standard.jsonl", name)
    assert exc.value.errors[0]["field"] == field
    with pytest.raises(ImportRejected) as exc:
        import_file(session, FIXTURES / "trl_standard.jsonl", "ok", fmt="tsv")
    assert exc.value.errors[0]["field"] == "format"
    assert counts(session) == (0, 0, 0)


def test_import_commits_so_other_sessions_see_it(session):
    import_file(session, FIXTURES / "trl_implicit.parquet", "seen")
    with get_sessionmaker()() as other:
        assert other.scalar(select(func.count()).select_from(Item)) == 3
