"""Responses of a chosen length and the small edits simulated annotators make to them."""

import random

SENTENCES = [
    "Put the egg in a small pot and cover it with cold water.",
    "Bring the water to a boil over medium heat, then lower the heat.",
    "Let it simmer for nine minutes if you want a firm yolk.",
    "Move the egg into a bowl of iced water so that it stops cooking.",
    "Peel it under running water, starting from the wide end.",
    "A fresh egg is harder to peel than one that is a week old.",
    "Salt in the water does not change how the egg cooks.",
    "If the shell cracks, a spoon of vinegar keeps the white inside.",
]
# Words an annotator swaps in: a few changed words per save keeps every edit minimal.
SWAPS = ["gently", "slowly", "carefully", "quickly", "warm", "cool", "large", "small"]


def response_text(words: int, seed: int = 0) -> str:
    """A response of about `words` words made of plain how-to sentences (deterministic for a seed)."""
    rng = random.Random(seed)
    out: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(SENTENCES)
        out.append(sentence)
        count += len(sentence.split())
    return " ".join(out)


def small_edit(text: str, step: int, rng: random.Random) -> str:
    """`text` with `step % 3 + 1` words replaced: what an annotator has typed by their `step`-th pause."""
    words = text.split(" ")
    for k in range(step % 3 + 1):
        at = (rng.randrange(len(words)) + k) % len(words)
        words[at] = SWAPS[(step + k) % len(SWAPS)]
    return " ".join(words)
