"""Hostile text in every configurable string: printed as written, never run."""

import csv
import shutil

import pytest
import yaml

from .conftest import RESULTS, copy_project, output_text, pdf_text_of, snakemake

pytestmark = pytest.mark.e2e

# 7**5 = 16807: a number the study's report never prints, so finding it means a payload ran.
PAYLOAD = "{{ 7*7*7*7*7 }} {{ cycler.__init__.__globals__.os.popen('id').read() }} {% if 1 %}ran{% endif %} <b>bold</b>"


def edit_yaml(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The study with the payload in its study fields, a headline and subtitle, a question's wording and a choice label."""
    workdir = copy_project(tmp_path_factory.mktemp("hostile"))

    def study(config):
        for key in ("title", "subtitle", "sponsors", "mode", "recruitment", "publisher"):
            config["about"][key] = f"{config['about'][key]} {PAYLOAD}"
        config["fail_on_unverified"] = False  # longer texts may take another page

    def report(config):
        config["exhibits"][0]["headline"] += " <b>bold</b> costs $x^2$"
        config["exhibits"][0]["subtitle"] += " <script>alert(1)</script>"

    def codebook(book):
        question = next(q for q in book["questions"] if q["id"] == "industry")
        question["text"] += " " + PAYLOAD
        question["choices"][0]["label"] += " " + PAYLOAD

    edit_yaml(workdir / "config" / "sales-training-2012" / "config.yaml", study)
    edit_yaml(workdir / "config" / "sales-training-2012" / "report.yaml", report)
    edit_yaml(workdir / "config" / "sales-training-2012" / "codebook.yaml", codebook)
    book = yaml.safe_load((workdir / "config" / "sales-training-2012" / "codebook.yaml").read_text(encoding="utf-8"))
    column = next(q["column"] for q in book["questions"] if q["id"] == "industry")
    export = workdir / "data" / "raw" / "sales_training_2012_qualtrics.csv"
    with open(export, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index(column)] += " " + PAYLOAD  # the export's header words the question as the codebook does
    with open(export, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir


def test_configured_text_is_printed_as_written(hostile):
    text = pdf_text_of(hostile / RESULTS / "report.pdf")
    html = (hostile / RESULTS / "report.html").read_text(encoding="utf-8")
    assert "{{ 7*7*7*7*7 }}" in text and "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;" in html
    for path in (hostile / "results").rglob("*"):
        if path.is_file():
            content = output_text(path) if path.suffix != ".pdf" else text
            assert "16807" not in content and "uid=" not in content, path


@pytest.mark.parametrize(
    ("place", "message"),
    [
        ("findings", "finding 'prompts': the text holds template syntax ({{…), which is never run"),
        ("exhibits", "exhibit 'company_size' headline: the text holds template syntax ({{…), which is never run"),
    ],
)
def test_template_syntax_in_a_finding_or_headline_stops_the_render_with_one_line(hostile, tmp_path, place, message):
    workdir = tmp_path / "project"
    shutil.copytree(hostile, workdir, symlinks=True)
    before = (workdir / RESULTS / "report.pdf").read_bytes()

    def plant(config):
        config[place][0]["text" if place == "findings" else "headline"] = PAYLOAD

    edit_yaml(workdir / "config" / "sales-training-2012" / "report.yaml", plant)
    run = snakemake(workdir)
    assert run.returncode != 0
    assert message in run.stderr
    assert "Traceback" not in run.stderr and "uid=" not in run.stderr + run.stdout
    assert (workdir / RESULTS / "report.pdf").read_bytes() == before
