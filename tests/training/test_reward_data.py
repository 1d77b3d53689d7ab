"""Reward-model data: reading exports, the checks on bad input, the prompt split, re-derived labels, batches."""

import json
from pathlib import Path

import pytest
import torch

from tests.training.reward_fixtures import easy_rows, export_file, tiny_tokenizer, write_rows
from training.reward.data import Pair, collate_pairs, split_by_prompt, truncate_pair, validation_prompts
from training.reward.dataset import build_reward_data, edit_pairs_for, load_reward_data
from training.reward.export_file import RewardDataError, read_export
from training.reward.synthetic import write_export


def test_jsonl_and_parquet_read_alike_and_manifest_names_the_export(tmp_path: Path) -> None:
    rows = easy_rows(12)
    jsonl = write_export(rows, tmp_path / "data.jsonl", export_id="exp-1")
    parquet = write_export(rows, tmp_path / "data.parquet", export_id="exp-2")
    from_jsonl, info = read_export(str(jsonl))
    from_parquet, info_pq = read_export(str(parquet))
    assert from_jsonl == rows
    assert [r["edited_labels"] for r in from_parquet] == [r["edited_labels"] for r in rows]
    assert (info.export_id, info.rows, info_pq.export_id) == ("exp-1", 12, "exp-2")
    assert len(info.content_hash) == 64


def test_manifest_of_another_content_is_ignored(tmp_path: Path) -> None:
    path = write_export(easy_rows(4), tmp_path / "data.jsonl", export_id="exp-1")
    with path.open("a") as fh:  # the file no longer matches its manifest's content hash
        fh.write(json.dumps(easy_rows(1, seed=5)[0]) + "\n")
    _, info = read_export(str(path))
    assert info.export_id is None and info.rows == 5


def test_server_layout_manifest_in_the_export_folder(tmp_path: Path) -> None:
    path = write_rows(easy_rows(3), tmp_path / "data.jsonl")
    from training.reward.export_file import sha256_file

    (tmp_path / "manifest.json").write_text(json.dumps({"export_id": "srv-9", "content_hash": sha256_file(path)}))
    assert read_export(str(path))[1].export_id == "srv-9"


def _bad(tmp_path: Path, rows: list[dict]) -> str:
    with pytest.raises(RewardDataError) as err:
        read_export(str(write_rows(rows, tmp_path / "bad.jsonl")))
    return str(err.value)


def test_export_with_no_rows_or_no_changes(tmp_path: Path) -> None:
    assert "the export has no edits" in _bad(tmp_path, [])
    unchanged = [{**r, "edited": r["rejected"]} for r in easy_rows(3)]
    assert "the export has no edits" in _bad(tmp_path, unchanged)


def test_mixed_tokenizer_hashes(tmp_path: Path) -> None:
    rows = easy_rows(3)
    rows[1]["tokenizer_hash"] = "0" * 64
    assert "mismatched tokenizer hashes" in _bad(tmp_path, rows)


def test_labels_longer_than_ids_name_the_row(tmp_path: Path) -> None:
    rows = easy_rows(3)
    rows[2]["edited_labels"] = rows[2]["edited_labels"] + [0]
    message = _bad(tmp_path, rows)
    assert "row 3 (edit_id 3)" in message and "edited_labels has" in message and "edited_input_ids has" in message


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda r: r.pop("original_labels"), "missing columns original_labels"),
        (lambda r: r.update(original_labels=[5] * len(r["original_input_ids"])), "allowed: -100, -1, 0, 1"),
        (lambda r: r.update(prompt=None), "column prompt must be text"),
    ],
)
def test_other_malformed_rows(tmp_path: Path, change, needle: str) -> None:  # noqa: ANN001
    rows = easy_rows(2)
    for row in rows:
        change(row)
    assert needle in _bad(tmp_path, rows)


def test_missing_file_invalid_json_and_empty_path(tmp_path: Path) -> None:
    with pytest.raises(RewardDataError, match="does not exist"):
        read_export(str(tmp_path / "nope.jsonl"))
    with pytest.raises(RewardDataError, match="set data_path"):
        read_export("")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "x"}\n{not json\n')
    with pytest.raises(RewardDataError, match="line 2 is not valid JSON"):
        read_export(str(broken))


def test_split_is_by_prompt_seeded_and_never_empty() -> None:
    prompts = [f"p{i % 10}" for i in range(40)]
    held = validation_prompts(prompts, 0.2, seed=1)
    assert len(held) == 2 and held == validation_prompts(prompts, 0.2, seed=1)
    assert any(validation_prompts(prompts, 0.2, seed=s) != held for s in range(2, 6))
    assert len(validation_prompts(prompts, 0.01, seed=1)) == 1
    assert validation_prompts(["only"] * 5, 0.5, seed=0) == set()  # one prompt: all of it trains
    pairs = [Pair(p, [1], [0], [1], [0]) for p in prompts]
    train, val = split_by_prompt(pairs, held)
    assert {p.prompt for p in train}.isdisjoint({p.prompt for p in val})
    assert len(train) + len(val) == 40


def test_build_reward_data_keeps_prompts_apart_and_drops_unchanged_rows(tmp_path: Path) -> None:
    rows = easy_rows(60, no_edit_rows=5)
    path = write_export(rows, tmp_path / "data.jsonl")
    data = load_reward_data(str(path), tiny_tokenizer(), max_length=128, validation_fraction=0.2, seed=0)
    assert data.stats["rows_without_changes"] == 5 and data.stats["edit_pairs"] == 60
    assert data.stats["rederived_labels"] is False
    train_prompts = {p.prompt for p in data.train}
    assert train_prompts.isdisjoint({p.prompt for p in data.val_edits})
    assert train_prompts.isdisjoint({p.prompt for p in data.val_original})
    assert data.val_edits and data.val_original
    originals = load_reward_data(str(path), tiny_tokenizer(), 128, 0.2, 0, train_on="original")
    assert all(set(p.better_labels) <= {-100, 0} for p in originals.train)  # no token labels on original pairs


def test_other_tokenizer_hash_rederives_the_same_labels() -> None:
    rows = easy_rows(8)
    stale = [{**r, "tokenizer_hash": "f" * 64, "original_input_ids": [], "original_labels": [],
              "edited_input_ids": [], "edited_labels": []} for r in rows]
    fresh, rederived = edit_pairs_for(tiny_tokenizer(), stale)
    assert rederived
    for pair, row in zip(fresh, rows, strict=True):
        assert (pair.worse_ids, pair.worse_labels) == (row["original_input_ids"], row["original_labels"])
        assert (pair.better_ids, pair.better_labels) == (row["edited_input_ids"], row["edited_labels"])


def test_truncation_drops_pairs_without_response_and_errors_when_nothing_is_left(tmp_path: Path) -> None:
    pair = Pair("p", [1, 2, 3, 4], [-100, -100, 0, 1], [1, 2, 5], [-100, -100, -1])
    assert truncate_pair(pair, 3) is not None
    assert truncate_pair(pair, 2) is None
    rows = easy_rows(10)
    from training.reward.export_file import ExportInfo

    info = ExportInfo("x", "h", None, None, len(rows))
    with pytest.raises(RewardDataError, match="raise max_length"):
        build_reward_data(rows, info, tiny_tokenizer(), max_length=4, validation_fraction=0.1, seed=0)


def test_collate_masks_by_length_even_where_ids_equal_the_pad_id() -> None:
    pad = 7
    pairs = [Pair("a", [1, 7, 2], [-100, 0, 1], [1, 7], [-100, -1]), Pair("b", [3], [0], [4, 5, 7, 7], [0, 0, 0, 0])]
    batch = collate_pairs(pairs, pad)
    assert batch["input_ids"].shape == (4, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]]
    assert batch["labels"][1].tolist() == [0, -100, -100, -100]
    assert torch.equal(batch["input_ids"][3], torch.tensor([4, 5, 7, 7]))


def test_load_reward_data_reads_the_fixture_export(tmp_path: Path) -> None:
    path = export_file(tmp_path, count=20)
    data = load_reward_data(str(path), tiny_tokenizer(), 128, 0.1, 0)
    assert data.export.export_id == "test-export-0"
    assert data.stats["train_pairs"] == len(data.train) > 0


def test_reading_the_config_does_not_import_torch() -> None:
    """The web app validates job configs with this module; it must stay light."""
    import subprocess
    import sys

    code = "import sys, training.reward.config, training.config_io; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False"
