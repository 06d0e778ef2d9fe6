"""Candidate words for the kiosk's on-screen pinyin keyboard, drawn from the catalogue's own vocabulary.

A touch kiosk has no keyboard and no input method. What a citizen searches for is already written in the
catalogue: guide names, keywords and themes, disclosure titles and categories, and the everyday words of
index.SYNONYMS. Every run of 1-6 characters of those texts is a candidate, found by its full pinyin (shebao), its
initials (sb) or the start of its full pinyin (sheb, while still typing); a whole keyword or everyday word ranks
before a fragment, then the more frequent, then the shorter. Part of the core: no Flask.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.catalogue.index import SYNONYMS
from queue_server.catalogue.index import syllables
from queue_server.storage.catalogue import DisclosureDocument
from queue_server.storage.catalogue import GuideItem

MAX_GRAM = 6
HANZI_RUN = re.compile(r"[\u3400-\u9fff]+")
LETTERS = re.compile(r"[a-z]{1,30}")


@dataclass(frozen=True)
class Candidate:
    word: str
    full: str  # full pinyin, toneless (shebao)
    initials: str  # sb
    count: int  # how often the run appears in the catalogue's texts
    whole: bool  # a keyword, theme or everyday word in its own right, not a fragment of a title


class Vocabulary:
    """The catalogue's words by pinyin; built once from the texts, asked many times."""

    def __init__(self, texts: Iterable[str], words: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        spelled: dict[str, tuple[str, str]] = {}
        whole = {w for w in words if HANZI_RUN.fullmatch(w or "") and len(w) <= MAX_GRAM}
        for text in [*texts, *whole]:
            for run in HANZI_RUN.findall(text or ""):
                spelled_run = syllables(run)
                if len(spelled_run) != len(run):  # a character pypinyin cannot split: skip the run
                    continue
                for size in range(1, min(MAX_GRAM, len(run)) + 1):
                    for start in range(len(run) - size + 1):
                        gram = run[start:start + size]
                        counts[gram] += 1
                        if gram not in spelled:
                            part = spelled_run[start:start + size]
                            spelled[gram] = ("".join(part), "".join(p[0] for p in part if p))
        self._entries = [Candidate(w, spelled[w][0], spelled[w][1], n, w in whole) for w, n in counts.items()]

    def candidates(self, letters: str, limit: int = 12) -> list[str]:
        """Words for what was typed so far: full pinyin, initials (two letters or more) or a full pinyin's start."""
        q = letters.strip().lower()
        if not LETTERS.fullmatch(q):
            return []
        ranked = []
        for c in self._entries:
            if c.full == q:
                how = 0
            elif len(q) >= 2 and len(c.word) >= 2 and c.initials == q:
                how = 1
            elif c.full.startswith(q) and (c.whole or c.count >= 2):  # no one-off fragments of a title
                how = 2
            else:
                continue
            ranked.append(((how, not c.whole, len(c.word) == 1 and how != 0, -c.count, len(c.word), c.word), c.word))
        ranked.sort()
        return [word for _, word in ranked[:limit]]


def build(session: Session) -> Vocabulary:
    texts: list[str] = []
    words: list[str] = list(SYNONYMS)
    for name, theme, keywords in session.execute(select(GuideItem.name, GuideItem.theme, GuideItem.keywords)):
        texts.append(name)
        words.extend([theme or "", *(keywords or "").split()])
    for title, category in session.execute(select(DisclosureDocument.title, DisclosureDocument.category)):
        texts.append(title)
        words.append(category or "")
    return Vocabulary(texts, words)
