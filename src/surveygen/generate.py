"""The seeded generator of a reconstructed raw export.

It plans the valid respondents' answers so that, after cleaning, each count the
spec fixes holds exactly; then it adds the raw rows cleaning exists for
(previews, tests, incomplete, screened-out, duplicate and speeding responses)
and writes everything as the survey platform exports it. Same spec, seed and
size: the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import string
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from surveyreport.codebook import Codebook, Question, load_codebook, load_yaml
from surveyreport.errors import SurveyError, run_step
from surveyreport.tidy import DATE_FORMAT

from .writers import write_qualtrics

MISSING = "missing"
CITIES = (  # latitude, longitude of places respondents answer from
    (40.7128, -74.0060),
    (41.8781, -87.6298),
    (37.7749, -122.4194),
    (42.3601, -71.0589),
    (33.7490, -84.3880),
    (32.7767, -96.7970),
    (39.9526, -75.1652),
    (47.6062, -122.3321),
    (44.9778, -93.2650),
    (51.5074, -0.1278),
    (48.8566, 2.3522),
    (43.6532, -79.3832),
    (1.3521, 103.8198),
    (-23.5505, -46.6333),
)
PII_COLUMNS = [
    "RecipientFirstName",
    "RecipientLastName",
    "RecipientEmail",
    "IPAddress",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
]
PUBLIC_FIRST_OCTETS = (24, 50, 63, 64, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 173, 174, 184, 207, 208)


def largest_remainder(weights: Mapping[str, float], total: int) -> dict[str, int]:
    """Whole counts proportional to ``weights`` that add up to ``total`` exactly."""
    keys = list(weights)
    raw = np.array([weights[k] for k in keys], dtype=float)
    if total == 0 or raw.sum() == 0:
        return dict.fromkeys(keys, 0)
    quotas = raw / raw.sum() * total
    counts = np.floor(quotas).astype(int)
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return {k: int(c) for k, c in zip(keys, counts)}


def scale_count(count: float, scale: float) -> int:
    return int(np.floor(count * scale + 0.5))


class Generator:
    """Plans and writes one reconstructed export."""

    def __init__(self, codebook: Codebook, spec: dict, respondents: int | None = None, seed: int | None = None):
        self.codebook = codebook
        self.spec = spec
        self.n_valid = respondents or spec["valid_respondents"]
        self.scale = self.n_valid / spec["valid_respondents"]
        self.rng = np.random.default_rng(spec["seed"] if seed is None else seed)
        self.emails_seen: dict[str, int] = {}  # e-mail addresses are unique across the export

    # -- answers of valid respondents ---------------------------------------------------

    def _assign_single(self, question: Question, entry: dict, idx: np.ndarray, answers: pd.DataFrame) -> None:
        n = len(idx)
        missing = min(n, scale_count(entry.get("missing", 0), self.scale))
        answering = n - missing
        if "counts" in entry:
            counts = entry["counts"]
            if self.scale == 1 and sum(counts.values()) != answering:
                raise SurveyError(
                    f"question {question.id!r}: counts add up to {sum(counts.values())}, but {answering} respondents answer it",
                    expected="counts + missing = respondents in the segment",
                )
            allocation = largest_remainder(counts, answering)
        else:
            allocation = largest_remainder(entry["shares"], answering)
        values = [choice for choice, count in allocation.items() for _ in range(count)]
        values += [pd.NA] * missing
        for choice in allocation:
            question.choice(choice)
        answers.loc[idx, question.id] = self.rng.permutation(np.array(values, dtype=object))

    def _assign_multi(self, question: Question, entry: dict, idx: np.ndarray, answers: pd.DataFrame) -> None:
        n = len(idx)
        missing = min(n, scale_count(entry.get("missing", 0), self.scale))
        order = self.rng.permutation(idx)
        skipped, answering = order[:missing], order[missing:]
        m = len(answering)
        if "counts" in entry:
            ticks = {c: min(m, scale_count(k, self.scale)) for c, k in entry["counts"].items()}
        else:
            ticks = {c: min(m, int(np.floor(share * m + 0.5))) for c, share in entry["shares"].items()}
        for choice in question.choices:
            answers.loc[answering, question.choice_column(choice)] = False
            answers.loc[skipped, question.choice_column(choice)] = pd.NA
        # everyone answering ticks one "primary" choice, then each choice is topped up
        primary = largest_remainder(ticks, m) if sum(ticks.values()) >= m else ticks
        pool = [c for c, k in primary.items() for _ in range(k)]
        holders = {c: set() for c in ticks}
        for respondent, choice in zip(self.rng.permutation(answering), pool):
            holders[choice].add(respondent)
        for choice, k in ticks.items():
            others = [r for r in answering if r not in holders[choice]]
            extra = self.rng.choice(others, size=max(0, k - len(holders[choice])), replace=False)
            holders[choice].update(extra.tolist())
            answers.loc[sorted(holders[choice]), question.choice_column(question.choice(choice))] = True

    def _assign(self, question: Question, entry: dict, idx: np.ndarray, answers: pd.DataFrame) -> None:
        if question.multi:
            self._assign_multi(question, entry, idx, answers)
        else:
            self._assign_single(question, entry, idx, answers)

    def plan_answers(self) -> pd.DataFrame:
        """The valid respondents' answers, exactly as cleaning should leave them."""
        spec = self.spec
        index = np.arange(self.n_valid)
        answers = pd.DataFrame(index=index)
        segment_q = self.codebook.question(spec["segment_question"])
        self._assign(segment_q, spec["questions"][segment_q.id], index, answers)
        segment_of = {choice: name for name, choices in spec["segments"].items() for choice in choices}
        segment = answers[segment_q.id].map(lambda v: segment_of[MISSING if pd.isna(v) else v])
        for question in self.codebook.questions:
            entry = spec["questions"].get(question.id)
            if entry is None or question is segment_q:
                continue
            if "by_segment" in entry:
                for name, part in entry["by_segment"].items():
                    self._assign(question, part, index[(segment == name).to_numpy()], answers)
            else:
                self._assign(question, entry, index, answers)
        self._add_texts(answers)
        return answers

    def _add_texts(self, answers: pd.DataFrame) -> None:
        for question in self.codebook.questions:
            for choice in question.choices:
                if not choice.text:
                    continue
                column = question.text_column(choice)
                answers[column] = pd.Series(pd.NA, index=answers.index, dtype="string")
                chose = self._chose(answers, question, choice.id)
                texts = self.spec.get("other_texts", {}).get(question.id, ["Other"])
                answers.loc[chose, column] = self.rng.choice(texts, size=int(chose.sum()))
        for typed in self.spec.get("typed_as_other", []):
            self._type_as_other(answers, self.codebook.question(typed["question"]), typed)
        open_text = self.spec.get("open_text")
        if open_text:
            qid = open_text["question"]
            answers[qid] = pd.Series(pd.NA, index=answers.index, dtype="string")
            k = scale_count(open_text["share"] * self.spec["valid_respondents"], self.scale)
            who = self.rng.choice(answers.index, size=k, replace=False)
            texts = open_text["texts"]
            answers.loc[who, qid] = self.rng.choice(texts, size=k, replace=k > len(texts))

    @staticmethod
    def _chose(answers: pd.DataFrame, question: Question, choice_id: str) -> pd.Series:
        if question.multi:
            return answers[question.choice_column(question.choice(choice_id))].fillna(False).astype(bool)
        return answers[question.id].eq(choice_id).fillna(False).astype(bool)

    def _type_as_other(self, answers: pd.DataFrame, question: Question, typed: dict) -> None:
        other = next(c for c in question.choices if c.text)
        candidates = self._chose(answers, question, typed["choice"]) & ~self._chose(answers, question, other.id)
        k = min(int(candidates.sum()), scale_count(len(typed["texts"]), self.scale))
        who = self.rng.choice(answers.index[candidates], size=k, replace=False)
        texts = [typed["texts"][i % len(typed["texts"])] for i in range(k)]
        if question.multi:
            answers.loc[who, question.choice_column(question.choice(typed["choice"]))] = False
            answers.loc[who, question.choice_column(other)] = True
        else:
            answers.loc[who, question.id] = other.id
        answers.loc[who, question.text_column(other)] = texts

    # -- metadata, identities and the rows cleaning exists for -------------------------------

    def _people(self, n: int) -> pd.DataFrame:
        pii = self.spec["pii"]
        first = self.rng.choice(pii["first_names"], size=n)
        last = self.rng.choice(pii["last_names"], size=n)
        domains = self.rng.choice(pii["email_domains"], size=n)
        emails = []
        for given, family, d in zip(first, last, domains):
            local = f"{given}.{family}".lower()
            seen = self.emails_seen[local + d] = self.emails_seen.get(local + d, 0) + 1
            emails.append(f"{local}{seen if seen > 1 else ''}@{d}")
        octets = self.rng.integers(1, 255, size=(n, 3))
        firsts = self.rng.choice(PUBLIC_FIRST_OCTETS, size=n)
        cities = self.rng.integers(0, len(CITIES), size=n)
        jitter = self.rng.normal(0, 0.05, size=(n, 2))
        return pd.DataFrame(
            {
                "RecipientFirstName": first,
                "RecipientLastName": last,
                "RecipientEmail": emails,
                "IPAddress": [f"{a}.{b}.{c}.{d}" for a, (b, c, d) in zip(firsts, octets)],
                "ExternalReference": [f"CRM-{v:06d}" for v in self.rng.integers(1000, 999999, size=n)],
                "LocationLatitude": [f"{CITIES[c][0] + j:.10f}" for c, j in zip(cities, jitter[:, 0])],
                "LocationLongitude": [f"{CITIES[c][1] + j:.10f}" for c, j in zip(cities, jitter[:, 1])],
            }
        )

    def _starts(self, n: int, first: str, last: str) -> list[dt.datetime]:
        day0 = dt.date.fromisoformat(first)
        days = (dt.date.fromisoformat(last) - day0).days + 1
        offsets = self.rng.integers(0, days, size=n)
        seconds = self.rng.integers(8 * 3600, 18 * 3600, size=n)
        return [
            dt.datetime.combine(day0 + dt.timedelta(days=int(d)), dt.time()) + dt.timedelta(seconds=int(s))
            for d, s in zip(offsets, seconds)
        ]

    def _durations(self, n: int) -> np.ndarray:
        median = self.spec["median_duration_seconds"]
        values = self.rng.lognormal(np.log(median), 0.35, size=n)
        return np.clip(values, 0.55 * median, 4 * median).round().astype(int)

    def _metadata(self, rows: pd.DataFrame, starts: Sequence[dt.datetime], durations: np.ndarray) -> None:
        rows["StartDate"] = [s.strftime(DATE_FORMAT) for s in starts]
        ends = [s + dt.timedelta(seconds=int(d)) for s, d in zip(starts, durations)]
        rows["EndDate"] = [e.strftime(DATE_FORMAT) for e in ends]
        rows["RecordedDate"] = rows["EndDate"]
        rows["Duration (in seconds)"] = [str(int(d)) for d in durations]
        rows["Status"] = "0"
        rows["Progress"] = "100"
        rows["Finished"] = "1"
        rows["DistributionChannel"] = "email"
        rows["UserLanguage"] = "EN"

    def _copies(self, valid: pd.DataFrame, n: int) -> pd.DataFrame:
        picks = self.rng.choice(valid.index, size=n, replace=True)
        return valid.loc[picks].reset_index(drop=True)

    def _flaw_rows(self, valid: pd.DataFrame) -> list[pd.DataFrame]:
        flaws = {k: scale_count(v, self.scale) for k, v in self.spec["flaws"].items()}
        field = self.spec["field"]
        blocks = []
        question_columns = [c for q in self.codebook.questions for c in q.tidy_columns]

        for kind, status, channel in (("preview", "1", "preview"), ("test", "2", "test")):
            rows = self._copies(valid, flaws.get(kind, 0))
            starts = self._starts(len(rows), *field["preview_dates"])
            self._metadata(rows, starts, self._durations(len(rows)) if kind == "preview" else np.zeros(len(rows)))
            rows["Status"], rows["DistributionChannel"] = status, channel
            for column in PII_COLUMNS:
                rows[column] = ""
            blocks.append(rows)

        rows = self._copies(valid, flaws.get("incomplete", 0))
        rows[PII_COLUMNS] = self._people(len(rows)).to_numpy()
        durations = self._durations(len(rows))
        self._metadata(rows, self._starts(len(rows), field["start"], field["end"]), durations)
        progress = self.rng.integers(8, 90, size=len(rows))
        answered = (len(question_columns) * progress / 100).astype(int)  # questions before leaving
        for position, column in enumerate(question_columns):
            rows.loc[answered <= position, column] = pd.NA
        rows["Progress"] = [str(p) for p in progress]
        rows["Finished"] = "0"
        rows["Duration (in seconds)"] = [str(int(d * p / 100)) for d, p in zip(durations, progress)]
        # an unfinished response is recorded when the survey closes it, a week later
        rows["RecordedDate"] = [
            (dt.datetime.strptime(s, DATE_FORMAT) + dt.timedelta(days=7)).strftime(DATE_FORMAT) for s in rows["StartDate"]
        ]
        blocks.append(rows)

        rows = self._copies(valid, flaws.get("screened_out", 0))
        rows[PII_COLUMNS] = self._people(len(rows)).to_numpy()
        self._metadata(rows, self._starts(len(rows), field["start"], field["end"]), self.rng.integers(25, 70, len(rows)))
        rows[question_columns] = pd.NA
        screener = self.spec["screener"]
        rows[screener["question"]] = self.codebook.question(screener["question"]).choice(screener["choice"]).id
        blocks.append(rows)

        originals = self.rng.choice(valid.index, size=flaws.get("duplicate", 0), replace=False)
        rows = valid.loc[originals].reset_index(drop=True)
        later = [
            dt.datetime.strptime(e, DATE_FORMAT) + dt.timedelta(hours=int(h))
            for e, h in zip(rows["EndDate"], self.rng.integers(20, 120, len(rows)))
        ]
        self._metadata(rows, later, self._durations(len(rows)))
        blocks.append(rows)

        rows = self._copies(valid, flaws.get("speeder", 0))
        rows[PII_COLUMNS] = self._people(len(rows)).to_numpy()
        self._metadata(rows, self._starts(len(rows), field["start"], field["end"]), self.rng.integers(45, 150, len(rows)))
        blocks.append(rows)
        return blocks

    def responses(self) -> pd.DataFrame:
        """Every raw row: valid respondents and flawed rows, in the order they were recorded."""
        valid = self.plan_answers()
        valid = pd.concat([valid, self._people(len(valid))], axis=1)
        self._metadata(
            valid, self._starts(len(valid), self.spec["field"]["start"], self.spec["field"]["end"]), self._durations(len(valid))
        )
        rows = pd.concat([valid, *self._flaw_rows(valid)], ignore_index=True)
        alphabet = np.array(list(string.ascii_letters + string.digits))
        rows["ResponseId"] = ["R_" + "".join(self.rng.choice(alphabet, size=15)) for _ in range(len(rows))]
        order = np.lexsort((rows["ResponseId"].to_numpy(), rows["RecordedDate"].to_numpy()))
        return rows.iloc[order].reset_index(drop=True)


def generate(codebook: Codebook, spec: dict, path: str | Path, respondents: int | None = None, seed: int | None = None) -> None:
    write_qualtrics(Generator(codebook, spec, respondents, seed).responses(), codebook, path)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a reconstructed raw survey export (Qualtrics CSV).")
    parser.add_argument("--codebook", default="config/sales-training-2012/codebook.yaml")
    parser.add_argument("--spec", default="config/sales-training-2012/reconstruction.yaml")
    parser.add_argument("--respondents", type=int, help="valid respondents (default: the spec's)")
    parser.add_argument("--seed", type=int, help="random seed (default: the spec's)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)

    def step() -> None:
        generate(load_codebook(args.codebook), load_yaml(args.spec), args.out, args.respondents, args.seed)

    run_step(step)


if __name__ == "__main__":
    main()
