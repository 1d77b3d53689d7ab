"""Synthetic but realistic responses and minimal edits for the alignment benchmark (no downloads).

Responses are sentences of common English words with punctuation, numbers, occasional lists and
paragraphs; edits are what an annotator does: replace a word or a short phrase, delete a clause,
insert a few words, fix a number, all at word level.
"""

from __future__ import annotations

import random

WORDS = """
the of and to in a is that for it as was with be by on not he this are or his from at which but have an
they you were her she there one all we their has been would when if will more no out so said what up its
about into than them can only other new some could time these two may then do first any my now such like
our over man me even most made after also did many before must through back years where much your way
well down should because each just those people how too little state good very make world still own see
men work long get here between both life being under never day same another know while last might us
great old year off come since against go came right used take three states himself few house use during
without again place around however home small found thought went say part once general high upon school
every does got united left number course war until always away something fact though water less public
put think almost hand enough far took head yet government system better set told nothing night end why
called didn find going look asked later knew point next program city business give group toward young
let room president side social given present several order national possible rather second face per
among form important often things looked early white case john become large big need four within felt
along children saw best church ever least power development light thought family interest want members
mind country area others done turned although open problem sense service certain kind began thing
model data value result method answer question example reason step simple clear level change rate
""".split()
CONNECTORS = ["however", "therefore", "for example", "in practice", "as a result", "in short", "first",
              "finally", "on the other hand", "in general"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 20))]
    if rng.random() < 0.25:
        words.insert(rng.randint(1, len(words) - 1), str(rng.choice([2, 3, 5, 10, 12, 40, 100, 1998, 2024])))
    if rng.random() < 0.3:
        words.insert(0, rng.choice(CONNECTORS) + ",")
    if rng.random() < 0.25:
        cut = rng.randint(2, len(words) - 1)
        words[cut - 1] += ","
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!:")


def make_response(rng: random.Random, target_words: int) -> str:
    """About `target_words` words in paragraphs, sometimes with a numbered or bulleted list."""
    paragraphs: list[str] = []
    count = 0
    while count < target_words:
        if rng.random() < 0.15:
            bullet = rng.choice(["-", "*", "1."])
            items = [f"{bullet} {_sentence(rng)}" for _ in range(rng.randint(2, 4))]
            block = "\n".join(items)
        else:
            block = " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
        paragraphs.append(block)
        count += len(block.split())
    return "\n\n".join(paragraphs)


def make_edit(rng: random.Random, text: str) -> str:
    """A minimal edit: 1 to 6 word-level operations at random places."""
    words = text.split(" ")
    for _ in range(rng.randint(1, 6)):
        if len(words) < 4:
            break
        at = rng.randrange(len(words))
        op = rng.random()
        if op < 0.45:  # replace a word (keeping its trailing punctuation)
            word = words[at]
            tail = word[len(word.rstrip(".,!?:")):]
            words[at] = rng.choice(WORDS) + tail
        elif op < 0.65:  # delete one to three words
            del words[at:at + rng.randint(1, 3)]
        elif op < 0.85:  # insert one to four words
            words[at:at] = [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
        else:  # rewrite a short phrase
            words[at:at + rng.randint(2, 5)] = [rng.choice(WORDS) for _ in range(rng.randint(2, 6))]
    return " ".join(words)


def make_pairs(count: int, seed: int = 0, min_words: int = 150, max_words: int = 300) -> list[tuple[str, str]]:
    """`count` (original, edited) pairs of responses of min_words..max_words words."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        original = make_response(rng, rng.randint(min_words, max_words))
        pairs.append((original, make_edit(rng, original)))
    return pairs
