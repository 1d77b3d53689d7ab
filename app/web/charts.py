"""Small server-rendered SVG charts (no JavaScript, no inline style: CSP-friendly and printable)."""

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^k that is at least `value` (a readable top for an axis)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def bar_chart(series: Sequence[tuple[date, int]], *, title: str, width: int = 1100, height: int = 220) -> Markup:
    """A bar per day with a y axis (0, half, top) and a date label every week; each bar has a tooltip."""
    left, right, top, bottom = 36, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_ceiling(max((count for _, count in series), default=0))
    slot = plot_w / max(1, len(series))
    bar_w = max(1.0, slot * 0.7)
    total = sum(count for _, count in series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}: {total} in {len(series)} days">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line class="{"axis" if fraction == 0 else "grid"}" x1="{left}" y1="{y:.1f}" '
                     f'x2="{width - right}" y2="{y:.1f}"/>')
        if (top_value * fraction).is_integer():  # counts are whole: no "2.5" on the axis
            parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{int(top_value * fraction)}</text>')
    for n, (day, count) in enumerate(series):
        h = plot_h * count / top_value
        x = left + n * slot + (slot - bar_w) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(day.isoformat())}: {count}</title></rect>"
        )
        if (len(series) - 1 - n) % 7 == 0:  # label the last day and every seventh before it
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                         f"{escape(day.strftime('%b %d'))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
