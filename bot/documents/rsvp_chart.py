"""The attendance chart of ``/rsvp_stats``: a PNG of who has a seat, who waits and who came.

Two panels on one figure: the whole event (one bar: checked in, confirmed and not yet arrived,
waitlisted, waiting for approval, with the capacity as a dashed line) and one bar per delegate
group (confirmed, waitlisted, waiting for approval, with a tick at the seats reserved for it).
Every word comes from ``t`` (a catalog key in the reader's language), in DejaVu Sans, which has
the Vietnamese letters.

Built on a :class:`matplotlib.figure.Figure` with the Agg canvas, never ``pyplot``: no global
figure state, so it may run in a worker thread (``asyncio.to_thread``) while the bot goes on.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.domain.events import Seat
from bot.domain.text import shorten
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.services.events import Stats

Translate = Callable[[str], str]

FONT = "DejaVu Sans"
WIDTH_PX, HEIGHT_PX, DPI = 1200, 700, 100
LABEL_WIDTH = 30  # characters per line of a group's name
LABEL_LINES = 2
COLOURS = {
    "checked_in": "#1b7f3b",
    "confirmed": "#7cc48a",
    "waitlisted": "#f0a030",
    "pending": "#8fa8c8",
    "capacity": "#c0392b",
    "reserved": "#333333",
}


def short_label(name: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """A group's name on at most ``lines`` lines of ``width`` characters (cut with "…")."""
    wrapped = textwrap.wrap(" ".join(name.split()), width) or [""]
    if len(wrapped) > lines:
        rest = " ".join(wrapped[lines - 1 :])
        wrapped = [*wrapped[: lines - 1], shorten(rest, width)]
    return "\n".join(wrapped)


def group_rows(stats: Stats, t: Translate) -> list[tuple[str, int, int, int, int]]:
    """(label, confirmed, waitlisted, pending, reserved) per group: the event's groups in their
    order, then the people of no group, then groups no longer in the event (by id)."""
    event = stats.event
    rows: list[tuple[str, int, int, int, int]] = []

    def counts(group_id: str | None) -> tuple[int, int, int]:
        seats = stats.by_group.get(group_id, {})
        return (
            seats.get(Seat.CONFIRMED.value, 0),
            seats.get(Seat.WAITLISTED.value, 0),
            seats.get(Seat.PENDING.value, 0),
        )

    for group in event.groups:
        rows.append((group.name, *counts(group.id), group.reserved))
    if any(counts(None)) or (not event.groups and stats.by_group):
        label = t(N_("stats.chart.no_group")) if event.groups else t(N_("stats.chart.everyone"))
        rows.append((label, *counts(None), 0))
    known = {g.id for g in event.groups}
    for group_id in sorted(g for g in stats.by_group if g is not None and g not in known):
        rows.append((group_id, *counts(group_id), 0))
    return rows


def attendance_chart(stats: Stats, t: Translate) -> bytes:
    """The chart as PNG bytes, 1200 px wide (taller with many groups)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(family=FONT, size=11)
    small = FontProperties(family=FONT, size=10)
    bold = FontProperties(family=FONT, size=14, weight="bold")
    event = stats.event
    rows = group_rows(stats, t)
    height_px = max(HEIGHT_PX, 260 + 62 * len(rows))
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    if rows:
        whole, groups = figure.subplots(2, 1, height_ratios=[1.3, len(rows)], sharex=True)
        panels = [whole, groups]
    else:  # nobody answered yet and no groups: the whole event only
        whole = groups = figure.subplots(1, 1)
        panels = [whole]
    labels = {
        "checked_in": t(N_("stats.chart.checked_in")),
        "confirmed": t(N_("stats.chart.confirmed")),
        "waitlisted": t(N_("stats.chart.waitlisted")),
        "pending": t(N_("stats.chart.pending")),
    }

    # The whole event: checked in + confirmed not yet arrived + waitlisted + pending.
    not_arrived = max(0, stats.confirmed - stats.checked_in)
    answered = stats.checked_in + not_arrived + stats.waitlisted + stats.pending
    top = max(event.capacity, answered, *(row[1] + row[2] + row[3] for row in rows), 1)
    segments = [
        ("checked_in", stats.checked_in),
        ("confirmed", not_arrived),
        ("waitlisted", stats.waitlisted),
        ("pending", stats.pending),
    ]
    _stack(
        whole, [0], [[value] for _, value in segments], [k for k, _ in segments], labels, small, top
    )
    whole.set_yticks([0], [t(N_("stats.chart.total"))], fontproperties=font)
    whole.axvline(event.capacity, color=COLOURS["capacity"], linestyle="--", linewidth=2)
    whole.text(
        event.capacity,
        0.48,
        f" {t(N_('stats.chart.capacity'))}: {event.capacity} ",
        color=COLOURS["capacity"],
        fontproperties=small,
        va="bottom",
        ha="right" if event.capacity > top * 0.85 else "left",
    )
    whole.set_ylim(-0.6, 0.9)

    if rows:  # one bar per group, the first at the top
        positions = list(range(len(rows)))[::-1]
        values = [[r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]]
        keys = ["confirmed", "waitlisted", "pending"]
        _stack(groups, positions, values, keys, labels, small, top, legend=False)
        reserved = [(row[4], y + 0.36) for y, row in zip(positions, rows, strict=True) if row[4]]
        if reserved:  # a mark above the bar at the number of seats reserved for the group
            groups.plot(
                [x for x, _ in reserved],
                [y for _, y in reserved],
                linestyle="none",
                marker="v",
                markersize=10,
                color=COLOURS["reserved"],
                label=t(N_("stats.chart.reserved")),
            )
        groups.set_yticks(positions, [short_label(row[0]) for row in rows], fontproperties=small)
        groups.set_ylim(-0.7, len(rows) - 0.3)
        groups.axvline(
            event.capacity, color=COLOURS["capacity"], linestyle="--", linewidth=1, alpha=0.4
        )
    panels[-1].set_xlabel(t(N_("stats.chart.people")), fontproperties=font)

    for axes in panels:
        axes.set_xlim(0, top * 1.08)
        axes.grid(axis="x", color="#dddddd", linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.xaxis.get_major_locator().set_params(integer=True)
        for tick in axes.get_xticklabels():
            tick.set_fontproperties(small)

    handles, names = whole.get_legend_handles_labels()
    if rows:
        more_handles, more_names = groups.get_legend_handles_labels()
        handles, names = [*handles, *more_handles], [*names, *more_names]
    capacity_line = whole.plot([], [], color=COLOURS["capacity"], linestyle="--", linewidth=2)[0]
    figure.legend(
        [*handles, capacity_line],
        [*names, t(N_("stats.chart.capacity"))],
        loc="outside lower center",
        ncols=3,
        prop=font,
        frameon=False,
    )
    figure.suptitle(_title(t(N_("stats.chart.title")), event.title), fontproperties=bold)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _title(prefix: str, title: str) -> str:
    return f"{prefix}\n{short_label(title, 100, 2)}"


def _stack(
    axes: Any,
    positions: list[int],
    values: list[list[int]],
    keys: list[str],
    labels: dict[str, str],
    font: Any,
    scale: int,
    *,
    legend: bool = True,
) -> None:
    """Horizontal stacked bars, a segment per key; each count written inside its segment when
    the bar has several and it fits (``scale``: the largest value of the axis), the bar's total
    after it."""
    left = [0] * len(positions)
    parts = [sum(1 for series in values if series[i]) for i in range(len(positions))]
    for key, series in zip(keys, values, strict=True):
        bars = axes.barh(
            positions,
            series,
            left=left,
            height=0.62,
            color=COLOURS[key],
            label=labels[key] if legend else None,
        )
        for bar, value, count in zip(bars, series, parts, strict=True):
            if value and count > 1 and value / scale >= 0.025:
                axes.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    str(value),
                    ha="center",
                    va="center",
                    fontproperties=font,
                    color="white" if key == "checked_in" else "black",
                )
        left = [a + b for a, b in zip(left, series, strict=True)]
    for position, end in zip(positions, left, strict=True):
        if end:  # the bar's total after it
            axes.text(end + scale * 0.006, position, str(end), va="center", fontproperties=font)
