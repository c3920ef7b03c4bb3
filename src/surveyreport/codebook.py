"""The questionnaire as configured: questions, choices and the export columns holding them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .configuration import load_yaml
from .errors import SurveyError

CLOSED_TYPES = ("single", "rating", "multi", "matrix", "rank", "nps")
GRID_TYPES = ("matrix", "rank", "numeric", "multi")  # may hold statements: a row each, its own export column(s)
NUMERIC_TYPES = ("numeric",)
NPS_NETS = (("promoters", "Promoters (9–10)", range(9, 11)), ("passives", "Passives (7–8)", range(7, 9)),
            ("detractors", "Detractors (0–6)", range(0, 7)))  # fmt: skip
NET = "net:"  # prefix of a net's id in the crosstab: no choice id holds a colon


@dataclass(frozen=True)
class Choice:
    code: int
    id: str
    label: str
    nonsubstantive: bool = False
    text: bool = False
    match: str = ""  # the text an export holds for the choice, where it differs from ``label`` (a typo kept by the survey)

    @property
    def matched(self) -> str:
        """The choice's text as an export holds it."""
        return self.match or self.label


@dataclass(frozen=True)
class Statement:
    """One row of a grid: a matrix's statement, a rank-order item, one slider or constant-sum field."""

    id: str
    column: str
    import_id: str
    text: str


@dataclass(frozen=True)
class Net:
    """Answers counted together ("top 2 box"): its crosstab id is ``net:<id>``."""

    id: str
    label: str
    choices: tuple[str, ...]

    @property
    def key(self) -> str:
        return NET + self.id


@dataclass(frozen=True)
class Column:
    """One column a question occupies: its name in the export (Qualtrics' naming) and in the tidy table.

    ``part`` is the question, or the grid's statement, it holds; ``choice`` the choice of a
    multi-select's tick or of a "please specify" text; ``text`` marks such a text (an open
    question's answer is not one).
    """

    export: str
    tidy: str
    part: Question
    choice: Choice | None = None
    text: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    column: str
    import_id: str
    type: str
    text: str
    topic: str = ""
    choices: tuple[Choice, ...] = ()
    surveymonkey: str = ""  # the question's heading in a SurveyMonkey export, where it differs from ``text``
    base: str = "answered"  # a multi-select's base: "answered" (ticked anything) or "respondents" (everyone)
    statements: tuple[Statement, ...] = ()  # a grid's rows, each its own export column
    nets: tuple[Net, ...] = ()  # answers counted together: a matrix's top and bottom boxes, an NPS's groups
    parent: str = ""  # a statement's question: the grid it is a row of
    statement: str = ""  # a statement's own text (``text`` is the grid's wording)

    @property
    def closed(self) -> bool:
        return self.type in CLOSED_TYPES

    @property
    def multi(self) -> bool:
        return self.type == "multi"

    def choice(self, choice_id: str) -> Choice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        known = ", ".join(c.id for c in self.choices)
        raise SurveyError(f"question {self.id!r} has no choice {choice_id!r} (choices: {known})")

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def parts(self) -> tuple[Question, ...]:
        """What the crosstab and scores treat as one question: each statement of a grid, else the question itself.

        A statement is a question of the grid's type and choices, with id ``<question>.<statement>``:
        its tidy column, and its name in every table.
        """
        if not self.statements:
            return (self,)
        return tuple(
            Question(
                id=f"{self.id}.{s.id}",
                column=s.column,
                import_id=s.import_id,
                type=self.type,
                text=self.text,
                topic=self.topic,
                choices=self.choices,
                base=self.base,
                nets=self.nets,
                parent=self.id,
                statement=s.text,
            )
            for s in self.statements
        )

    @property
    def scored(self) -> bool:
        """Summarised by a number per banner column: a mean (numeric, a matrix's scale, a rank) or the NPS."""
        return self.type in ("matrix", "rank", "numeric", "nps")

    def scale_values(self) -> dict[str, float]:
        """Choice id -> the number a mean is taken of: the choice's code; non-substantive answers have none."""
        return {c.id: float(c.code) for c in self.choices if not c.nonsubstantive}

    @property
    def substantive(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.nonsubstantive)

    def choice_column(self, choice: Choice) -> str:
        """Tidy column of one choice of a multi-select question."""
        return f"{self.id}.{choice.id}"

    def text_column(self, choice: Choice) -> str:
        """Tidy column of a choice's "please specify" text."""
        return f"{self.id}.{choice.id}_text"

    @property
    def columns(self) -> list[Column]:
        """The columns the question occupies, in the export's order: each statement's in turn; a multi-select's
        tick of each choice followed by its "please specify" text, else the answer followed by the texts.

        The one walk over a question's columns: the export's, the tidy table's and their types follow it.
        """
        if self.statements:
            return [column for part in self.parts for column in part.columns]

        def text(choice: Choice) -> list[Column]:
            return [Column(f"{self.column}_{choice.code}_TEXT", self.text_column(choice), self, choice, text=True)]

        if self.multi:
            return [
                column
                for c in self.choices
                for column in [Column(f"{self.column}_{c.code}", self.choice_column(c), self, c), *(text(c) if c.text else [])]
            ]
        return [Column(self.column, self.id, self), *(column for c in self.choices if c.text for column in text(c))]

    @property
    def tidy_columns(self) -> list[str]:
        """Columns this question occupies in the tidy respondent table: each statement's answers, then its texts."""
        return [column.tidy for part in self.parts for column in sorted(part.columns, key=lambda c: c.text)]


@dataclass(frozen=True)
class Codebook:
    questions: tuple[Question, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    pii: dict[str, str] = field(default_factory=dict)
    finished: tuple[str, ...] = ()  # questions a finished response has answered (survey.finished); () for the export's own
    source: str = ""

    def question(self, question_id: str) -> Question:
        """A question, or a grid's statement by its id ``<question>.<statement>``."""
        for question in self.questions:
            if question.id == question_id:
                return question
            if question.statements and question_id.startswith(f"{question.id}."):
                for part in question.parts:
                    if part.id == question_id:
                        return part
        raise SurveyError(f"the codebook {self.source} has no question {question_id!r}")

    @property
    def closed(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.closed)

    @property
    def tabulated(self) -> tuple[Question, ...]:
        """The crosstab's questions: closed questions, each statement of a grid apart."""
        return tuple(part for q in self.closed for part in q.parts)

    @property
    def scored(self) -> tuple[Question, ...]:
        """The questions (statements of grids apart) summarised by a mean or an NPS per banner column."""
        return tuple(part for q in self.questions if q.scored for part in q.parts)

    @property
    def free_text_columns(self) -> list[str]:
        """Tidy columns of typed text: open questions and "Other (please specify)" texts."""
        return [c.tidy for q in self.questions for c in q.columns if c.text or q.type == "text"]


def parse_codebook(raw: dict, source: str = "codebook") -> Codebook:
    """Build a Codebook from its YAML mapping, rejecting duplicate ids or codes."""
    questions = []
    seen_ids: set[str] = set()
    for entry in raw.get("questions", []):
        qid = entry["id"]
        if qid in seen_ids:
            raise SurveyError(f"question id {qid!r} is used twice", file=source)
        seen_ids.add(qid)
        statements = tuple(Statement(**{**s, "text": " ".join(str(s["text"]).split())}) for s in entry.get("statements", []))
        choices = _choices(entry, statements)
        for attr in ("id", "code"):
            values = [getattr(c, attr) for c in choices]
            if len(values) != len(set(values)):
                raise SurveyError(f"question {qid!r} repeats a choice {attr}", file=source)
        if len({s.id for s in statements}) != len(statements):
            raise SurveyError(f"question {qid!r} repeats a statement id", file=source)
        if entry["type"] == "rank" and not statements:
            raise SurveyError(f"question {qid!r} of type rank has no statements (the items ranked)", file=source)
        if entry["type"] in CLOSED_TYPES and not choices:
            raise SurveyError(f"question {qid!r} of type {entry['type']} has no choices", file=source)
        questions.append(
            Question(
                id=qid,
                column=entry["column"],
                import_id=entry["import_id"],
                type=entry["type"],
                text=" ".join(str(entry["text"]).split()),
                topic=entry.get("topic", ""),
                choices=choices,
                surveymonkey=entry.get("surveymonkey", ""),
                base=entry.get("base", "answered"),
                statements=statements,
                nets=_nets(entry, choices, source),
            )
        )
    survey = raw.get("survey", {})
    return Codebook(
        questions=tuple(questions),
        metadata=dict(survey.get("metadata", {})),
        pii=dict(survey.get("pii", {})),
        finished=_finished(survey.get("finished")),
        source=source,
    )


def _finished(entry: dict | None) -> tuple[str, ...]:
    """``survey.finished``: ``{answered: QUESTION}`` or ``{answered: [QUESTION, ...]}``."""
    answered = (entry or {}).get("answered", ())
    return (answered,) if isinstance(answered, str) else tuple(answered)


def _choices(entry: dict, statements: tuple[Statement, ...]) -> tuple[Choice, ...]:
    """The choices as configured; a rank question's are its ranks, an NPS's the scores 0 to 10 unless given."""
    if entry["type"] == "rank":
        return tuple(Choice(r, f"rank_{r}", f"Ranked {r}") for r in range(1, len(statements) + 1))
    if entry["type"] == "nps" and not entry.get("choices"):
        return tuple(Choice(k, f"score_{k}", str(k)) for k in range(11))
    return tuple(Choice(**c) for c in entry.get("choices", []))


def _nets(entry: dict, choices: tuple[Choice, ...], source: str) -> tuple[Net, ...]:
    """A matrix's top and bottom boxes (``nets``; by default the two highest and two lowest codes of a
    scale of four or more substantive points); an NPS's promoters, passives and detractors."""
    qid = entry["id"]
    if entry["type"] == "nps":
        by_code = {c.code: c.id for c in choices}
        if set(by_code) != set(range(11)):
            raise SurveyError(f"question {qid!r} of type nps needs the codes 0 to 10", file=source)
        return tuple(Net(n, label, tuple(by_code[k] for k in codes)) for n, label, codes in NPS_NETS)
    if entry["type"] != "matrix":
        return ()
    scale = sorted((c for c in choices if not c.nonsubstantive), key=lambda c: c.code)
    configured = entry.get("nets")
    if configured is None:
        if len(scale) < 4:
            return ()
        configured = {"top": [c.id for c in scale[-2:]], "bottom": [c.id for c in scale[:2]]}
    label = {c.id: c.label for c in choices}
    nets = []
    for name, title in (("top", "Top 2"), ("bottom", "Bottom 2")):
        ids = configured.get(name) or []
        unknown = [i for i in ids if i not in label or i not in {c.id for c in scale}]
        if unknown:
            raise SurveyError(f"question {qid!r}: nets.{name} names {unknown[0]!r}, not a substantive choice", file=source)
        if ids:
            size = "Top" if name == "top" else "Bottom"
            title = f"{size} {len(ids)}" if len(ids) != 2 else title
            nets.append(Net(name, f"{title} ({' + '.join(label[i] for i in ids)})", tuple(ids)))
    return tuple(nets)


def load_codebook(path: str | Path) -> Codebook:
    return parse_codebook(load_yaml(path, "the codebook"), source=str(path))
