"""`redline align`: colour diff and labelled tokens, or the whole alignment as JSON."""

import json
from pathlib import Path

from typer.testing import CliRunner

import app.cli.align  # noqa: F401  (registers the command)
from app.cli.groups import root

runner = CliRunner()


def _files(tmp_path: Path, original: str, edited: str) -> tuple[str, str]:
    a, b = tmp_path / "original.txt", tmp_path / "edited.txt"
    a.write_bytes(original.encode("utf-8"))
    b.write_bytes(edited.encode("utf-8"))
    return str(a), str(b)


def test_json_prints_the_whole_alignment_and_keeps_crlf(tmp_path: Path) -> None:
    a, b = _files(tmp_path, "The cat sat.\r\nOn the mat.", "The black cat sat.\r\nOn a mat.")
    result = runner.invoke(root, ["align", a, b, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["original"] == "The cat sat.\r\nOn the mat."
    assert data["hunks"][0] == {"orig_start": 3, "orig_end": 3, "edit_start": 3, "edit_end": 9}
    assert [t["text"] for t in data["edited_tokens"] if t["label"] == 1] == [" black", " a"]
    assert data["stats"]["hunks"] == 2 and data["tokenizer"] == "smollm2-135m-instruct"


def test_colour_output_shows_diff_tokens_and_stats(tmp_path: Path) -> None:
    a, b = _files(tmp_path, "The cat sat on the mat.", "The dog sat on the mat.")
    result = runner.invoke(root, ["align", a, b], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for expected in ("diff", "original tokens", "edited tokens", " cat", " dog", "1 hunks", "tokens -1 +1"):
        assert expected in result.output


def test_other_tokenizer_and_bad_input(tmp_path: Path) -> None:
    from training.bundled import bundled_tokenizer_dir

    a, b = _files(tmp_path, "one two", "one three")
    result = runner.invoke(root, ["align", a, b, "--json", "--tokenizer", str(bundled_tokenizer_dir())])
    assert result.exit_code == 0 and json.loads(result.output)["tokenizer"] == str(bundled_tokenizer_dir())
    offline = runner.invoke(root, ["align", a, b, "--tokenizer", "org/not-here"], env={"HF_HUB_OFFLINE": "1"})
    assert offline.exit_code == 2 and "HF_HUB_OFFLINE" in offline.output
    missing = runner.invoke(root, ["align", a, str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    not_text = runner.invoke(root, ["align", a, str(binary)])
    assert not_text.exit_code == 2 and "UTF-8" in not_text.output
