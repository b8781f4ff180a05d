"""The trend chart: conformance over past runs as inline SVG (no script, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 640, 180, 32
COLOUR = {"PASS": "#2e7d32", "FAIL": "#c62828", "INCOMPLETE": "#f9a825"}


def svg(points: list[dict[str, Any]]) -> str:
    """A polyline of conformance (0-100 %) per run, a dot coloured by each run's verdict."""
    if not points:
        return '<p class="muted">No history yet: the trend starts with the next run.</p>'
    n = len(points)
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)

    def xy(i: int, rate: float) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - rate * (HEIGHT - 2 * PAD)

    coords = [xy(i, float(p["conformance"])) for i, p in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="conformance over the last {n} runs">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<text x="4" y="{PAD + 4}" font-size="10">100%</text>',
        f'<text x="8" y="{HEIGHT - PAD + 4}" font-size="10">0%</text>',
        f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{line}"/>',
    ]
    for (x, y), p in zip(coords, points, strict=True):
        colour = COLOUR.get(p.get("verdict") or "", "#757575")
        tip = escape(f"{p['at']}: {p.get('verdict') or 'partial'}, {float(p['conformance']):.0%}, {p['fail']} failing")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{tip}</title></circle>')
    first, last = escape(str(points[0]["at"])[:16]), escape(str(points[-1]["at"])[:16])
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="10">{first}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="10" text-anchor="end">{last}</text>')
    parts.append("</svg>")
    return "".join(parts)
