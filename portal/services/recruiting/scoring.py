"""Explainable CV scoring: pure functions, no database, no Flask.

``score_cv(text, requirements, min_years)`` returns a score from 0 to 100 and the evidence behind
it: which must-haves matched and where (a snippet of the CV), which nice-to-haves, the estimated
years of experience with the date ranges it was computed from, and the missing must-haves.
Matching is case- and accent-insensitive ("Gestão" matches "gestao"), on whole words, and each
requirement matches through any of its synonyms ("Excel" ~ "planilhas").

Weights: must-haves 60 points, nice-to-haves 25 (by weight), experience 15.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from itertools import accumulate
from typing import Any

MUST_POINTS = 60
NICE_POINTS = 25
YEARS_POINTS = 15
SNIPPET_RADIUS = 60
HIGH_SCORE = 70  # and above: a strong match (green)
MID_SCORE = 40  # and above: a partial match (amber); below: weak (red)


# --- normalisation with a map back to the original text --------------------------------------


def fold(text: str) -> str:
    """Lower-case and strip accents ("Gestão" -> "gestao")."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE)


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return "".join(
        p for p in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(p)
    ).lower()


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled on demand; remembers characters that fold to != 1 char."""

    irregular: set[str] = set()

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) != 1:
            self.irregular.add(chr(code))
        if len(self) < 65536:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


class FoldedText:
    """A text, its folded form, and a map from folded offsets back to the original."""

    __slots__ = ("_ends", "folded", "original")

    def __init__(self, original: str) -> None:
        self.original = original
        if original.isascii():
            self.folded = original.lower()
            self._ends: list[int] | None = None  # identity map
        else:
            self.folded = original.translate(_FOLD_TABLE)
            if _FOLD_TABLE.irregular.isdisjoint(original):
                self._ends = None  # every character folded to one character
            else:
                pieces = list(map(_fold_char, original))
                # _ends[i] = folded length after original char i; bisect finds the owner.
                self._ends = list(accumulate(map(len, pieces)))

    @classmethod
    def of(cls, text: str) -> FoldedText:
        return cls(text)

    def _orig(self, folded_offset: int) -> int:
        if self._ends is None:
            return folded_offset
        return min(bisect_right(self._ends, folded_offset), len(self.original) - 1)

    def snippet(self, start: int, end: int, radius: int = SNIPPET_RADIUS) -> str:
        """The original text around folded[start:end], on one line, with ellipses."""
        if not self.original:
            return ""
        o_start = self._orig(start)
        o_end = self._orig(max(start, end - 1)) + 1
        lo = max(0, o_start - radius)
        hi = min(len(self.original), o_end + radius)
        # Do not cut words in half.
        while lo > 0 and not self.original[lo - 1].isspace():
            lo -= 1
            if o_start - lo > radius + 20:
                break
        while hi < len(self.original) and not self.original[hi].isspace():
            hi += 1
            if hi - o_end > radius + 20:
                break
        text = " ".join(self.original[lo:hi].split())
        return ("…" if lo > 0 else "") + text + ("…" if hi < len(self.original) else "")


def _term_pattern(term: str) -> re.Pattern[str] | None:
    words = fold(term).split()
    if not words:
        return None
    body = r"[\s\-/]+".join(re.escape(w) for w in words)
    # Word boundaries that also work for terms ending in symbols ("C++", "C#", ".NET").
    return re.compile(rf"(?<![\w+#]){body}(?![\w+#])")


def find_term(doc: FoldedText, terms: list[str]) -> tuple[str, str] | None:
    """Return (the term that matched, a snippet) for the first of ``terms`` found in ``doc``."""
    best: tuple[int, str, int, int] | None = None
    for term in terms:
        pattern = _term_pattern(term)
        if pattern is None:
            continue
        m = pattern.search(doc.folded)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), term, m.start(), m.end())
    if best is None:
        return None
    return best[1], doc.snippet(best[2], best[3])


# --- years of experience -------------------------------------------------------------------

MONTHS = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
    # Portuguese (folded: no accents)
    "fev": 2, "fevereiro": 2, "janeiro": 1, "marco": 3, "abr": 4, "abril": 4, "mai": 5,
    "maio": 5, "junho": 6, "julho": 7, "ago": 8, "agosto": 8, "set": 9, "setembro": 9,
    "out": 10, "outubro": 10, "novembro": 11, "dez": 12, "dezembro": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = (
    r"(?:(?P<{p}d>\d{{1,2}})/(?P<{p}m1>\d{{1,2}})/(?P<{p}y1>(?:19|20)\d\d)"  # dd/mm/aaaa
    r"|(?P<{p}m2>\d{{1,2}})[/.](?P<{p}y2>(?:19|20)\d\d)"  # mm/aaaa
    r"|\b(?P<{p}mn>" + _MONTH_NAMES + r")\.?(?:\s{{1,20}}de)?\s{{1,20}}(?P<{p}y3>(?:19|20)\d\d)"
    # Jan 2019
    r"|(?P<{p}y4>(?:19|20)\d\d))"  # 2019
)
_PRESENT = (
    r"(?P<present>present|current|currently|now|today|date|atual|atualmente|hoje|"
    r"o\s{1,20}momento|presente|o\s{1,20}presente)"
)
# Every quantifier is bounded, so a range is at most ~200 characters long and its first year
# starts at most ~60 characters after it: ``_ranges`` only runs the expensive pattern near years.
RANGE_RE = re.compile(
    r"(?<![\d/])"
    + _DATE.format(p="a")
    + r"\s{0,20}(?:-|–|—|to|until|ate|a)\s{0,20}(?:"
    + _DATE.format(p="b")
    + r"|"
    + _PRESENT
    + r")(?![\d/])"
)


_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_BEFORE_YEAR = 64  # longest text a range may have before its first year ("setembro de  2019")
_WINDOW = 320  # longer than any range that starts before the year


def _ranges(folded: str) -> list[re.Match[str]]:
    """``RANGE_RE.finditer(folded)``, but searching only around four-digit years.

    Every range contains a year within ``_BEFORE_YEAR`` characters of its start, and is shorter
    than ``_WINDOW``; so the leftmost range at or after ``pos`` is found by searching a window
    around the next year, which is what finditer would return, at a tenth of the cost.
    """
    out: list[re.Match[str]] = []
    pos, size = 0, len(folded)
    while True:
        year = _YEAR_RE.search(folded, pos)
        if year is None:
            return out
        start = max(pos, year.start() - _BEFORE_YEAR)
        m = RANGE_RE.search(folded, start, min(size, year.start() + _WINDOW))
        if m is None or m.start() > year.start():
            pos = year.end()  # no range uses this year as its first; none starts inside it
            continue
        out.append(m)
        pos = m.end()


def _date_of(m: re.Match[str], p: str) -> date | None:
    g = m.groupdict()
    try:
        if g.get(f"{p}y1"):
            return date(int(g[f"{p}y1"]), int(g[f"{p}m1"]), 1)
        if g.get(f"{p}y2"):
            return date(int(g[f"{p}y2"]), int(g[f"{p}m2"]), 1)
        if g.get(f"{p}y3"):
            return date(int(g[f"{p}y3"]), MONTHS[g[f"{p}mn"]], 1)
        if g.get(f"{p}y4"):
            return date(int(g[f"{p}y4"]), 1, 1)
    except (ValueError, KeyError):
        return None
    return None


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


_HEADINGS = {
    "experiencia", "experiencia profissional", "experiencias", "historico profissional",
    "experience", "work experience", "professional experience", "employment",
    "employment history", "formacao", "formacao academica", "educacao", "escolaridade",
    "education", "academic background", "cursos", "courses", "certificacoes", "certifications",
    "idiomas", "languages", "skills", "habilidades", "competencias", "resumo", "summary",
    "perfil", "profile", "objetivo", "objective", "projetos", "projects",
}  # fmt: skip
_STUDY = {
    "formacao", "formacao academica", "educacao", "escolaridade", "education",
    "academic background", "cursos", "courses", "certificacoes", "certifications",
}  # fmt: skip


def study_spans(folded: str) -> list[tuple[int, int]]:
    """Where the education sections are: their dates are studies, not work experience."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    pos = 0
    for line in folded.splitlines(keepends=True):
        heading = line.strip().strip(":").strip()
        if heading in _HEADINGS:
            if start is not None:
                spans.append((start, pos))
                start = None
            if heading in _STUDY:
                start = pos
        pos += len(line)
    if start is not None:
        spans.append((start, pos))
    return spans


def estimate_years(doc: FoldedText, today: date) -> tuple[float, list[dict[str, Any]]]:
    """Sum the work date ranges in the CV (overlaps counted once; education sections skipped)."""
    ranges: list[tuple[int, int, str]] = []
    studies = study_spans(doc.folded)
    for m in _ranges(doc.folded):
        if any(a <= m.start() < b for a, b in studies):
            continue
        start = _date_of(m, "a")
        end = today if m.group("present") else _date_of(m, "b")
        if start is None or end is None or end < start or start > today:
            continue
        end = min(end, today)
        # A bare year as the end ("2016 - 2019") means the whole of that year.
        end_m = _months(end) + (11 if m.groupdict().get("by4") else 0)
        end_m = min(end_m, _months(today))
        ranges.append((_months(start), end_m, doc.snippet(m.start(), m.end(), 0)))
    if not ranges:
        return 0.0, []
    ranges.sort()
    merged: list[list[int]] = []
    for s, e, _ in ranges:
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    total = sum(e - s + 1 for s, e in merged)
    found = [
        {"text": snippet, "months": e - s + 1, "from": _label(s), "to": _label(e)}
        for s, e, snippet in ranges
    ]
    return round(total / 12, 1), found


def _label(months: int) -> str:
    return f"{months % 12 + 1:02d}/{months // 12}"


# --- language ------------------------------------------------------------------------------

_PT = {"de", "e", "em", "com", "para", "experiencia", "empresa", "atual", "formacao", "ate", "na"}
_EN = {"the", "and", "of", "with", "for", "experience", "company", "present", "education", "in"}


def detect_locale(text: str, folded: str | None = None) -> str:
    """Guess whether a CV is Portuguese (pt_BR) or English (en) from common words."""
    words = re.findall(r"[a-z]+", (folded if folded is not None else fold(text))[:20000])
    pt = sum(1 for w in words if w in _PT)
    en = sum(1 for w in words if w in _EN)
    return "pt_BR" if pt > en else "en"


# --- the score -----------------------------------------------------------------------------


def normalise_requirements(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clean a requirement list: names trimmed, synonyms de-duplicated, weight 1..5."""
    out = []
    for r in requirements or []:
        name = " ".join(str(r.get("name", "")).split())
        if not name:
            continue
        synonyms = []
        for s in r.get("synonyms") or []:
            s = " ".join(str(s).split())
            if s and fold(s) != fold(name) and fold(s) not in {fold(x) for x in synonyms}:
                synonyms.append(s)
        try:
            weight = min(5, max(1, int(r.get("weight") or 1)))
        except (TypeError, ValueError):
            weight = 1
        out.append(
            {
                "name": name,
                "synonyms": synonyms,
                "kind": "must" if r.get("kind") == "must" else "nice",
                "weight": weight,
            }
        )
    return out


def score_cv(
    text: str, requirements: list[dict[str, Any]], min_years: int = 0, today: date | None = None
) -> dict[str, Any]:
    """Score ``text`` against the requirements and explain every point."""
    today = today or date.today()
    doc = FoldedText.of(text or "")
    reqs = normalise_requirements(requirements)
    musts = [r for r in reqs if r["kind"] == "must"]
    nices = [r for r in reqs if r["kind"] == "nice"]

    must_found, missing = [], []
    for r in musts:
        hit = find_term(doc, [r["name"], *r["synonyms"]])
        if hit:
            must_found.append({"name": r["name"], "matched": hit[0], "snippet": hit[1]})
        else:
            missing.append(r["name"])
    nice_found, nice_missing = [], []
    for r in nices:
        hit = find_term(doc, [r["name"], *r["synonyms"]])
        if hit:
            nice_found.append(
                {"name": r["name"], "matched": hit[0], "snippet": hit[1], "weight": r["weight"]}
            )
        else:
            nice_missing.append(r["name"])

    years, ranges = estimate_years(doc, today)
    must_pts = MUST_POINTS * len(must_found) / len(musts) if musts else MUST_POINTS
    nice_total = sum(r["weight"] for r in nices)
    nice_pts = (
        NICE_POINTS * sum(r["weight"] for r in nice_found) / nice_total if nice_total else 0.0
    )
    if min_years > 0:
        years_pts = YEARS_POINTS * min(1.0, years / min_years)
    else:
        years_pts = YEARS_POINTS if ranges else YEARS_POINTS / 2
    # Without a nice-to-have list the other parts share its points proportionally.
    scale = 100 / (100 - NICE_POINTS) if not nice_total else 1.0
    score = round((must_pts + nice_pts + years_pts) * scale)
    return {
        "score": max(0, min(100, score)),
        "must": must_found,
        "missing": missing,
        "nice": nice_found,
        "nice_missing": nice_missing,
        "years": years,
        "min_years": min_years,
        "ranges": ranges,
        "points": {
            "must": round(must_pts * scale, 1),
            "nice": round(nice_pts * scale, 1),
            "years": round(years_pts * scale, 1),
        },
        "locale": detect_locale(text or "", doc.folded),
    }


def score_tone(score: int) -> str:
    """The one colour rule of a score: "high", "mid" or "low" (``.score-<tone>`` in the CSS)."""
    if score >= HIGH_SCORE:
        return "high"
    return "mid" if score >= MID_SCORE else "low"


def missing_key(names: list[str]) -> str:
    """The stored form of missing must-haves, searchable with LIKE '%|name|%'."""
    return "|" + "|".join(fold(n) for n in names) + "|" if names else ""


# --- blind review --------------------------------------------------------------------------

# Keep _CUE_WORDS (below) in step: the words each alternative cannot match without.
_CUES = [
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail
    r"\+?\d[\d\s().-]{7,}\d",  # phone
    r"\b\d{1,2}\s*(?:anos(?:\s+de\s+idade)?|years?\s+old)\b",
    r"\b(?:idade|age|sexo|sex|gender|g[eê]nero|estado\s+civil|marital\s+status)\s*:?\s*\S+",
    r"\b(?:data\s+de\s+nascimento|date\s+of\s+birth|nascid[oa]\s+em|born(?:\s+on|\s+in)?)"
    r"\s*:?\s*[\w/.-]+",
    r"\b(?:masculino|feminino|male|female|casad[oa]|solteir[oa]|married|single|divorced)\b",
]


# Each alternative of _CUES needs some plain text to match: the e-mail an "@", the phone a
# digit, the others one of their words.  An alternative that cannot match anywhere in a text
# does not change what the others match, so each text is searched with only the alternatives
# whose words it contains: same alternatives, same order, same result, and most snippets skip
# the costly ones (the e-mail one backtracks over every word; the word lists, any case, are
# slow too).  The words are looked up in the text lowered after mapping the only characters
# that the regular expression engine matches to a Latin letter and lower() does not: İ ı ſ.
_CUE_WORDS: tuple[tuple[str, ...], ...] = (
    ("@",),
    (),  # the phone: a digit (below)
    ("anos", "year"),  # and a digit
    ("idade", "age", "sex", "gender", "nero", "estado", "marital"),
    ("data", "date", "nascid", "born"),
    ("masculino", "feminino", "male", "casad", "solteir", "married", "single", "divorced"),
)
_DIGIT_RE = re.compile(r"\d")
_ANY_CUE_WORD = re.compile("|".join(re.escape(w) for words in _CUE_WORDS[2:] for w in words))


@lru_cache(maxsize=64)
def _cue_re(alternatives: tuple[int, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{_CUES[i]})" for i in alternatives), re.IGNORECASE)


def _fold_case(text: str) -> str:
    """Lowered, after mapping İ ı ſ (which the regular expression engine matches to i, i, s in
    any case but lower() does not); one character per character of ``text``."""
    return text.replace("\u0130", "i").replace("\u0131", "i").replace("\u017f", "s").lower()


def _redact_cues(text: str) -> str:
    folded = _fold_case(text)
    digit = _DIGIT_RE.search(text) is not None
    if _ANY_CUE_WORD.search(folded) is None:  # the usual case: at most the e-mail and phone
        alternatives = (0,) * ("@" in text) + (1,) * digit
    else:
        alternatives = tuple(
            i
            for i, words in enumerate(_CUE_WORDS)
            if (i == 1 and digit) or ((i != 2 or digit) and any(w in folded for w in words))
        )
    if not alternatives:
        return text
    return _cue_re(alternatives).sub("▇▇▇", text)


@lru_cache(maxsize=2048)
def _name_parts(name: str) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The parts of a name worth hiding (longest first), and the same case-folded when a plain
    substring test can rule them out: for letters below U+0250 but µ, the engine matches in any
    case only characters with the same _fold_case (checked over all of Unicode); other scripts
    (Greek ς/σ, Cyrillic в/ᲀ, ...) always go through the pattern."""
    parts = tuple(sorted({p for p in name.split() if len(p) > 2}, key=len, reverse=True))
    folded = tuple(_fold_case(p) for p in parts)
    latin = all(ord(ch) < 0x250 and ch != "µ" for p in folded for ch in p)
    return parts, folded if latin else None


@lru_cache(maxsize=2048)
def _name_re(parts: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all parts of a name: whole words, any case."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, parts)) + r")\b", re.IGNORECASE)


def redactor(name: str | None = None) -> Callable[[str], str]:
    """``redact`` for many texts of one candidate (the name's parts prepared once)."""
    parts, folded = _name_parts(name or "")
    if not parts:
        return _redact_cues

    def redact(text: str) -> str:
        text = _redact_cues(text)
        if folded is not None:
            lowered = _fold_case(text)
            if not any(p in lowered for p in folded):
                return text
        return _name_re(parts).sub("▇▇▇", text)

    return redact


def redact(text: str, name: str | None = None) -> str:
    """Hide contact details, age, gender and marital cues, and the candidate's name."""
    return redactor(name)(text)
