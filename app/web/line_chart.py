"""Server-rendered SVG line charts of training metrics: one line per job, steps on the x axis."""

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

# Distinct hues that stay apart for the common colour-vision deficiencies (Okabe-Ito); each line also
# gets its own dash pattern, so colour is never the only signal.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high + step * 0.999]


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    title: str,
    width: int = 560,
    height: int = 220,
) -> Markup:
    """`series` is [(label, [(step, value), ...]), ...]; empty series draw an empty, labelled frame."""
    left, right, top, bottom = 52, 12, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [(x, y) for _, pts in series for x, y in pts if math.isfinite(y)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="line-chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{left}" y="15">{escape(title)}</text>',
    ]
    if not points:
        parts.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">no data yet</text>')
        parts.append("</svg>")
        return Markup("".join(parts))
    x_lo, x_hi = min(x for x, _ in points), max(x for x, _ in points)
    y_ticks = _ticks(min(y for _, y in points), max(y for _, y in points))
    y_lo, y_hi = y_ticks[0], y_ticks[-1]
    x_span, y_span = (x_hi - x_lo) or 1.0, (y_hi - y_lo) or 1.0

    def sx(x: float) -> float:
        return left + plot_w * (x - x_lo) / x_span

    def sy(y: float) -> float:
        return top + plot_h * (1 - (y - y_lo) / y_span)

    for tick in y_ticks:
        parts.append(f'<line class="grid" x1="{left}" y1="{sy(tick):.1f}" x2="{width - right}" y2="{sy(tick):.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:.4g}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    for x in (x_lo, (x_lo + x_hi) / 2, x_hi):
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 8}" text-anchor="middle">{x:.4g}</text>')
    for n, (label, pts) in enumerate(series):
        finite = [(x, y) for x, y in pts if math.isfinite(y)]
        if not finite:
            continue
        colour, dash = PALETTE[n % len(PALETTE)], DASHES[n % len(DASHES)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(finite))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}>'
                     f"<title>{escape(label)}</title></path>")
        if len(finite) == 1:
            x, y = finite[0]
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>')
        legend_x = left + 8 + 150 * n
        parts.append(f'<line x1="{legend_x}" y1="{top + 6}" x2="{legend_x + 18}" y2="{top + 6}" stroke="{colour}" '
                     f'stroke-width="2"{dash_attr}/>')
        parts.append(f'<text x="{legend_x + 22}" y="{top + 10}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
