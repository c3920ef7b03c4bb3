"""Charts of the exhibits: horizontal bars with direct value labels, one style and tier palette.

SVG output keeps its text as text and is byte-for-byte reproducible (fixed
hash salt, no date).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from .formatting import pct  # noqa: E402
from .ledger import show  # noqa: E402
from .results import Results, Share, exhibit_shares  # noqa: E402

WIDTH_IN = 6.3


def apply_style(style: dict, font_dir: str | Path) -> None:
    """The report's chart style: bundled font, sizes, no chart junk."""
    for font in sorted(Path(font_dir).glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    sns.set_theme(context="paper", style="white")
    plt.rcParams.update(
        {
            "font.family": style["font"],
            "font.size": style["font_size"],
            "axes.labelsize": style["font_size"],
            "ytick.labelsize": style["font_size"],
            "svg.fonttype": "none",
            "text.parse_math": False,  # a "$" in a label is a dollar sign, not TeX
            "svg.hashsalt": "surveyreport",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.spines.bottom": False,
            "text.color": style["text_color"],
            "ytick.color": style["text_color"],
        }
    )


def _labels(question, shares: list[Share], width: int) -> list[str]:
    return [textwrap.fill(question.choice(s.choices[0]).label, width) for s in shares]


def _finish(ax, style: dict) -> None:
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0, pad=4)
    ax.spines["left"].set_color(style["rule_color"])
    ax.margins(x=0.14)


def draw_total(exhibit: dict, results: Results, style: dict):
    question = results.codebook.question(exhibit["question"])
    shares = exhibit_shares(exhibit, results)
    height = 0.35 + 0.3 * len(shares)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    values = [float(s.percent(0)) for s in shares]
    labels = _labels(question, shares, style["label_width"])
    sns.barplot(x=values, y=labels, ax=ax, color=style["palette"]["total"], errorbar=None, width=0.7, orient="h")
    ax.bar_label(ax.containers[0], labels=[pct(s) for s in shares], padding=3)
    _finish(ax, style)
    return fig


def draw_by_tier(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    question = results.codebook.question(exhibit["question"])
    order = exhibit_shares(exhibit, results)
    labels = _labels(question, order, style["label_width"])
    height = 0.55 + 0.62 * len(order)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    bar = 0.8 / len(tiers)
    for t, tier in enumerate(tiers):
        shares = [results.share(question.id, s.choices[0], tier["id"]) for s in order]
        values = [float(s.percent(0)) for s in shares]
        positions = [i - 0.4 + bar * (t + 0.5) for i in range(len(order))]
        bars = ax.barh(
            positions,
            values,
            height=bar * 0.92,
            color=style["palette"][tier["id"]],
            hatch=style["hatches"][tier["id"]],
            edgecolor="white",
            linewidth=0,
            label=f"{tier['label']} (n={show(results.base(question.id, tier['id']))})",
        )
        ax.bar_label(bars, labels=[pct(s) for s in shares], padding=3, fontsize=style["font_size"] - 1)
    ax.set_yticks(range(len(order)), labels)
    ax.invert_yaxis()
    ax.legend(
        loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(tiers), frameon=False, handlelength=1.2, borderaxespad=0.2
    )
    _finish(ax, style)
    return fig


def draw_exhibit(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    if exhibit["by"] == "tier":
        return draw_by_tier(exhibit, results, style, tiers)
    return draw_total(exhibit, results, style)


def save_svg(fig, path: str | Path) -> None:
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
