"""`redline align`: the diff of two text files and the token labels it gives, in colour or as JSON."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from app.cli.groups import root
from app.config import get_settings

if TYPE_CHECKING:
    from training.alignment import Alignment

LABEL_STYLES = {-1: "bold white on red", 1: "bold black on green", 0: ""}
VISIBLE_WHITESPACE = str.maketrans({"\n": "↵\n", "\t": "→", "\r": "␍"})


def _read_text(path: Path, name: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # newline="": keep \r\n as written
            return handle.read()
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(f"{path} is not UTF-8 text ({exc.reason})", param_hint=name) from exc


def _print_alignment(alignment: "Alignment") -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    diff = Text()
    at = 0
    for h in alignment.hunks:
        diff.append(alignment.original[at:h.orig_start])
        diff.append(alignment.original[h.orig_start:h.orig_end], style="red strike")
        diff.append(alignment.edited[h.edit_start:h.edit_end], style="green")
        at = h.orig_end
    diff.append(alignment.original[at:])
    console.rule("diff")
    console.print(diff)
    for title, tokens in (("original tokens", alignment.original_tokens), ("edited tokens", alignment.edited_tokens)):
        console.rule(f"{title} (-1 red, +1 green)")
        line = Text()
        for k, token in enumerate(tokens):
            if k:
                line.append("|", style="dim")
            line.append(token.text.translate(VISIBLE_WHITESPACE), style=LABEL_STYLES[token.label])
        console.print(line)
    s = alignment.stats
    console.rule("stats")
    console.print(
        f"{s.hunks} hunks; characters -{s.changed_chars_original} +{s.changed_chars_edited}; "
        f"words -{s.changed_words_original} +{s.changed_words_edited} of {s.words_original}; "
        f"tokens -{s.changed_tokens_original} +{s.changed_tokens_edited} of {s.tokens_original}; "
        f"edit ratio {s.edit_ratio:.3f}; tokenizer {alignment.tokenizer_name}"
    )


@root.command("align")
def align_files(
    original_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The original response."),
    edited_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Its minimally edited version."),
    tokenizer: str | None = typer.Option(
        None, "--tokenizer", help="Bundled name, local tokenizer directory or hub name (default: the bundled one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole alignment as JSON."),
) -> None:
    """Show the diff of two files and the token labels it gives (-1 removed, +1 inserted, 0 unchanged)."""
    from training.alignment import align
    from training.tokenizers import TokenizerError

    original = _read_text(original_file, "ORIGINAL_FILE")
    edited = _read_text(edited_file, "EDITED_FILE")
    try:
        alignment = align(original, edited, tokenizer, cache_dir=get_settings().model_cache_dir)
    except TokenizerError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tokenizer") from exc
    if as_json:
        typer.echo(json.dumps(alignment.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_alignment(alignment)
