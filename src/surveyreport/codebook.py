"""The questionnaire as configured: questions, choices and the export columns holding them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .configuration import load_yaml
from .errors import SurveyError

CLOSED_TYPES = ("single", "rating", "multi")


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
    def substantive(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if not c.nonsubstantive)

    def choice_column(self, choice: Choice) -> str:
        """Tidy column of one choice of a multi-select question."""
        return f"{self.id}.{choice.id}"

    def text_column(self, choice: Choice) -> str:
        """Tidy column of a choice's "please specify" text."""
        return f"{self.id}.{choice.id}_text"

    @property
    def tidy_columns(self) -> list[str]:
        """Columns this question occupies in the tidy respondent table."""
        columns = [self.choice_column(c) for c in self.choices] if self.multi else [self.id]
        return columns + [self.text_column(c) for c in self.choices if c.text]


@dataclass(frozen=True)
class Codebook:
    questions: tuple[Question, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    pii: dict[str, str] = field(default_factory=dict)
    finished: tuple[str, ...] = ()  # questions a finished response has answered (survey.finished); () for the export's own
    source: str = ""

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise SurveyError(f"the codebook {self.source} has no question {question_id!r}")

    @property
    def closed(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.closed)

    @property
    def free_text_columns(self) -> list[str]:
        """Tidy columns of typed text: open questions and "Other (please specify)" texts."""
        columns = []
        for question in self.questions:
            if question.type == "text":
                columns.append(question.id)
            columns += [question.text_column(c) for c in question.choices if c.text]
        return columns


def parse_codebook(raw: dict, source: str = "codebook") -> Codebook:
    """Build a Codebook from its YAML mapping, rejecting duplicate ids or codes."""
    questions = []
    seen_ids: set[str] = set()
    for entry in raw.get("questions", []):
        qid = entry["id"]
        if qid in seen_ids:
            raise SurveyError(f"question id {qid!r} is used twice", file=source)
        seen_ids.add(qid)
        choices = tuple(Choice(**c) for c in entry.get("choices", []))
        for attr in ("id", "code"):
            values = [getattr(c, attr) for c in choices]
            if len(values) != len(set(values)):
                raise SurveyError(f"question {qid!r} repeats a choice {attr}", file=source)
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


def load_codebook(path: str | Path) -> Codebook:
    return parse_codebook(load_yaml(path, "the codebook"), source=str(path))
