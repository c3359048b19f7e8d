"""Vietnamese names as people type and read them: search that ignores diacritics and case
(`ben thanh` finds "Bến Thành"), and the dictionary's order (a ă â b c d đ e ê ..., then tones)."""

from __future__ import annotations

import unicodedata

# Letters of the Vietnamese alphabet in dictionary order; f, j, w, z (foreign words) after y.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyfjwz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Combining marks that make a different letter (ă â ê ô ơ ư) rather than a tone.
_SHAPE = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn
# Tones in dictionary order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def fold(text: str) -> str:
    """Lower case without diacritics, spaces collapsed: what a search compares."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def matches(query: str, text: str) -> bool:
    """Every word of the query starts a word of the text, diacritics and case aside
    ('ben th' finds 'Bến Thành', 'thanh' finds 'Bến Thành' and 'Thạnh An')."""
    words = fold(text).split()
    return all(any(w.startswith(q) for w in words) for q in fold(query).split())


def sort_key(text: str) -> tuple:
    """Vietnamese collation: letters first (đ after d, ơ after ô ...), tones only break ties."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _TONE:
            if tones:
                tones[-1] = _TONE[ch]
            continue
        if ch in _SHAPE and letters:
            base = _ALPHABET[letters[-1]] if 0 <= letters[-1] < len(_ALPHABET) else ""
            shaped = unicodedata.normalize("NFC", base + ch)
            if shaped in _RANK:
                letters[-1] = _RANK[shaped]
            continue
        if unicodedata.combining(ch):
            continue
        if ch in _RANK:
            letters.append(_RANK[ch])
        elif ch.isdigit():
            letters.append(-20 + int(ch))  # digits before letters
        elif ch.isspace():
            letters.append(-30)  # "An Phú" before "Anh"
        else:
            letters.append(100 + ord(ch))
        tones.append(0)
    return tuple(letters), tuple(tones)


def sorted_vi(items, key=lambda x: x):
    return sorted(items, key=lambda x: sort_key(key(x)))
