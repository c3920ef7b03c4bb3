"""The ``surveyreport`` command: ``surveyreport init NAME --export FILE`` drafts a study folder;
``surveyreport diff OLD [NEW]`` says what changed between two builds of a study."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import SurveyError


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="surveyreport", description="Survey exports to reports.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser(
        "init",
        help="draft config/NAME/ from a Qualtrics, SPSS or SurveyMonkey export",
        description="Draft a study folder, config/NAME/, from a Qualtrics CSV export (and its .qsf survey definition), "
        "an SPSS .sav file or a SurveyMonkey CSV export.",
    )
    init.add_argument("name", help="the study's name: its folder under config/ and results/")
    init.add_argument("--export", required=True, help="the survey's export: Qualtrics CSV, SPSS .sav or SurveyMonkey CSV")
    init.add_argument("--questionnaire", metavar="FILE.qsf", help="the survey's definition, exported from Qualtrics")
    init.add_argument("--banner", metavar="QUESTION", help="the single-choice question whose answers are the tiers")
    init.add_argument("--root", default=".", help="the project's folder (default: the current one)")
    diff = commands.add_parser(
        "diff",
        help="what changed between two builds of a study",
        description="Compare two builds of a study: numbers, claims, significance letters, words, pages, attrition and tables.",
    )
    diff.add_argument("old", help="an earlier results folder, or a git commit (built in a temporary worktree)")
    diff.add_argument("new", nargs="?", help="the newer results folder (default: results/STUDY/)")
    diff.add_argument("--study", help="the study (default: the one config/config.yaml names)")
    diff.add_argument("--out", help="where the diff goes (default: results/.diff/STUDY/)")
    diff.add_argument("--root", default=".", help="the project's folder (default: the current one)")
    diff.add_argument("--cores", type=int, default=2, help="cores for building a commit (default: 2)")
    args = parser.parse_args(argv)
    if args.command == "diff":
        try:
            print(report_diff(args))
        except SurveyError as error:
            print(f"surveyreport diff: {error}", file=sys.stderr)
            sys.exit(1)
        return

    from .draft import Refused
    from .draft import init as draft

    try:
        lines = draft(args.name, args.export, args.questionnaire, args.banner, args.root)
    except SurveyError as error:
        if isinstance(error, Refused):
            print("\n".join(["found:", *error.lines]))
        print(f"surveyreport init: {error}", file=sys.stderr)
        sys.exit(1)
    print("\n".join(lines))


def report_diff(args: argparse.Namespace) -> str:
    """Write the diff of two builds; the lines that say where it is and what it holds."""
    from pathlib import Path

    from .configuration import load_yaml
    from .diff import compare, earlier_build
    from .diffreport import summary, write

    root = Path(args.root)
    # a published set, results/<study>, is a link named after its study (its target is a copy, a or b)
    study = args.study or (Path(args.new).name if args.new and Path(args.new).is_symlink() else None)
    study = study or load_yaml(root / "config" / "config.yaml", "the workflow configuration").get("study")
    new = Path(args.new) if args.new else root / "results" / str(study)
    old, old_label = earlier_build(args.old, str(study), root, args.cores)
    diff = compare(old, new)
    out = write(diff, args.out or root / "results" / ".diff" / str(study), old_label, args.new or f"{study} (this checkout)")
    return f"{summary(diff)}\n{out / 'diff.md'}\n{out / 'diff.html'}"


if __name__ == "__main__":
    main()
