"""Personal data typed into open answers never leaves ingest: replaced by markers, counted per kind."""

import csv
import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml

from surveygen import writers
from surveygen.generate import Generator
from surveyreport.clean import clean
from surveyreport.codebook import load_codebook
from surveyreport.platforms import read_export
from surveyreport.redact import COMMON_WORDS, MARKERS, Redactor, column_redaction_counts, redact_patterns, redaction_counts

from .conftest import LOGS, RESULTS, ROOT, copy_project, output_text, pdf_text_of, snakemake

CODEBOOK = load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
CONFIG = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))
SPEC = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "reconstruction.yaml").read_text(encoding="utf-8"))
E, P, IP, U, N, R = (MARKERS[k] for k in ("email", "phone", "ip_address", "url", "name", "reference"))


# ----------------------------------------------------------------------------- patterns

REMOVED = [
    ("Call me on +44 20 7946 0958 please", f"Call me on {P} please"),
    ("(555) 123-4567", P),
    ("ring 555-123-4567 today.", f"ring {P} today."),
    ("my office 0171 234 5678", f"my office {P}"),
    ("+44 (0)20 7946 0958, +1 415 555 2671, 415.555.2671", f"{P}, {P}, {P}"),
    ("1-800-555-0199 or 06 12 34 56 78 or +4930901820", f"{P} or {P} or {P}"),
    ("mail jane.smith@acme-industrial.com or J_S+x@mail.example.co.uk.", f"mail {E} or {E}."),
    ("see https://intranet.acme.com/training?id=3. Or www.acme.com, acme.com/path", f"see {U}. Or {U}, {U}"),
    ("server 192.168.10.200. and 10.0.0.1", f"server {IP}. and {IP}"),
    ("v6 2001:db8:85a3::8a2e:370:7334 and fe80::1%eth0", f"v6 {IP} and {IP}"),
    ("http://10.0.0.1/admin", U),
]
KEPT = [
    "We had 20 people in 2012-2013",
    "grew 45% in 2012, from 2010 to 2012, in 2010 2011 2012",
    "a budget of $25,000 or €1 500 000, 10 000 reps, 100 000 000 dollars",
    "on 12/07/2012 and 2012-07-31 16:21:36, at 10:30:00, a 3:2:1 ratio",
    "version 1.2.3 of node.js, e.g. this, a score of 3.5",
    "ID 12345678",
]


@pytest.mark.parametrize(("text", "redacted"), REMOVED, ids=[t for t, _ in REMOVED])
def test_contact_details_are_removed(text, redacted):
    assert redact_patterns(text) == redacted


@pytest.mark.parametrize("text", KEPT)
def test_years_counts_amounts_dates_and_versions_are_kept(text):
    assert redact_patterns(text) == text


def test_pathological_texts_take_linear_time():
    """No backtracking blow-up: a 100,000-character answer of any repeated shape is redacted at once."""
    redactor = Redactor(pd.DataFrame({"first_name": ["Jane"], "last_name": ["Smith"]}))
    for piece in ("x", "a-", "1", "1 ", "a:", "a.", "Jane ", "1-", "a@"):
        assert len(redactor.redact(piece * (100_000 // len(piece)))) > 0


# ----------------------------------------------------------------------------- the export's identities


@pytest.fixture(scope="module")
def people():
    return Redactor(
        pd.DataFrame(
            {
                "first_name": ["Jane", "Al", "Mark", "José", "Anne-Marie", ""],
                "last_name": ["Smith", "Li", "Young", "Núñez", "van der Berg", ""],
                "external_reference": ["CRM-004512", "42", "", "", "", ""],
            }
        )
    )


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Jane Smith said so", f"{N} said so"),
        ("ask jane, or SMITH", f"ask {N}, or {N}"),
        ("Smith, Jane and smith jane", f"{N} and {N}"),
        ("Al Li helped", f"{N} helped"),  # short names: only together
        ("al and li", "al and li"),
        ("Al Young", f"Al {N}"),  # not one respondent's name: the surname alone
        ("we will mark the young reps", "we will mark the young reps"),  # common words: alone only with a capital
        ("Mark said, Mark Young did", f"{N} said, {N} did"),
        ("Jose Nunez, NÚÑEZ", f"{N}, {N}"),
        ("Anne-Marie van der Berg; van der Berg", f"{N}; {N}"),
        ("Jane's idea", f"{N}'s idea"),
        ("ref CRM-004512, crm-004512", f"ref {R}, {R}"),
        ("we had 42 reps", "we had 42 reps"),  # references shorter than four characters are not looked for
        ("Jane at jane.smith@x.org", f"{N} at {E}"),
    ],
)
def test_respondents_names_and_references_are_removed(people, text, redacted):
    assert people.redact(text) == redacted


def test_a_legacy_whole_name_is_split_into_first_name_and_surname():
    legacy = Redactor(pd.DataFrame({"name": ["Smith, Jane", "Bob Jones", "Cher"]}))
    assert [legacy.redact(t) for t in ("Jane Smith", "bob jones", "Jones Bob", "cher")] == [N] * 4


def test_whole_columns_count_the_markers_each_text_holds():
    marked = [f"{N} and {N} at {E}", f"{U}{U}", "[name removed", f"{MARKERS['phone']} é {MARKERS['reference']}", "", "ok"]
    rng = np.random.default_rng(7)
    columns = [
        pd.Series(rng.choice([*marked, None], size=500), dtype="string"),
        pd.Series(rng.choice([*marked, None], size=300), dtype=object),
        pd.Series([pd.NA] * 3, dtype="string"),
    ]
    expected = redaction_counts(value for column in columns for value in column)
    assert column_redaction_counts(columns) == expected and expected["name"] > 0 and expected["phone"] > 0


def test_markers_are_counted_per_kind_and_a_column_per_cell(people):
    assert redaction_counts([f"{N} and {N} at {E}", None, pd.NA, f"{U}"]) == {
        "email": 1,
        "phone": 0,
        "ip_address": 0,
        "url": 1,
        "name": 2,
        "reference": 0,
    }
    texts = ["Jane Smith and jane", None, "Jane Smith and jane", "nothing", "call (555) 123-4567"]
    column = pa.array(texts, pa.large_string())
    redactor = Redactor(pd.DataFrame({"first_name": ["Jane"], "last_name": ["Smith"]}))
    out = redactor.column(column)
    assert out.type == column.type and out.is_null().to_pylist() == column.is_null().to_pylist()
    assert out.to_pylist()[::2] == [f"{N} and {N}", f"{N} and {N}", f"call {P}"]
    assert dict(redactor.counts) == {"email": 0, "phone": 1, "ip_address": 0, "url": 0, "name": 4, "reference": 0}
    assert redactor.summary().endswith("1 phone number, 0 IP addresses, 0 URLs, 4 names, 0 external references")


# ----------------------------------------------------------------------------- every export format

WRITERS = {
    "qualtrics": ("export.csv", writers.write_qualtrics),
    "qualtrics_unsplit": ("export.csv", lambda r, b, p: writers.write_qualtrics(r, b, p, unsplit="labels")),
    "qualtrics_legacy": ("export.csv", writers.write_qualtrics_legacy),
    "surveymonkey": ("export.csv", writers.write_surveymonkey),
    "spss": ("export.sav", writers.write_spss),
}


def plain(name):
    return len(name) >= 3 and name.lower() not in COMMON_WORDS


@pytest.fixture(scope="module")
def planted():
    """Generated responses with each kind of personal data typed into an open answer and an "Other" text."""
    responses = Generator(CODEBOOK, SPEC, respondents=40, seed=3).responses()
    named = responses[responses["RecipientFirstName"].map(plain) & responses["RecipientLastName"].map(plain)]
    named = named[responses.loc[named.index, "tools.mobile"].notna()]
    writer, other_text, other = (named.loc[i] for i in named.index[:3])
    comment = (
        f"Write to {other.RecipientEmail}, call +44 20 7946 0958 or (555) 123-4567, VPN 203.0.113.77 or "
        f"2001:db8:85a3::8a2e:370:7334, see https://intranet.example.org/private. I am {writer.RecipientFirstName} "
        f"{writer.RecipientLastName}; ask {other.RecipientFirstName.lower()} or {other.RecipientLastName.upper()} "
        f"(ref {other.ExternalReference})."
    )
    expected = f"Write to {E}, call {P} or {P}, VPN {IP} or {IP}, see {U}. I am {N}; ask {N} or {N} (ref {R})."
    values = [
        other.RecipientEmail,
        "7946 0958",
        "123-4567",
        "203.0.113.77",
        "8a2e:370:7334",
        "intranet.example.org",
        other.ExternalReference,
    ]
    values += [
        f"{writer.RecipientFirstName} {writer.RecipientLastName}",
        other.RecipientFirstName.lower(),
        other.RecipientLastName.upper(),
    ]
    responses.loc[writer.name, "comment"] = comment
    responses.loc[other_text.name, "tools.other"] = True
    responses.loc[other_text.name, "tools.other_text"] = (
        f"Podcasts by {other.RecipientFirstName} {other.RecipientLastName} at 0171 234 5678"
    )
    return responses, values, (writer.ResponseId, comment, expected), (other_text.ResponseId, f"Podcasts by {N} at {P}")


@pytest.mark.parametrize("layout", WRITERS)
def test_every_format_removes_what_was_typed(planted, tmp_path, layout, caplog):
    responses, values, (writer, comment, expected), (typer, other_expected) = planted
    name, write = WRITERS[layout]
    write(responses, CODEBOOK, tmp_path / name)
    with caplog.at_level(logging.INFO, logger="surveyreport"):
        frame = read_export(tmp_path / name, CODEBOOK).set_index("response_id")
    assert frame.loc[writer, "comment"] == expected
    assert frame.loc[typer, "tools.other_text"] == other_expected
    assert (
        "personal data removed from open answers: 1 e-mail address, 3 phone numbers, 2 IP addresses, 1 URL, "
        "4 names, 1 external reference"
    ) in caplog.text
    texts = frame.to_csv()
    assert [v for v in values if v in texts] == []


def test_the_studys_own_answers_are_left_as_they_are(caplog):
    path = ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv"
    with caplog.at_level(logging.INFO, logger="surveyreport"):
        frame = read_export(path, CODEBOOK)
    assert "0 e-mail addresses, 0 phone numbers, 0 IP addresses, 0 URLs, 0 names, 0 external references" in caplog.text
    raw = pd.read_csv(path, skiprows=[1, 2], dtype=str, keep_default_na=False)
    assert frame["comment"].fillna("").tolist() == raw["Q16"].tolist()


def test_other_texts_are_recoded_after_redaction(tmp_path):
    responses = Generator(CODEBOOK, SPEC, respondents=40, seed=5).responses()
    row = responses.index[responses["tools.mobile"].eq(False).fillna(False) & responses["Status"].eq("0")][0]
    responses.loc[row, ["tools.other", "tools.other_text"]] = [True, "Mobile coaching app, ask jane.doe@example.com"]
    writers.write_qualtrics(responses, CODEBOOK, tmp_path / "export.csv")
    tables = clean(read_export(tmp_path / "export.csv", CODEBOOK), {**CONFIG["cleaning"], "exclusions": []}, CODEBOOK)
    recoded = tables["recodes"].set_index("response_id").loc[responses.loc[row, "ResponseId"]]
    assert (recoded["question"], recoded["text"], recoded["recoded_to"]) == ("tools", f"Mobile coaching app, ask {E}", "mobile")


# ----------------------------------------------------------------------------- a whole build


@pytest.mark.e2e
def test_no_planted_personal_data_in_any_output_of_a_build(tmp_path):
    """The study built from its export with personal data typed into every open answer and "Other" text (one build, ~20 s)."""
    workdir = copy_project(tmp_path / "project")
    export = workdir / "data" / "raw" / "sales_training_2012_qualtrics.csv"
    with open(export, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = {
        name: rows[0].index(name)
        for name in ("RecipientFirstName", "RecipientLastName", "RecipientEmail", "ExternalReference", "Q16")
    }
    first, last, email, reference, comment = column.values()
    named = [r for r in rows[3:] if plain(r[first]) and plain(r[last])]
    kinds = [
        ("email", lambda own, other: other[email]),
        ("phone", lambda own, other: "+44 20 7946 0958"),
        ("phone", lambda own, other: "(555) 123-4567"),
        ("ip_address", lambda own, other: "203.0.113.77"),
        ("ip_address", lambda own, other: "2001:db8:85a3::8a2e:370:7334"),
        ("url", lambda own, other: "https://intranet.example.org/private"),
        ("name", lambda own, other: f"{own[first]} {own[last]}"),
        ("name", lambda own, other: other[first].lower()),
        ("name", lambda own, other: other[last].upper()),
        ("reference", lambda own, other: other[reference]),
    ]
    planted, counts = set(), dict.fromkeys(MARKERS, 0)
    texts = [c for c in range(len(rows[0])) if c == comment or rows[0][c].endswith("_TEXT")]
    for n, (row, cell) in enumerate((r, c) for r in rows[3:] for c in texts if r[c]):
        own = row if plain(row[first]) and plain(row[last]) else named[n % len(named)]
        kind, value = kinds[n % len(kinds)]
        planted.add(value(own, named[(n + 1) % len(named)]))
        row[cell] += f" ({value(own, named[(n + 1) % len(named)])})"
        counts[kind] += 1
    with open(export, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)

    run = snakemake(workdir, "--config", "fail_on_unverified=False")  # longer answers: the report may pass its 21 pages
    assert run.returncode == 0, run.stderr[-3000:]

    outputs = [p for folder in ("results", "logs") for p in (workdir / folder).rglob("*") if p.is_file()]
    texts = {str(p): output_text(p) for p in outputs} | {"report text": pdf_text_of(workdir / RESULTS / "report.pdf")}
    leaks = [(where, value) for where, text in texts.items() for value in planted if value in text]
    assert not leaks
    log = (workdir / LOGS / "ingest.log").read_text(encoding="utf-8")
    assert f"{counts['email']} e-mail addresses, {counts['phone']} phone numbers, {counts['ip_address']} IP addresses" in log
    assert f"{counts['url']} URLs, {counts['name']} names, {counts['reference']} external references" in log
    quoted = redaction_counts([(workdir / RESULTS / "report.html").read_text(encoding="utf-8")])
    assert all(quoted[kind] > 0 for kind in MARKERS), quoted  # the redacted answers are quoted, markers and all
