"""Export snapshots: every view and format, the card, the manifest, a stable content hash."""

import json

import pyarrow.parquet as pq
import pytest

from app.config import get_settings
from app.db import get_sessionmaker
from app.models import Dataset, Edit, EditStatus, Export, Item, Role, User
from app.services.exports import ExportError, create_export
from training.alignment import align


def _seed(session, tokenizer: str) -> Dataset:
    user = User(email="ann@example.org", role=Role.annotator, password_hash="x")
    ds = Dataset(name="ds", tokenizer=tokenizer)
    session.add_all([user, ds])
    session.flush()
    texts = [
        ("What is 2+2?", "It is 4.", "It is 5, I think.", "It is 4, I think.", EditStatus.accepted),
        ("Name a colour.", "Blue.", "Um, blue maybe.", "Blue.", EditStatus.submitted),
        ("Say hi.", "Hi!", "Hello there!", "Hello there!", EditStatus.submitted),  # no edit needed
        ("Draft only.", "A.", "B.", "C.", EditStatus.draft),  # drafts are never exported
    ]
    for n, (prompt, chosen, rejected, edited, status) in enumerate(texts):
        item = Item(dataset_id=ds.id, external_id=f"x{n}", prompt=prompt, chosen=chosen, rejected=rejected,
                    content_hash=f"h{n}")
        session.add(item)
        session.flush()
        hunks = [list(h) for h in align(rejected, edited).hunks]
        session.add(Edit(item_id=item.id, author_id=user.id, edited_text=edited, status=status, hunks=hunks,
                         outcome="edited" if edited != rejected else "no_edit_needed"))
    session.add(Edit(item_id=item.id, model_name="claude-x", edited_text="C.", status=EditStatus.rejected))
    session.commit()
    return ds


@pytest.fixture
def tiny_tokenizer_dir(tmp_path_factory):
    from training.tiny import tiny_model_dir

    return str(tiny_model_dir(tmp_path_factory.mktemp("tiny")))


def test_token_labels_view_matches_shared_alignment(db_url, tmp_path, monkeypatch, tiny_tokenizer_dir):
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    with get_sessionmaker()() as s:
        ds = _seed(s, tiny_tokenizer_dir)
    files = create_export(get_settings(), ds.name)
    rows = [json.loads(line) for line in files.data_path.read_text().splitlines()]
    assert [r["external_id"] for r in rows] == ["x0", "x1", "x2"]
    from training.chat_format import encode_edit_pair
    from training.tokenizers import load_tokenizer

    tok = load_tokenizer(tiny_tokenizer_dir)
    for row in rows:
        expected = encode_edit_pair(tok, row["prompt"], row["rejected"], row["edited"])
        assert row["original_input_ids"] == list(expected["original_input_ids"])
        assert row["edited_labels"] == list(expected["edited_labels"])
        assert len(row["original_labels"]) == len(row["original_input_ids"])
        assert row["original_labels"][0] == -100  # the prompt comes first and is ignored
    first, _, unchanged = rows
    assert -1 in first["original_labels"] and 1 in first["edited_labels"]
    assert set(unchanged["original_labels"]) <= {-100, 0} and set(unchanged["edited_labels"]) <= {-100, 0}
    assert unchanged["outcome"] == "no_edit_needed"
    with get_sessionmaker()() as s:
        stored = s.get(Export, files.export.id)
        assert stored.row_count == 3 and stored.content_hash == files.export.content_hash
    card = files.card_path.read_text()
    assert files.export.id in card and files.export.content_hash in card and "| -1 |" in card
    manifest = json.loads(files.manifest_path.read_text())
    assert manifest["content_hash"] == files.export.content_hash and manifest["row_count"] == 3


def test_same_content_gives_same_hash_and_parquet_views(db_url, tmp_path, monkeypatch, tiny_tokenizer_dir):
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    with get_sessionmaker()() as s:
        ds = _seed(s, tiny_tokenizer_dir)
    a = create_export(get_settings(), ds.id)
    b = create_export(get_settings(), str(ds.id))
    assert a.export.id != b.export.id and a.export.content_hash == b.export.content_hash

    pref = create_export(get_settings(), ds.name, view="preference", fmt="parquet")
    table = pq.read_table(pref.data_path).to_pylist()
    assert [(r["chosen"], r["rejected"]) for r in table] == [
        ("It is 4, I think.", "It is 5, I think."), ("Blue.", "Um, blue maybe.")]
    pairs = create_export(get_settings(), ds.name, view="original-pairs", fmt="parquet")
    assert len(pq.read_table(pairs.data_path)) == 4


def test_bad_requests_name_the_problem_and_leave_nothing(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    with get_sessionmaker()() as s:
        s.add(Dataset(name="ds"))
        s.commit()
    with pytest.raises(ExportError, match="dataset 'nope' not found"):
        create_export(get_settings(), "nope")
    with pytest.raises(ExportError, match="unknown view 'x'"):
        create_export(get_settings(), "ds", view="x")
    with pytest.raises(ExportError, match="unknown format 'csv'"):
        create_export(get_settings(), "ds", fmt="csv")
    with pytest.raises(ExportError, match="cannot load tokenizer"):
        create_export(get_settings(), "ds", tokenizer=str(tmp_path / "no-such-tokenizer"))
    exports_dir = tmp_path / "artifacts" / "exports"
    assert not exports_dir.exists() or not any(exports_dir.iterdir())
    with get_sessionmaker()() as s:
        assert s.query(Export).count() == 0
