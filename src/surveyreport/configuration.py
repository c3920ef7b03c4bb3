"""Reading and checking the study's YAML configuration, with one located line per problem.

A message names the file and what is wrong in it; it quotes at most a short excerpt of a
value, never a whole file (a path pointed at the wrong file must not print that file).
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import best_match, by_relevance

from .errors import SurveyError

EXCERPT = 60  # characters of a value a message quotes, at most
NAME = re.compile(r"[\w.-]{1,40}")  # a key a message may quote
TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
         "integer": "an integer", "number": "a number", "null": "null"}  # fmt: skip


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where PyYAML has it (7x faster)
    """Plain YAML: a tag (``!!python/...``, ``!custom``) is refused, as the safe loader does, with its name."""


def _refuse_tag(loader: yaml.BaseLoader, node: yaml.Node):
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise yaml.constructor.ConstructorError(None, None, f"the tag {excerpt(tag)} is not allowed", node.start_mark)


_Loader.add_constructor(None, _refuse_tag)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(value: Any) -> str:
    """``repr`` of a value, cut to EXCERPT characters."""
    return _cut(repr(value), EXCERPT)


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def load_yaml(path: str | Path, what: str = "the file") -> Any:
    """The content of a YAML file; ``what`` names it in messages, e.g. "the codebook".

    Raises SurveyError, one line, if it is missing, not a file, not UTF-8 text, not YAML,
    uses a tag, or is empty.
    """

    def fail(problem: str):
        return SurveyError(f"{what} {path}: {problem}")

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("no such file") from None
    except IsADirectoryError:
        raise fail("a directory, not a YAML file") from None
    except UnicodeDecodeError as error:
        raise fail(f"not UTF-8 text (byte {error.object[error.start]:#04x} at offset {error.start}), not YAML") from None
    except OSError as error:
        raise fail(f"unreadable ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        context = f" ({error.context} from {_where(error.context_mark)})" if error.context and error.context_mark else ""
        raise fail(f"not valid YAML: {_where(mark)}: {_cut(str(error.problem), 2 * EXCERPT)}{context}") from None
    except yaml.reader.ReaderError as error:
        code = error.character if isinstance(error.character, int) else ord(error.character)
        line = text.count("\n", 0, error.position) + 1
        raise fail(f"not YAML text: control character U+{code:04X} on line {line}") from None
    if data is None:
        raise fail("empty")
    return data


def _path(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in error.absolute_path).lstrip(".")


def _kind(value: Any) -> str:
    for name, phrase in TYPES.items():
        if jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, name):
            return phrase
    return type(value).__name__


def _problem(error: jsonschema.ValidationError) -> str:
    """What the error says, quoting at most an excerpt of the offending value."""
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unexpected = [key for key in error.instance if key not in allowed]
        named = [key for key in unexpected if NAME.fullmatch(str(key))]  # a line of another kind of file is no key to quote
        what = f"unexpected key {named[0]!r}" if named else "unexpected keys that are not names"
        more = f" (and {len(unexpected) - 1} more)" if named and len(unexpected) > 1 else ""
        return f"{what}{more}; expected keys: {', '.join(allowed)}"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        shown = f" {excerpt(error.instance)}" if error.absolute_path else ""
        return f"expected {' or '.join(TYPES[t] for t in expected)}, found {_kind(error.instance)}{shown}"
    message, quoted = error.message, repr(error.instance)
    if message.startswith(quoted):
        return excerpt(error.instance) + message[len(quoted) :]
    return _cut(message, 2 * EXCERPT)


def _with_defaults(validator_class):
    """A validator class that also fills in each property's schema ``default`` (as Snakemake's ``validate``)."""
    properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, schema_properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in schema_properties.items():
                if "default" in subschema:
                    instance.setdefault(name, subschema["default"])
        yield from properties(validator, schema_properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def validate(data: Any, schema: str | Path, source: str) -> None:
    """Check data against a JSON schema (a YAML file), filling in defaults.

    Raises SurveyError naming ``source``, the key path and the expectation of the outermost
    problem, e.g. ``config/sales-training-2012/report.yaml: exhibits[2].by: 'tiers' is not one of ['total', 'tier']``.
    """
    rules = load_yaml(schema, "the schema")
    error = best_match(
        _with_defaults(jsonschema.Draft202012Validator)(rules).iter_errors(data),
        key=by_relevance(strong=frozenset({"type", "required"})),
    )
    if error is not None:
        where = _path(error)
        raise SurveyError(f"{where}: {_problem(error)}" if where else _problem(error), file=source)


def load_valid(path: str | Path, schema: str | Path, what: str) -> Any:
    """The content of a YAML file that holds to its schema (see load_yaml and validate)."""
    data = load_yaml(path, what)
    validate(data, schema, f"{what} {path}")
    return data


@contextmanager
def exit_on_error():
    """Exit 1 with a SurveyError's one line, e.g. while Snakemake parses the workflow.

    Snakemake shows an exception raised in a Snakefile with its type, the Snakefile's line
    and the traceback; the message alone is what a user needs.
    """
    try:
        yield
    except SurveyError as error:
        sys.exit(f"Error: {error}")
