"""Pictures drawn from what the code really does.

``.. cancel-diagram::`` runs ``examples/explain_cancel_order.py`` at build time and draws its coroutine graph as an
inline SVG: who waits for whom, which coroutine failed, and the order in which the others received
:class:`tinyio.CancelledError` -- the order is read from the example's output, not typed in, so the picture cannot
drift from the loop's behaviour. If the example's output does not name every coroutine of the drawing, the build
warns (and fails under ``-W``). No graphviz: the layout is fixed, the SVG is written by hand.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from tinyio_examples import ROOT, run_example

logger = logging.getLogger(__name__)

EXAMPLE = ROOT / "examples" / "explain_cancel_order.py"

# name -> (centre x, centre y, label); edges: (waiter, child, label of the yield that made the child)
NODES = {
    "main": (400, 50, "main()"),
    "logger": (165, 165, "logger()"),
    "server": (580, 165, "server()"),
    "handler 1": (400, 295, "handler(1)"),
    "handler 2": (580, 295, "handler(2)"),
    "never": (760, 295, "never_started()"),
}
EDGES = [
    ("main", "logger", "yield {logger()}"),
    ("main", "server", "yield server()"),
    ("server", "handler 1", "yield [handler(1), handler(2), never_started()]"),
    ("server", "handler 2", ""),
    ("server", "never", ""),
]
W, H, BOX_W, BOX_H = 880, 420, 160, 54


def order_from(output: str) -> tuple[str | None, list[str]]:
    """The coroutine that raised, and the ones that received CancelledError, in the order they did."""
    failed = re.search(r"^(.+?): raises ", output, re.MULTILINE)
    return (failed.group(1) if failed else None), re.findall(r"^(.+?): CancelledError$", output, re.MULTILINE)


def svg(failed: str, cancelled: list[str]) -> str:
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="tinyio-diagram" '
        'aria-label="A coroutine graph being cancelled" font-family="sans-serif" font-size="13">',
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<rect x="0" y="0" width="{W}" height="{H}" rx="10" fill="#ffffff"/>',
    ]
    for waiter, child, label in EDGES:
        x1, y1, _ = NODES[waiter]
        x2, y2, _ = NODES[child]
        y1 += BOX_H // 2
        y2 -= BOX_H // 2
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
        if label:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            anchor = "end" if x2 < x1 else "start"
            dx = -8 if x2 < x1 else 8
            out.append(
                f'<text x="{mx + dx}" y="{my}" text-anchor="{anchor}" font-family="monospace" fill="#333">'
                f"{html.escape(label)}</text>"
            )
    number = {name: index for index, name in enumerate(cancelled, start=2)}
    for name, (x, y, label) in NODES.items():
        left, top = x - BOX_W // 2, y - BOX_H // 2
        if name == failed:
            fill, stroke, dash, status = "#fde2e1", "#c9302c", "", "raises ValueError"
        elif name in number:
            fill, stroke, dash, status = "#fff4d6", "#b8860b", "", "gets CancelledError"
        else:
            fill, stroke, dash, status = "#f2f2f2", "#888888", ' stroke-dasharray="5 4"', "closed, never ran"
        out.append(
            f'<rect x="{left}" y="{top}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"{dash}/>'
        )
        out.append(
            f'<text x="{x}" y="{y - 4}" text-anchor="middle" font-family="monospace" font-weight="bold" '
            f'fill="#111">{html.escape(label)}</text>'
        )
        size = 11 if len(status) > 22 else 12
        out.append(f'<text x="{x}" y="{y + 15}" text-anchor="middle" font-size="{size}" fill="#333">{status}</text>')
        badge = 1 if name == failed else number.get(name)
        if badge is not None:
            bx, by = left + BOX_W - 4, top + 2
            out.append(f'<circle cx="{bx}" cy="{by}" r="12" fill="{stroke}"/>')
            out.append(
                f'<text x="{bx}" y="{by + 4.5}" text-anchor="middle" font-weight="bold" fill="#fff">{badge}</text>'
            )
    last = len(cancelled) + 1
    legend = [
        f"1: handler(2) raises. 2 to {last}: the loop throws CancelledError into every unfinished coroutine, newest first,",
        "so children before the coroutines that wait for them. never_started() was scheduled but never ran: it is closed.",
        f"Then Loop.run raises the ValueError, with the frames of main() and server() stitched above handler(2)'s.",
    ]
    for index, line in enumerate(legend):
        out.append(f'<text x="24" y="{H - 62 + 20 * index}" fill="#333">{html.escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out)


class CancelDiagram(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(EXAMPLE))
        result = run_example(EXAMPLE)
        failed, cancelled = order_from(result.stdout)
        drawn = set(NODES) - {"never"}
        if failed is None or {failed, *cancelled} != drawn:
            logger.warning(
                "cancel-diagram: %s no longer prints what the diagram draws (%s); it printed:\n%s",
                Path(EXAMPLE).name,
                ", ".join(sorted(drawn)),
                result.stdout,
                location=self.get_location(),
            )
            return []
        figure = nodes.container(classes=["tinyio-figure"])
        figure += nodes.raw("", svg(failed, cancelled), format="html")
        return [figure]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("cancel-diagram", CancelDiagram)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
