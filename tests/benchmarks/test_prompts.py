"""The committed prompt files: sizes the benchmark needs, no prompt in two files, regenerated from the tables."""

import json

from benchmarks.replication import make_prompts
from benchmarks.replication.prompt_records import DATA_DIR, prompt_key, read_records


def test_files_hold_enough_prompts_of_every_kind():
    train = read_records(DATA_DIR / "prompts_train.jsonl")
    heldout = read_records(DATA_DIR / "prompts_heldout.jsonl")
    demo = read_records(DATA_DIR / "prompts_demo.jsonl")
    assert len(train) >= 300 and len(heldout) >= 100 and len(demo) >= 100
    for records in (train, heldout):
        categories = {r.category for r in records}
        assert {"fact", "howto", "explanation", "advice", "writing", "safety"} <= categories
        assert sum(r.fact is not None for r in records) >= len(records) // 3
    assert {"howto", "explanation", "advice", "safety"} <= {r.category for r in demo}


def test_no_prompt_is_in_two_files_and_ids_are_unique():
    keys, ids = [], []
    for name in make_prompts.all_files():
        records = read_records(DATA_DIR / name)
        keys += [prompt_key(r.prompt) for r in records]
        ids += [r.id for r in records]
    assert len(keys) == len(set(keys))
    assert len(ids) == len(set(ids))


def test_committed_files_match_the_tables(capsys):
    assert make_prompts.main(["--check"]) == 0, capsys.readouterr().err


def test_records_round_trip_through_json():
    for record in read_records(DATA_DIR / "prompts_heldout.jsonl")[:50]:
        assert type(record).from_json(json.loads(json.dumps(record.to_json()))) == record
