"""The charts of ``/statistik`` as SVG drawn on the server with pygal: no JavaScript runs
(the page shows each as an ``<img>``, in which a browser runs no script, and the SVG answer
carries its own ``script-src 'none'`` policy), and every chart has its numbers in a table
beside it on the page.

A bar of a hidden count (``"<5"``) is not drawn: its height would tell what the label hides.
pygal is imported on the first chart (about 0.17 s of a web worker's start otherwise).
"""
from __future__ import annotations

from functools import lru_cache

STYLE = dict(
    background="#ffffff", plot_background="#ffffff", foreground="#1b1b1b",
    foreground_strong="#1b1b1b", foreground_subtle="#6f777b", colors=("#0b4f9c",),
    font_family="system-ui, 'Noto Sans', Arial, sans-serif", title_font_size=17,
    label_font_size=14, major_label_font_size=14, value_font_size=14)
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'"
WIDTH = 480          # drawn at the phone column's scale; the page lets it grow to 640 px


@lru_cache(maxsize=1)
def _pygal():
    """(pygal, the charts' style), imported once, on the first chart."""
    import pygal
    from pygal.style import Style

    return pygal, Style(**STYLE)


def _value(count):
    return count if isinstance(count, int) else None


def bars(title: str, rows: list[tuple[str, int | str]]) -> bytes:
    """A horizontal bar chart of (label, shown count) rows, largest first as given."""
    pygal, style = _pygal()
    chart = pygal.HorizontalBar(
        js=[], style=style, title=title, show_legend=False, width=WIDTH,
        height=110 + 40 * max(len(rows), 1), print_values=True, print_zeroes=True,
        truncate_label=-1, min_scale=1, max_scale=5, margin=12)
    chart.x_labels = [label for label, _ in reversed(rows)]
    chart.add(title, [{"value": _value(count), "label": str(count)}
                      for _, count in reversed(rows)])
    return chart.render()


def trend(title: str, rows: list[tuple[str, int | str]]) -> bytes:
    """A bar chart of (day label, shown count), one bar per day, oldest first."""
    pygal, style = _pygal()
    chart = pygal.Bar(
        js=[], style=style, title=title, show_legend=False, width=WIDTH, height=320,
        x_label_rotation=-60, show_minor_x_labels=False, x_labels_major_every=5,
        truncate_label=-1, min_scale=1, max_scale=5, margin=12)
    chart.x_labels = [label for label, _ in rows]
    chart.add(title, [_value(count) for _, count in rows])
    return chart.render()
