"""Personal data typed into open answers, replaced by a visible marker before anything is written.

Ingest passes every free-text cell (open questions and "Other (please specify)"
texts) through a :class:`Redactor`, each distinct value once. It removes:

- e-mail addresses, URLs (with a scheme, ``www.``, or a bare domain under a common
  top-level domain), IPv4 and IPv6 addresses (checked by :mod:`ipaddress`);
- phone numbers: an optional ``+`` and groups of digits split by spaces, dots,
  hyphens or a bracketed area code (``+44 20 7946 0958``, ``(555) 123-4567``,
  ``0171 234 5678``), 9 to 15 digits (8 after a ``+``), or 10 to 15 digits
  unbroken; runs of years
  (``2012-2013``), thousands (``100 000 000``), dates, percentages and numbers
  inside words or amounts are left alone. A regular expression, not Google's
  ``phonenumbers``: its matcher needs the respondent's country, finds
  fictional and retired numbers (555-…, 0171) only at a leniency that also
  takes years and counts for numbers, and is ten times slower;
- the export's own identities, any respondent's, compared case- and
  accent-insensitively as whole words: a first name followed by the same
  respondent's surname, or the surname then the first name ("Jane Smith",
  "SMITH, jane"), whatever their length; a first name or surname standing
  alone when it has at least three letters ("Jane", "smith", but not "Al" or
  "Li"), and, if it is also a common English word (:data:`COMMON_WORDS`: "will",
  "mark", "young"), only when written with a capital; an external reference of
  at least four characters, word by word ("CRM-004512" also as "crm 004512").

What was removed is counted per kind: :func:`redaction_counts` counts the
markers in any sequence of texts, so the report can state how many of its
respondents' answers were redacted (a marker a respondent typed counts too).
Cleaning's ``recode_other`` patterns see the redacted text, markers included:
a pattern such as ``mail`` would match ``[e-mail removed]``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import compute as pc

MARKERS = {
    "email": "[e-mail removed]",
    "phone": "[phone number removed]",
    "ip_address": "[IP address removed]",
    "url": "[URL removed]",
    "name": "[name removed]",
    "reference": "[reference removed]",
}
NOUNS = {  # how the log names each kind (singular, plural)
    "email": ("e-mail address", "e-mail addresses"),
    "phone": ("phone number", "phone numbers"),
    "ip_address": ("IP address", "IP addresses"),
    "url": ("URL", "URLs"),
    "name": ("name", "names"),
    "reference": ("external reference", "external references"),
}
MIN_NAME_LETTERS = 3  # a first name or surname alone ("Al", "Li" are only removed beside the other half)
MIN_REFERENCE_CHARS = 4
# English words of everyday survey prose that are also given names or surnames: alone,
# these are removed only when written with a capital ("Will said", not "we will").
COMMON_WORDS = frozenset(
    """
    april august baker bell best bill black bond brown case cash chance chase close cook cross day
    dean early east fair faith field ford fox frank gay gold good grace grant gray green grey hall
    hill hope hunter joy june king lane law long love major mark marsh may mill miles moss north
    page park pat power price rich rose sales sharp short small south spring stone strong summer
    sweet taylor trust walker ward west white will winter wise wood young
    """.split()
)

_URL = (
    r"\b(?:https?|ftp)://[^\s<>\"]*[^\s<>\".,;:!?)\]'’]"
    r"|\bwww\.[^\s<>\"]*[^\s<>\".,;:!?)\]'’]"
    r"|(?<![\w.@-])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|info|biz)(?:\.[a-z]{2})?\b(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]'’])?"
)
_EMAIL = r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"
_IPV6 = r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|\d{1,3}(?:\.\d{1,3}){3})(?:%\w+)?(?![\w:])"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)"
_PHONE = (
    r"(?<![\w$€£¥+.,/:-])"
    r"(?:\+?\d{10,15}|\+\d{8,9}"  # unbroken
    r"|\+?(?:\d{1,6}|\(\d{1,5}\))(?:(?:[ .-]|(?<=\)))\d{1,6}|[ .-]?\(\d{1,5}\)){1,6})"  # groups, a bracketed area code
    r"(?![\w%]|[.,/:-]\d)"
)
URL, EMAIL, IPV6, IPV4, PHONE = (re.compile(p, re.IGNORECASE) for p in (_URL, _EMAIL, _IPV6, _IPV4, _PHONE))
MAY_HOLD_URL = re.compile(r"://|www\.|\.(?:com|org|net|edu|gov|io|info|biz)\b", re.IGNORECASE)
IPV4_HINT = re.compile(r"\d\.\d")
PHONE_HINT = re.compile(r"\d[\d .()-]{6,}\d")  # eight characters of digits and separators: what every phone number has
_MARKER_SPLIT = re.compile("(" + "|".join(re.escape(m) for m in MARKERS.values()) + ")")
WORD = re.compile(r"[^\W_]+")
GAP = re.compile(r"[\s,.'’_/-]{1,3}")  # what may stand between the words of one name or reference
YEAR = re.compile(r"(?:19|20)\d\d")

Phrase = tuple[str, ...]


def redaction_counts(texts: Iterable[object]) -> dict[str, int]:
    """How many markers of each kind (keys of :data:`MARKERS`) the texts hold; missing values are skipped."""
    counts = dict.fromkeys(MARKERS, 0)
    for text in texts:
        if isinstance(text, str) and "[" in text:
            for kind, marker in MARKERS.items():
                counts[kind] += text.count(marker)
    return counts


def column_redaction_counts(columns: Iterable[pd.Series]) -> dict[str, int]:
    """:func:`redaction_counts` of every text in ``columns`` (columns of typed texts), counted by Arrow: a million
    respondents' answers in a fraction of a second, not a Python loop over each."""
    counts = dict.fromkeys(MARKERS, 0)
    for column in columns:
        texts = pa.array(column.astype("string"), type=pa.large_string(), from_pandas=True)
        for kind, marker in MARKERS.items():
            counts[kind] += pc.sum(pc.count_substring(texts, marker)).as_py() or 0
    return counts


def _fold(text: str) -> str:
    """Text as identities are compared: accents dropped, lower case (as :func:`_fold_arrow` does)."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.lower()


def _arrow(values: pd.Series) -> pa.Array:
    array = pa.array(values.astype(str), pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _fold_arrow(array: pa.Array) -> pa.Array:
    """Identity values folded as :func:`_fold` folds text, their words joined by single spaces ("" when blank)."""
    if not pc.all(pc.string_is_ascii(array)).as_py():
        array = pc.replace_substring_regex(pc.utf8_normalize(array, "NFKD"), r"\p{Mn}", "")
    return pc.utf8_trim(pc.replace_substring_regex(pc.utf8_lower(array), r"[^\p{L}\p{N}]+", " "), " ")


def _is_phone(candidate: str) -> bool:
    groups = re.findall(r"\d+", candidate)
    digits = sum(map(len, groups))
    if not (8 if candidate.startswith("+") else 9) <= digits <= 15:
        return False
    if all(len(g) == 4 and YEAR.fullmatch(g) for g in groups):
        return False  # 2010 2011 2012
    separators = set(re.findall(r"\D", candidate))
    thousands = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) and len(separators) == 1
    return not (thousands and separators <= {" ", "."})


def _ipv6(match: re.Match) -> str:
    text = match.group()
    try:
        ipaddress.IPv6Address(text.split("%")[0])
    except ValueError:
        return text  # a time, a ratio
    return MARKERS["ip_address"] if any(c.isalnum() for c in text) else text


def _phone(match: re.Match) -> str:
    return MARKERS["phone"] if _is_phone(match.group()) else match.group()


def redact_patterns(text: str) -> str:
    """URLs, e-mail addresses, IP addresses and phone numbers replaced, in that order; each pass only where it can match."""
    if MAY_HOLD_URL.search(text):
        text = URL.sub(MARKERS["url"], text)
    if "@" in text:
        text = EMAIL.sub(MARKERS["email"], text)
    if ":" in text:
        text = IPV6.sub(_ipv6, text)
    if IPV4_HINT.search(text):
        text = IPV4.sub(MARKERS["ip_address"], text)
    if PHONE_HINT.search(text):
        text = PHONE.sub(_phone, text)
    return text


class Redactor:
    """Removes personal data from free text; see the module's docstring for what and how.

    The export's identities stay in Arrow arrays: the texts of a column are searched
    for the words that begin a name or reference, and only the phrases those words
    start are looked up, so a million respondents' identities never become Python
    strings.
    """

    def __init__(self, pii: pd.DataFrame):
        """``pii``: an export's identity columns (keys ``first_name``, ``last_name``, ``name``, ``external_reference``).

        ``name`` holds a whole name, "Smith, Jane" or "Jane Smith".
        """
        blank = pd.Series("", index=pii.index, dtype=object)
        first, last = (pii.get(key, blank).fillna("").astype(str) for key in ("first_name", "last_name"))
        if "name" in pii:
            whole = pii["name"].fillna("").astype(str).str.strip()
            by_comma, by_space = whole.str.partition(","), whole.str.rpartition(" ")
            comma = by_comma[1].eq(",")
            first = first.where(first.ne(""), by_comma[2].where(comma, by_space[0]))
            last = last.where(last.ne(""), by_comma[0].where(comma, by_space[2]))
        # each distinct name and each distinct (first name, surname) pair is folded once
        first, last = pc.dictionary_encode(_arrow(first)), pc.dictionary_encode(_arrow(last))
        firsts, lasts = _fold_arrow(first.dictionary), _fold_arrow(last.dictionary)
        pairs = np.unique(first.indices.to_numpy().astype(np.int64) * len(lasts) + last.indices.to_numpy())
        pair_first, pair_last = firsts.take(pairs // len(lasts)), lasts.take(pairs % len(lasts))
        both = pc.and_(pc.not_equal(pair_first, ""), pc.not_equal(pair_last, ""))
        tab = pa.scalar("\t", pa.large_string())
        self.pairs = _distinct(pc.binary_join_element_wise(pair_first.filter(both), pair_last.filter(both), tab))
        self.names = _distinct(pa.concat_arrays([firsts, lasts]))
        references = pc.utf8_trim_whitespace(pc.unique(_arrow(pii.get("external_reference", blank).fillna(""))))
        self.references = _distinct(
            _fold_arrow(references.filter(pc.greater_equal(pc.utf8_length(references), MIN_REFERENCE_CHARS)))
        )
        known = pa.concat_arrays([self.names, self.references])
        self.starts = _distinct(pc.list_element(pc.split_pattern(known, " ", max_splits=1), 0))
        self.longest = pc.max(pc.count_substring(known, " ")).as_py() + 1 if len(known) else 0
        self.kinds: dict[Phrase, str] = {}  # the phrases found so far in texts: "name" or "reference"
        self.firsts: set[str] = set()  # their first words
        self.couples: set[tuple[Phrase, Phrase]] = set()  # (first name, surname) pairs found so far
        self.seen: set[str] = set()  # words already looked up
        self.beginnings: set[str] = set()  # of those, the words that begin a name or reference
        self.counts: Counter[str] = Counter()

    # -- what the texts hold --------------------------------------------------------------

    def learn(self, texts: list[str]) -> None:
        """Look up, in the export's identities, the phrases these texts could spell."""
        if not self.longest:
            return
        words: set[str] = set()
        for text in texts:
            words.update(WORD.findall(_fold(text)))
        self.beginnings.update(_found(words - self.seen, self.starts))
        self.seen |= words
        starts = self.beginnings & words
        if not starts:
            return
        phrases, spelled = set(), []
        for text in texts:
            tokens = WORD.findall(_fold(text))
            if not starts.isdisjoint(tokens):
                spelled.append(tokens)
                phrases.update(
                    " ".join(tokens[i : i + k]) for i, t in enumerate(tokens) if t in starts for k in range(1, self.longest + 1)
                )
        names, references = set(_found(phrases, self.names)), set(_found(phrases, self.references))
        self.kinds.update({tuple(p.split()): "name" for p in names} | {tuple(p.split()): "reference" for p in references})
        self.firsts = {phrase[0] for phrase in self.kinds}
        couples = set()
        for tokens in spelled:
            for i in (i for i, t in enumerate(tokens) if t in self.firsts):
                for k in range(1, self.longest + 1):
                    if " ".join(tokens[i : i + k]) in names:
                        couples.update(
                            (" ".join(tokens[i : i + k]), " ".join(tokens[i + k : i + k + m])) for m in range(1, self.longest + 1)
                        )
        pairs = [f"{a}\t{b}" for a, b in couples] + [f"{b}\t{a}" for a, b in couples]
        self.couples.update(tuple(tuple(half.split()) for half in pair.split("\t")) for pair in _found(pairs, self.pairs))

    # -- one text ---------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """The text with every piece of personal data replaced by its kind's marker."""
        text = redact_patterns(text)
        self.learn([text])
        return self._identities_outside_markers(text)

    def _identities_outside_markers(self, text: str) -> str:
        if not self.kinds:
            return text
        pieces = _MARKER_SPLIT.split(text)  # markers themselves are not searched for names
        return "".join(p if n % 2 else self._identities(p) for n, p in enumerate(pieces))

    def _identities(self, text: str) -> str:
        if self.firsts.isdisjoint(WORD.findall(_fold(text))):
            return text
        if text.isascii():  # folding keeps every position
            tokens = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text.lower())]
        else:
            tokens = [(m.start(), m.end(), _fold(m.group())) for m in WORD.finditer(text)]
        out, position, i = [], 0, 0
        while i < len(tokens):
            found = self._match(text, tokens, i) if tokens[i][2] in self.firsts else None
            if found is None:
                i += 1
                continue
            end, kind = found
            out += [text[position : tokens[i][0]], MARKERS[kind]]
            position, i = tokens[end - 1][1], end
        return "".join(out) + text[position:]

    def _phrases_at(self, text: str, tokens: list, i: int) -> list[Phrase]:
        """The known phrases that the words from ``tokens[i]`` spell (one name's words apart by a space, comma or hyphen at most), longest first."""
        found = []
        for k in range(1, min(self.longest, len(tokens) - i) + 1):
            if k > 1 and not GAP.fullmatch(text, tokens[i + k - 2][1], tokens[i + k - 1][0]):
                break
            phrase = tuple(t[2] for t in tokens[i : i + k])
            if phrase in self.kinds:
                found.append(phrase)
        return found[::-1]

    def _match(self, text: str, tokens: list, i: int) -> tuple[int, str] | None:
        """(token index after the match, kind) of the identity starting at token ``i``, if any."""
        phrases = self._phrases_at(text, tokens, i)
        names = [p for p in phrases if self.kinds[p] == "name"]
        for phrase in names:  # a whole name: first name and surname of one respondent, either order
            j = i + len(phrase)
            if j < len(tokens) and GAP.fullmatch(text, tokens[j - 1][1], tokens[j][0]):
                for other in self._phrases_at(text, tokens, j):
                    if (phrase, other) in self.couples or (other, phrase) in self.couples:
                        return j + len(other), "name"
        for phrase in phrases:
            if self.kinds[phrase] == "reference":
                return i + len(phrase), "reference"
        for phrase in names:
            if len(phrase) > 1 or self._alone(text[tokens[i][0] : tokens[i][1]], phrase[0]):
                return i + len(phrase), "name"
        return None

    @staticmethod
    def _alone(written: str, folded: str) -> bool:
        """Whether a one-word first name or surname standing alone is removed."""
        if len(folded) < MIN_NAME_LETTERS or not folded.isalpha():
            return False
        return folded not in COMMON_WORDS or written[0].isupper()

    # -- a column ---------------------------------------------------------------------------

    def column(self, values: pa.Array) -> pa.Array:
        """A column of texts redacted, each distinct value once (missing values untouched); counts kept in ``counts``."""
        encoded = pc.dictionary_encode(values)
        uniques = encoded.dictionary.to_pylist()
        texts = [redact_patterns(u) for u in uniques]
        self.learn(texts)
        texts = [self._identities_outside_markers(t) for t in texts]
        changed = [n for n, (a, b) in enumerate(zip(uniques, texts)) if a != b]
        if not changed:
            return values
        frequency = np.bincount(pc.drop_null(encoded.indices).to_numpy(), minlength=len(uniques))
        for n in changed:
            before, after = redaction_counts([uniques[n]]), redaction_counts([texts[n]])
            for kind in MARKERS:
                self.counts[kind] += (after[kind] - before[kind]) * int(frequency[n])
        return pa.array(texts, values.type).take(encoded.indices)

    def summary(self) -> str:
        """What was removed, per kind, as the log says it."""
        parts = [f"{self.counts[k]} {NOUNS[k][self.counts[k] != 1]}" for k in MARKERS]
        return "personal data removed from open answers: " + ", ".join(parts)


def _distinct(values: pa.Array) -> pa.Array:
    """The distinct non-blank values."""
    values = pc.unique(values)
    return values.filter(pc.not_equal(values, ""))


def _found(candidates: Iterable[str], values: pa.Array) -> list[str]:
    """The candidates that are among ``values`` (looked up by Arrow)."""
    candidates = pa.array(sorted(candidates), pa.large_string())
    return candidates.filter(pc.is_in(candidates, value_set=values)).to_pylist()
