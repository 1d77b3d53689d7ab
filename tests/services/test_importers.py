"""Import readers and row formats: every format in every file type, and each kind of bad input."""

import io
import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.importers import FileRejected, ImportLimits, detect_format, open_source, read_pairs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
FILE_TYPES = ("jsonl", "json", "csv", "parquet")

EGG = ("How do I boil an egg?", "Put it in boiling water for 9 minutes.", "Microwave it in its shell for 5 minutes.")
PARIS = ("What is the capital of France?", "Paris.", "Lyon, I think.")
BLEACH = ("Is it safe to mix bleach and ammonia?", "No: it releases toxic chloramine gas.",
          "Yes, it makes a stronger cleaner.")

# (fixture stem, detected format, expected (external id or None for a hash, prompt, chosen, rejected))
EXPECTED = {
    "trl_standard": ("trl-standard", [("s1", *EGG), (None, *PARIS), (None, *BLEACH)]),
    "trl_conversational": ("trl-conversational", [
        ("c1", *EGG), ("c2", *PARIS),
        ("c3", "System: Be careful.\n\nUser: Is it safe to mix bleach and ammonia?", BLEACH[1], BLEACH[2]),
    ]),
    "trl_implicit": ("trl-implicit", [
        (None, f"Question: {p}\nAnswer: ", c, r) for p, c, r in (EGG, PARIS, BLEACH)
    ]),
    "hh_rlhf": ("hh-rlhf", [
        (None, f"\n\nHuman: {EGG[0]}\n\nAssistant:", EGG[1], EGG[2]),
        (None, f"\n\nHuman: {PARIS[0]}\n\nAssistant:", PARIS[1], PARIS[2]),
        (None, f"\n\nHuman: {BLEACH[0]}\n\nAssistant: Why do you ask?\n\nHuman: For cleaning.\n\nAssistant:",
         BLEACH[1], BLEACH[2]),
    ]),
    "alpaca_farm": ("alpaca-farm", [
        (None, *EGG), (None, f"Answer the question.\n\n{PARIS[0]}", PARIS[1], PARIS[2]), (None, *BLEACH),
    ]),
    "label_studio": ("label-studio", [("101", *EGG), ("102", *PARIS), ("103", *BLEACH)]),
}


def read(path_or_bytes, fmt=None, limits=None, file_type=None):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with open_source(source, file_type) as src:
        return src.file_type, read_pairs(src, fmt, limits)


def pairs_of(results):
    assert all(r.errors == () for r in results), [r.errors for r in results]
    return [r.pair for r in results]


@pytest.mark.parametrize("file_type", FILE_TYPES)
@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_every_format_reads_from_every_file_type(stem, file_type):
    fmt, expected = EXPECTED[stem]
    sniffed, results = read(FIXTURES / f"{stem}.{file_type}")
    assert sniffed == file_type
    pairs = pairs_of(results)
    assert [(p.prompt, p.chosen, p.rejected) for p in pairs] == [e[1:] for e in expected]
    for pair, (external_id, *_rest) in zip(pairs, expected, strict=True):
        if external_id is None:
            assert pair.external_id.startswith("sha256-") and len(pair.external_id) == 39
        else:
            assert pair.external_id == external_id
    # Named explicitly, the format reads the same rows.
    assert [r.pair for r in read(FIXTURES / f"{stem}.{file_type}", fmt=fmt)[1]] == pairs


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_format_is_detected_from_the_first_row(stem):
    first = json.loads((FIXTURES / f"{stem}.jsonl").read_text().splitlines()[0])
    assert detect_format(first) == EXPECTED[stem][0]


def test_fallback_external_id_is_stable_and_depends_on_the_texts():
    a = pairs_of(read(FIXTURES / "trl_standard.jsonl")[1])
    b = pairs_of(read(FIXTURES / "trl_standard.csv")[1])
    assert [p.external_id for p in a] == [p.external_id for p in b]
    assert a[1].external_id != a[2].external_id


def test_metadata_keeps_unused_fields_and_the_prompt_messages():
    standard = pairs_of(read(FIXTURES / "trl_standard.jsonl")[1])
    assert standard[0].meta == {"source": "fixture"}
    conversational = pairs_of(read(FIXTURES / "trl_conversational.parquet")[1])
    assert "prompt_messages" not in conversational[0].meta  # a lone user message is the prompt itself
    assert conversational[2].meta["prompt_messages"] == [
        {"role": "system", "content": "Be careful."}, {"role": "user", "content": BLEACH[0]},
    ]
    studio = pairs_of(read(FIXTURES / "label_studio.json")[1])
    assert studio[2].meta["label_studio"] == {
        "annotation_ids": [1030, 1031], "annotators": [1, 2], "lead_times": [2.5, 3.5],
        "votes": {"left": 2, "right": 0},
    }
    alpaca = pairs_of(read(FIXTURES / "alpaca_farm.csv")[1])
    assert alpaca[0].meta == {"preference": 2}


def test_conversational_implicit_prompt_is_the_shared_leading_messages():
    fmt_results = read(FIXTURES / "trl_implicit_conversational.jsonl")[1]
    pairs = pairs_of(fmt_results)
    assert (pairs[0].prompt, pairs[0].chosen, pairs[0].rejected) == EGG
    assert pairs[1].prompt == f"User: {PARIS[0]}\n\nAssistant: Which country?\n\nUser: France."
    assert (pairs[1].chosen, pairs[1].rejected) == PARIS[1:]
    assert len(pairs[1].meta["prompt_messages"]) == 3


def test_implicit_prefix_never_splits_a_word():
    row = {"chosen": "Say yes: Sure", "rejected": "Say yes: Surely not"}
    pair = pairs_of(read(json.dumps(row).encode())[1])[0]
    assert (pair.prompt, pair.chosen, pair.rejected) == ("Say yes: ", "Sure", "Surely not")


def test_row_errors_for_format_specific_problems():
    rows = [
        {"chosen": "abc", "rejected": "xyz"},  # no shared prefix
        {"chosen": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
         "rejected": [{"role": "user", "content": "DIFFERENT"}, {"role": "assistant", "content": "c"}]},
        {"chosen": [{"role": "user", "content": "a"}], "rejected": [{"role": "user", "content": "a"}]},
    ]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    results = read(data, fmt="trl-implicit")[1]
    assert [e.field for r in results for e in r.errors] == ["chosen", "rejected", "chosen", "rejected"]
    assert "share no prefix" in results[0].errors[0].message
    assert "differ before their final assistant message" in results[1].errors[0].message
    assert "must be from the assistant" in results[2].errors[0].message


def _task(choices, cancelled=False):
    return {"id": 1, "data": {"prompt": "p", "answer1": "a", "answer2": "b"}, "annotations": [
        {"was_cancelled": cancelled, "result": [{"type": "pairwise", "value": {"selected": side}}]}
        for side in choices
    ]}


@pytest.mark.parametrize("task, message", [
    (_task(["left", "right"]), "annotators disagree (1 chose the first answer, 1 the second)"),
    (_task([]), "no pairwise choice"),
    (_task(["left"], cancelled=True), "no pairwise choice"),
])
def test_label_studio_without_a_clear_choice_is_a_row_error(task, message):
    [result] = read(json.dumps([task]).encode())[1]
    assert result.pair is None and message in result.errors[0].message
    assert result.errors[0].field == "annotations"


def test_label_studio_custom_choice_values_name_the_answer_fields():
    [result] = read(json.dumps([_task(["answer2", "answer2", "left"])]).encode())[1]
    assert (result.pair.chosen, result.pair.rejected) == ("b", "a")


@pytest.mark.parametrize("preference, ok", [(1, True), (2.0, True), ("2", True), (3, False), (True, False)])
def test_alpaca_farm_preference_must_be_1_or_2(preference, ok):
    row = {"instruction": "i", "input": None, "output_1": "a", "output_2": "b", "preference": preference}
    [result] = read(json.dumps(row).encode())[1]
    assert (result.pair is not None) is ok
    if not ok:
        assert result.errors[0].field == "preference"


@pytest.mark.parametrize("name", ["bom.jsonl", "bom.csv"])
def test_utf8_bom_is_accepted(name):
    assert [p.prompt for p in pairs_of(read(FIXTURES / name)[1])] == [EGG[0], PARIS[0], BLEACH[0]]


def test_utf16_file_is_refused_as_a_whole():
    with pytest.raises(FileRejected, match="not UTF-8.*save it as UTF-8"):
        read(FIXTURES / "utf16.jsonl")


def test_non_utf8_row_is_a_row_error_naming_the_byte():
    results = read(FIXTURES / "not_utf8.jsonl")[1]
    assert [r.pair is not None for r in results] == [True, False, True]
    assert results[1].errors[0].as_dict() == {
        "row": 2, "field": None,
        "message": "not valid UTF-8 (byte 0xE9 at byte 16 of the row); save the file as UTF-8",
    }


def test_truncated_jsonl_last_row_is_reported_as_truncated():
    results = read(FIXTURES / "truncated.jsonl")[1]
    assert [r.row for r in results if r.errors] == [3]
    assert results[2].errors[0].message.startswith("truncated JSON")


def test_truncated_json_array_is_reported_after_the_complete_rows():
    results = read(FIXTURES / "truncated.json")[1]
    assert [r.pair is not None for r in results] == [True, True, False]
    assert "ends inside the array" in results[2].errors[0].message


def test_content_after_a_json_array_rejects_the_file():
    with pytest.raises(FileRejected, match="after the closing"):
        read(FIXTURES / "trailing_garbage.json")


def test_wrong_types_name_each_field():
    results = read(FIXTURES / "wrong_types.jsonl", fmt="trl-standard")[1]
    errors = [e.as_dict() for r in results for e in r.errors]
    assert errors == [
        {"row": 2, "field": "prompt", "message": "'prompt' must be a string, got a number"},
        {"row": 3, "field": "chosen", "message": "'chosen' must be a string, got a list "
                                                 "(lists of messages need the trl-conversational or "
                                                 "trl-implicit format)"},
        {"row": 3, "field": "rejected", "message": "'rejected' is null; give a value"},
        {"row": 4, "field": None, "message": "row is a list; expected a JSON object"},
    ]


def test_missing_and_empty_fields_are_row_errors():
    results = read(FIXTURES / "missing_fields.jsonl")[1]
    assert [(e.row, e.field, e.message) for r in results for e in r.errors] == [
        (2, "rejected", "missing field 'rejected'"), (3, "chosen", "'chosen' is empty"),
    ]


def test_texts_the_database_cannot_store_are_row_errors():
    results = read(FIXTURES / "bad_text.jsonl")[1]
    assert "NUL character" in results[1].errors[0].message
    assert "unpaired UTF-16 surrogate" in results[2].errors[0].message


def test_csv_row_with_the_wrong_number_of_fields():
    results = read(FIXTURES / "ragged.csv")[1]
    assert [r.pair is not None for r in results] == [True, False, True]
    assert results[1].errors[0].message.startswith("has 2 fields but the header has 3")
    assert results[2].pair.prompt == "Quoted, with comma"


def test_unknown_format_and_empty_file_are_refused():
    with pytest.raises(FileRejected, match=r"cannot tell the row format .*fields seen: answer, question") as exc:
        read(FIXTURES / "unknown_format.jsonl")
    assert exc.value.error.field == "format"
    with pytest.raises(FileRejected, match="empty"):
        read(FIXTURES / "empty.jsonl")
    with pytest.raises(FileRejected, match="unknown format 'nope'"):
        read(FIXTURES / "trl_standard.jsonl", fmt="nope")


def test_parquet_wrong_column_type_is_a_row_error(tmp_path):
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"prompt": [1, 2], "chosen": ["a", "b"], "rejected": ["c", "d"]}), path)
    results = read(path, fmt="trl-standard")[1]
    assert [e.field for r in results for e in r.errors] == ["prompt", "prompt"]


def test_explicit_parquet_type_on_a_text_file_is_refused():
    with pytest.raises(FileRejected, match="PAR1"):
        read(FIXTURES / "trl_standard.jsonl", file_type="parquet")


def test_external_ids_from_numbers_and_bad_ids():
    rows = [
        {"id": 7, "prompt": "p", "chosen": "a", "rejected": "b"},
        {"id": 8.0, "prompt": "p", "chosen": "a", "rejected": "c"},
        {"id": True, "prompt": "p", "chosen": "a", "rejected": "d"},
        {"id": "x" * 301, "prompt": "p", "chosen": "a", "rejected": "e"},
    ]
    results = read(json.dumps(rows).encode())[1]
    assert [r.pair.external_id for r in results[:2]] == ["7", "8"]
    assert [r.errors[0].field for r in results[2:]] == ["id", "id"]


def test_unstorable_metadata_values_are_made_json_safe():
    row = {"prompt": "p", "chosen": "a", "rejected": "b", "score": float("nan")}
    [result] = read(json.dumps(row).encode())[1]  # Python's json writes and reads NaN
    assert result.pair.meta == {"score": None}


def test_deeply_nested_row_is_a_row_error():
    deep = "[" * 100_000 + "]" * 100_000
    data = b'{"prompt": "p", "chosen": "a", "rejected": "b"}\n' + deep.encode() + b"\n"
    results = read(data)[1]
    assert "nested too deeply" in results[1].errors[0].message


def test_identical_replies_are_a_row_error():
    [result] = read(b'{"prompt": "p", "chosen": "same", "rejected": "same"}')[1]
    assert result.errors[0].field == "rejected" and "same text" in result.errors[0].message


def test_text_longer_than_the_editor_limit_is_a_row_error():
    row = {"prompt": "p", "chosen": "a", "rejected": "b" * 101}
    [result] = read(json.dumps(row).encode(), limits=ImportLimits(max_text_chars=100))[1]
    assert "101 characters, more than the 100 allowed" in result.errors[0].message


def _long_row_file(path: Path, file_type: str, big: int) -> None:
    good = {"prompt": "p", "chosen": "a", "rejected": "b"}
    huge = {"prompt": "p", "chosen": "a", "rejected": "x" * big}
    with path.open("wb") as fh:
        if file_type == "jsonl":
            for row in (good, huge, {**good, "rejected": "c"}):
                fh.write(json.dumps(row).encode() + b"\n")
        elif file_type == "json":
            fh.write(b"[" + json.dumps(good).encode() + b",\n" + json.dumps(huge).encode() + b",\n"
                     + json.dumps({**good, "rejected": "c"}).encode() + b"]")
        else:
            fh.write(b"prompt,chosen,rejected\np,a,b\np,a," + b"x" * big + b"\np,a,c\n")


@pytest.mark.parametrize("file_type", ["jsonl", "json", "csv"])
def test_a_50_mb_line_is_a_row_error_in_bounded_memory(tmp_path, file_type):
    path = tmp_path / f"long.{file_type}"
    _long_row_file(path, file_type, 50 * 1024 * 1024)
    limits = ImportLimits(max_row_bytes=4 * 1024 * 1024)
    tracemalloc.start()
    try:
        _sniffed, results = read(path, limits=limits)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.pair is not None for r in results] == [True, False, True]
    assert "larger than the 4,194,304-byte limit" in results[1].errors[0].message
    assert results[2].pair.rejected == "c"  # reading resumed after the long row
    assert peak < 3 * limits.max_row_bytes, f"peak {peak / 2**20:.1f} MiB"


def test_non_seekable_stream_is_spooled():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = (FIXTURES / "trl_standard.parquet").read_bytes()
    with open_source(Pipe(data)) as src:
        assert src.file_type == "parquet" and src.size == len(data)
        assert len(pairs_of(read_pairs(src))) == 3


_text = st.text(alphabet=st.sampled_from(list('ab"\\[]{},:\n é💥')), max_size=12)
_rows = st.lists(
    st.dictionaries(st.sampled_from(["prompt", "chosen", "x]", "{y"]), st.one_of(_text, st.lists(_text, max_size=3))),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(rows=_rows, chunk=st.integers(min_value=1, max_value=40), indent=st.sampled_from([None, 1]))
def test_json_array_splitting_matches_json_loads_at_any_chunk_size(rows, chunk, indent):
    data = json.dumps(rows, indent=indent, ensure_ascii=False).encode()
    limits = ImportLimits(read_chunk_bytes=chunk)
    with open_source(io.BytesIO(data), "json") as src:
        from app.services.importers.json_array import read_json_array

        raw = list(read_json_array(src, limits))
    assert [r.error for r in raw] == [None] * len(rows)
    assert [r.value for r in raw] == rows
