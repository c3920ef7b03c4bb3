"""The ``surveyreport`` command: ``surveyreport init NAME --export FILE`` drafts a study folder."""

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
        help="draft config/NAME/ from a Qualtrics export",
        description="Draft a study folder, config/NAME/, from a Qualtrics CSV export (and its .qsf survey definition).",
    )
    init.add_argument("name", help="the study's name: its folder under config/ and results/")
    init.add_argument("--export", required=True, help="the survey's Qualtrics CSV export")
    init.add_argument("--questionnaire", metavar="FILE.qsf", help="the survey's definition, exported from Qualtrics")
    init.add_argument("--banner", metavar="QUESTION", help="the single-choice question whose answers are the tiers")
    init.add_argument("--root", default=".", help="the project's folder (default: the current one)")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    main()
