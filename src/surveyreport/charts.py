"""Charts of the exhibits: horizontal bars with direct value labels, one style and tier palette.

SVG output keeps its text as text and is byte-for-byte reproducible (fixed
hash salt, no date).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from .formatting import pct, pct1, score  # noqa: E402
from .ledger import show  # noqa: E402
from .results import Results, Share, exhibit_shares  # noqa: E402

WIDTH_IN = 6.7  # the report's text width (letter, 0.9 in margins): a chart prints at the size its style gives
PHONE_WIDTH_IN = 3.6  # a chart's phone layout: about a 390-pixel screen's text width, so that its text is not scaled down
PHONE_LABELS = 0.7  # of the print layout's label wrap width: labels take a larger part of a narrower chart
PAD_IN = 0.04  # around the figure's content
LINE_SPACING = 1.2  # matplotlib's, of a wrapped label
TOTAL_BAR_IN, TOTAL_GAP_IN = 0.21, 0.09  # a total chart's bar and the space between bars
TIER_PITCH, TIER_BAR = 1.1, 0.92  # a tier bar's slot, in value-label heights, and the bar's share of it
TIER_GAP_IN = 0.124  # between the answers of a tier chart
LEGEND_IN = 0.06  # the legend's padding above the bars
TICK_PAD_PT = 4  # between an answer's label and its bars
MIN_SEGMENT = 6  # percentage points: a stacked segment narrower than this carries no label
PANELS_PER_ROW = 2  # small multiples side by side (one on a phone)
PANEL_GAP_IN, PANEL_ROW_GAP_IN = 0.3, 0.16  # between panels side by side, and between their rows
PANEL_LABELS = 0.42  # of a panel's width, for its answers' labels
PANEL_PITCH = 1.15  # a panel's bar slot, in value-label heights
PANEL_ANSWER_GAP_IN = 0.08  # between the answers of a panel
TITLE_GAP_IN = 0.05  # between a panel's title and its bars


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


def _text_height(size: float, lines: int = 1) -> float:
    """Inches a text of ``lines`` lines at ``size`` points takes up, with a little air."""
    return (lines * LINE_SPACING * size + 2) / 72


def _rows(labels: list[str], size: float, content: float, gap: float) -> tuple[list[float], float]:
    """Centres of the rows (inches from the top) and their total height: each row is ``content``
    inches of bars and ``gap`` of space, and grows to hold its label's wrapped lines."""
    centres, top = [], 0.0
    for label in labels:
        row = max(content, _text_height(size, label.count("\n") + 1)) + gap
        centres.append(top + row / 2)
        top += row
    return centres, top


def phone(style: dict) -> dict:
    """The style of a chart's phone layout: narrower, its labels wrapped shorter, small multiples one above the other."""
    return {**style, "width": PHONE_WIDTH_IN, "label_width": round(style["label_width"] * PHONE_LABELS), "columns": 1}


def _chart_width(style: dict) -> float:
    """The chart's width in inches: the report's text width, or the phone layout's."""
    return style.get("width", WIDTH_IN)


def _figure(rows: float, style: dict):
    """A figure of the chart's width and its rows' height, laid out so that every label stays inside it."""
    fig = plt.figure(figsize=(_chart_width(style), rows + 2 * PAD_IN), layout="constrained")
    fig.get_layout_engine().set(w_pad=PAD_IN, h_pad=PAD_IN, hspace=0, wspace=0)
    return fig, fig.add_subplot()


def _value_label(exhibit: dict, style: dict):
    """The printer of a bar's value: whole percent, or with ``decimals: 1`` one decimal where
    the base is at least ``style["min_base"]`` (``statistics.min_base``, added to the style by the charts stage)."""
    if exhibit.get("decimals", 0) == 1:
        return lambda share: pct1(share, style["min_base"])
    return pct


def _finish(ax, style: dict, labels: list[str], centres: list[float], height: float) -> None:
    ax.set_yticks(centres, labels)
    ax.set_ylim(height, 0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0, pad=TICK_PAD_PT)
    ax.spines["left"].set_color(style["rule_color"])
    ax.margins(x=0.14)


def _reading_order(count: int, columns: int) -> list[int]:
    """The order to give matplotlib, which fills a legend column by column, for ``count``
    entries to read row by row."""
    return sorted(range(count), key=lambda i: (i % columns, i // columns))


def _fitting_legend(owner, handles: list, names: list[str], room: float, **placement):
    """``owner``'s legend (an axes' or a figure's) in as many columns as fit ``room`` inches, read row by row;
    the legend and its height in inches."""
    renderer = owner.figure.canvas.get_renderer()
    for columns in range(len(names), 0, -1):
        order = _reading_order(len(names), columns)
        legend = owner.legend(
            [handles[i] for i in order], [names[i] for i in order], ncol=columns, frameon=False, handlelength=1.2, **placement
        )
        box = legend.get_window_extent(renderer)
        if box.width / owner.figure.dpi <= room or columns == 1:
            return legend, box.height / owner.figure.dpi
        legend.remove()


def _legend(fig, ax, handles: list, names: list[str], rows: float, style: dict) -> None:
    """The tiers' legend above the bars, in as many columns as fit beside the answers' labels,
    and the figure made tall enough for it."""
    renderer = fig.canvas.get_renderer()
    labels = max(t.get_window_extent(renderer).width for t in ax.get_yticklabels()) / fig.dpi
    room = _chart_width(style) - 2 * PAD_IN - labels - TICK_PAD_PT / 72
    _, height = _fitting_legend(ax, handles, names, room, loc="lower left", bbox_to_anchor=(0, 1.0), borderaxespad=0.2)
    fig.set_size_inches(_chart_width(style), rows + height + LEGEND_IN + 2 * PAD_IN)


def draw_total(exhibit: dict, results: Results, style: dict):
    question = results.codebook.question(exhibit["question"])
    shares = exhibit_shares(exhibit, results)
    labels = _labels(question, shares, style["label_width"])
    centres, height = _rows(labels, style["font_size"], TOTAL_BAR_IN, TOTAL_GAP_IN)
    fig, ax = _figure(height, style)
    printed = _value_label(exhibit, style)
    bars = ax.barh(
        centres, [float(s.value * 100) for s in shares], height=TOTAL_BAR_IN, color=style["palette"]["total"], linewidth=0
    )
    ax.bar_label(bars, labels=[printed(s) for s in shares], padding=3)
    _finish(ax, style, labels, centres, height)
    return fig


def _tier_bars(ax, positions: list[float], shares: list[Share], height: float, style: dict, column, printed, size: float):
    """A banner column's bars (the total's where ``column`` is None), their values printed at their ends: a hatched
    tier's hatching drawn over a solid bar of its colour, so that the hatch pattern's tile edges never show the page
    through. The legend's handle of the column."""
    values = [float(s.value * 100) for s in shares]
    colour, hatch = style["palette"][column or "total"], style["hatches"].get(column or "total", "")
    bars = ax.barh(positions, values, height=height, color=colour, linewidth=0)
    handle = bars
    if hatch:
        handle = (bars, ax.barh(positions, values, height=height, facecolor="none", hatch=hatch, hatchcolor="white", linewidth=0))
    ax.bar_label(bars, labels=[printed(s) for s in shares], padding=3, fontsize=size)
    return handle


def draw_by_tier(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """One bar per tier in each answer's row."""
    question = results.codebook.question(exhibit["question"])
    order = exhibit_shares(exhibit, results)
    labels = _labels(question, order, style["label_width"])
    value_size = style["font_size"] - 1
    pitch = _text_height(value_size) * TIER_PITCH
    centres, height = _rows(labels, style["font_size"], pitch * len(tiers), TIER_GAP_IN)
    fig, ax = _figure(height, style)
    printed = _value_label(exhibit, style)
    handles = []
    for t, tier in enumerate(tiers):
        shares = [results.share(question.id, s.choices[0], tier["id"]) for s in order]
        positions = [c + pitch * (t + 0.5 - len(tiers) / 2) for c in centres]
        handles.append(_tier_bars(ax, positions, shares, pitch * TIER_BAR, style, tier["id"], printed, value_size))
    _finish(ax, style, labels, centres, height)
    names = [f"{tier['label']} (n={show(results.base(question.id, tier['id']))})" for tier in tiers]
    _legend(fig, ax, handles, names, height, style)
    return fig


def _extent(fig, text: str, **kwargs) -> tuple[float, float]:
    """Width and height in inches of ``text`` as ``fig`` draws it."""
    probe = fig.text(0, 0, text, **kwargs)
    box = probe.get_window_extent(fig.canvas.get_renderer())
    probe.remove()
    return box.width / fig.dpi, box.height / fig.dpi


def _fill(fig, text: str, width: float, **kwargs) -> str:
    """``text`` broken at spaces into lines no wider than ``width`` inches as ``fig`` draws them (a longer word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _extent(fig, f"{lines[-1]} {word}", **kwargs)[0] <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


class _Panel(NamedTuple):
    """A panel drawn on axes of its own, to be placed: its bars' height and its title's (inches), the title wrapped,
    the handles of its bars for a legend and its longest bar (percent)."""

    ax: object
    height: float
    title: str
    title_height: float
    handles: list
    longest: float


def _panel(fig, panel: dict, exhibit: dict, results: Results, style: dict, columns: list, width: float, pitch: float):
    """One panel ``width`` inches wide: its question's ``top`` answers (the most chosen in total), labelled on the
    left, with a bar per banner column (``pitch`` inches apart) under each; titled with the panel's title and base."""
    size, value_size = style["font_size"], style["font_size"] - 1
    question = results.codebook.question(panel["question"])
    shares = results.ranking(question.id)[: exhibit["top"]]
    labels = [_fill(fig, question.choice(s.choices[0]).label, width * PANEL_LABELS, fontsize=size) for s in shares]
    centres, height = _rows(labels, size, pitch * len(columns), PANEL_ANSWER_GAP_IN)
    ax, printed, handles, longest = fig.add_axes((0, 0, 1, 1)), _value_label(exhibit, style), [], 0.0
    for k, column in enumerate(columns):
        values = [results.share(question.id, s.choices[0], column) for s in shares]
        positions = [c + pitch * (k + 0.5 - len(columns) / 2) for c in centres]
        handles.append(_tier_bars(ax, positions, values, pitch * TIER_BAR, style, column, printed, value_size))
        longest = max([longest] + [float(v.value * 100) for v in values])
    _finish(ax, style, labels, centres, height)
    title = _fill(fig, f"{panel['title']} (n={show(results.base(question.id))})", width, fontsize=size, fontweight="bold")
    return _Panel(ax, height, title, _extent(fig, title, fontsize=size, fontweight="bold")[1], handles, longest)


def draw_panels(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """Small multiples: a compact panel per question of the exhibit's ``panels``, its ``top`` answers with a bar per
    tier (the total's where ``by: total``), all on one scale from zero; each panel titled with its question's short
    title and base, one legend above them. Two panels a row, one in the phone layout."""
    width, size = _chart_width(style), style["font_size"]
    columns = [t["id"] for t in tiers] if exhibit["by"] == "tier" else [None]
    per_row = min(style.get("columns", PANELS_PER_ROW), len(exhibit["panels"]))
    panel = (width - 2 * PAD_IN - (per_row - 1) * PANEL_GAP_IN) / per_row
    labels_in, bars_in = panel * PANEL_LABELS, panel * (1 - PANEL_LABELS) - TICK_PAD_PT / 72
    fig = plt.figure(figsize=(width, 1))
    value_in, value_height = _extent(fig, "100.0%" if exhibit.get("decimals") else "100%", fontsize=size - 1)
    drawn = [_panel(fig, p, exhibit, results, style, columns, panel, value_height * PANEL_PITCH) for p in exhibit["panels"]]
    names = [t["label"] for t in tiers] if exhibit["by"] == "tier" else ["Total"]
    legend, top = _fitting_legend(
        fig, drawn[0].handles, names, width - 2 * PAD_IN, loc="upper left", borderaxespad=0, borderpad=0
    )
    top += PAD_IN + TITLE_GAP_IN + LEGEND_IN
    places = []  # each panel, its left edge, its title's top and its bars' (inches from the figure's top left)
    for start in range(0, len(drawn), per_row):
        row = drawn[start : start + per_row]
        bars_top = top + max(d.title_height for d in row) + TITLE_GAP_IN
        places += [(d, PAD_IN + i * (panel + PANEL_GAP_IN), top, bars_top) for i, d in enumerate(row)]
        top = bars_top + max(d.height for d in row) + PANEL_ROW_GAP_IN
    height = top - PANEL_ROW_GAP_IN + PAD_IN
    fig.set_size_inches(width, height)
    legend.set_bbox_to_anchor((PAD_IN / width, 1 - PAD_IN / height), transform=fig.transFigure)
    right = max(1.0, *(d.longest for d in drawn)) / (1 - (value_in + 6 / 72) / bars_in)  # room for a value label
    for d, left, title_top, bars_top in places:
        x, y = (left + labels_in + TICK_PAD_PT / 72) / width, 1 - (bars_top + d.height) / height
        d.ax.set_position((x, y, bars_in / width, d.height / height))
        d.ax.set_xlim(0, right)
        fig.text(left / width, 1 - title_top / height, d.title, va="top", fontsize=size, fontweight="bold")
    return fig


def _banner_rows(exhibit: dict, question, tiers: list[dict]) -> list[tuple[str, str | None, str]]:
    """(part id, banner column, label) of each row of a grid's or a score's chart: a row per statement
    (or the question), and per tier under it where the exhibit is ``by: tier``."""
    columns = [(None, "Total")] + ([(t["id"], t["label"]) for t in tiers] if exhibit["by"] == "tier" else [])
    rows = []
    for part in question.parts:
        for column, name in columns:
            label = part.statement or (name if len(columns) > 1 else "Total")
            if part.statement and len(columns) > 1:
                label = f"{part.statement} — {name}"
            rows.append((part.id, column, label))
    return rows


def _segments(ax, centres: list[float], lefts: list[float], widths: list[float], colour: str, shares: list[Share]) -> None:
    """One stacked segment per row, its share printed inside where it is wide enough to hold it."""
    bars = ax.barh(centres, widths, left=lefts, height=TOTAL_BAR_IN, color=colour, linewidth=0)
    labels = [pct(s) if w >= MIN_SEGMENT else "" for s, w in zip(shares, widths)]
    ax.bar_label(bars, labels=labels, label_type="center", fontsize=plt.rcParams["font.size"] - 1.5)


def _canvas(labels: list[str], style: dict):
    """A chart of one bar's row per label, wrapped: the rows' centres, the height, the figure and its axes."""
    labels = [textwrap.fill(label, style["label_width"]) for label in labels]
    centres, height = _rows(labels, style["font_size"], TOTAL_BAR_IN, TOTAL_GAP_IN)
    fig, ax = _figure(height, style)
    return labels, centres, height, fig, ax


def _width(share: Share) -> float:
    """A bar's length in percent; nothing where nobody was asked."""
    return float(share.value * 100) if share.base else 0.0


def _bars(ax, centres: list[float], shares: list[Share], colour: str) -> None:
    """One bar per row, its share printed at its end (a dash where nobody was asked)."""
    bars = ax.barh(centres, [_width(s) for s in shares], height=TOTAL_BAR_IN, color=colour, linewidth=0)
    ax.bar_label(bars, labels=[pct(s) if s.base else "–" for s in shares], padding=3)


def draw_diverging(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """A grid's answers as diverging stacked bars: the lower half of the scale left of zero, the upper
    half right of it (a middle point split across zero); answers left out of the base are not drawn."""
    question = results.codebook.question(exhibit["question"])
    scale = sorted(question.substantive, key=lambda c: c.code)
    rows = _banner_rows(exhibit, question, tiers)
    labels, centres, height, fig, ax = _canvas([label for _, _, label in rows], style)
    shares = [[results.share(part, c.id, column) for c in scale] for part, column, _ in rows]
    values = [[_width(s) for s in row] for row in shares]
    half = len(scale) / 2
    starts = [-sum(v[: int(half)]) - (v[int(half)] / 2 if len(scale) % 2 else 0) for v in values]
    colours = sns.color_palette("RdBu", len(scale)).as_hex()
    handles = []
    for k in range(len(scale)):
        lefts = [start + sum(v[:k]) for start, v in zip(starts, values)]
        widths = [v[k] for v in values]
        _segments(ax, centres, lefts, widths, colours[k], [row[k] for row in shares])
        handles.append(plt.Rectangle((0, 0), 1, 1, color=colours[k]))
    ax.axvline(0, color=style["rule_color"], linewidth=0.6)
    _finish(ax, style, labels, centres, height)
    ax.margins(x=0.02)
    _legend(fig, ax, handles, [c.label for c in scale], height, style)
    return fig


def draw_nps(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """An NPS question's detractors, passives and promoters as stacked bars per banner column, the score beside each."""
    question = results.codebook.question(exhibit["question"])
    rows = _banner_rows(exhibit, question, tiers)
    labels, centres, height, fig, ax = _canvas([label for _, _, label in rows], style)
    nets = list(reversed(question.nets))  # detractors, passives, promoters
    colours = ["#D55E00", "#BBBBBB", "#009E73"]
    shares = [[results.share(part, net.key, column) for net in nets] for part, column, _ in rows]
    values = [[_width(s) for s in row] for row in shares]
    for k in range(len(nets)):
        lefts = [sum(v[:k]) for v in values]
        _segments(ax, centres, lefts, [v[k] for v in values], colours[k], [row[k] for row in shares])
    for centre, (part, column, _) in zip(centres, rows):
        value = results.score(part, column)
        ax.text(102, centre, f"NPS {score(value)}" if value.n else "", va="center", fontsize=style["font_size"] - 1)
    _finish(ax, style, labels, centres, height)
    ax.set_xlim(0, 100)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    _legend(fig, ax, handles, [net.label for net in nets], height, style)
    return fig


def draw_scores(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """Means as dots with their intervals as lines, a row per statement (and banner column), the value beside each."""
    question = results.codebook.question(exhibit["question"])
    rows = _banner_rows(exhibit, question, tiers)
    labels, centres, height, fig, ax = _canvas([label for _, _, label in rows], style)
    values = [results.score(part, column) for part, column, _ in rows]
    shown = [(c, v) for c, v in zip(centres, values) if v.n]
    for centre, value in shown:
        colour = style["palette"].get(value.column, style["palette"]["total"])
        if value.n > 1:
            ax.plot([value.ci_low, value.ci_high], [centre, centre], color=colour, linewidth=1.2, solid_capstyle="butt")
        ax.plot([value.value], [centre], "o", color=colour, markersize=5)
        ax.annotate(score(value), (value.value, centre), xytext=(0, 5), textcoords="offset points", ha="center",
                    fontsize=style["font_size"] - 1)  # fmt: skip
    _finish(ax, style, labels, centres, height)
    return fig


def draw_ranked_first(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """A rank question's items by the share who ranked each first, most first."""
    question = results.codebook.question(exhibit["question"])
    first = question.choices[0].id
    shares = sorted((results.share(p.id, first) for p in question.parts), key=lambda s: -(s.value if s.base else 0))
    labels, centres, height, fig, ax = _canvas([results.codebook.question(s.question).statement for s in shares], style)
    _bars(ax, centres, shares, style["palette"]["total"])
    _finish(ax, style, labels, centres, height)
    return fig


def draw_ticked(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    """A multiple-answer matrix: a bar per answer ticked, grouped by statement (and tier, where ``by: tier``)."""
    question = results.codebook.question(exhibit["question"])
    rows = _banner_rows(exhibit, question, tiers)
    entries = [(part, column, c, f"{label} — {c.label}") for part, column, label in rows for c in question.substantive]
    labels, centres, height, fig, ax = _canvas([label for *_, label in entries], style)
    _bars(ax, centres, [results.share(part, c.id, column) for part, column, c, _ in entries], style["palette"]["total"])
    _finish(ax, style, labels, centres, height)
    return fig


def draw_exhibit(exhibit: dict, results: Results, style: dict, tiers: list[dict]):
    if "panels" in exhibit:
        return draw_panels(exhibit, results, style, tiers)
    question = results.codebook.question(exhibit["question"])
    drawn_by_type = {"matrix": draw_diverging, "nps": draw_nps, "numeric": draw_scores, "rank": draw_ranked_first}
    if question.multi and question.statements:
        return draw_ticked(exhibit, results, style, tiers)
    if question.type in drawn_by_type:
        return drawn_by_type[question.type](exhibit, results, style, tiers)
    if exhibit["by"] == "tier":
        return draw_by_tier(exhibit, results, style, tiers)
    return draw_total(exhibit, results, style)


def save_svg(fig, path: str | Path) -> None:
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
