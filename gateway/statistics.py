"""The public statistics (blueprint ``statistics``): no login, no JavaScript, no personal data.

    GET /statistik                      the page (Indonesian; ``?lang=en`` for English): the
                                        last 30 days by channel, kind, status, service-level
                                        colour and province, the daily trend and the median
                                        time to the first status change; each chart beside a
                                        table of the same numbers
    GET /statistik/grafik/<name>.svg    one chart (``gateway.charts``): channel,
                                        classification, status, service_level, province, daily
    GET /api/v1/statistics              the same numbers as JSON (``normalizer.public_stats``)

Every answer comes from one snapshot of the store's daily counters, computed at most once
per ``CACHE_SECONDS`` per process and shared by the page, its charts and the JSON, so a
crowd hammering the page costs one Redis transaction a minute per process; the answers say
``Cache-Control: public, max-age=60`` so a proxy in front can keep them too. Counts below 5
read ``"<5"`` and the others are rounded down to a multiple of 5 (docs/decisions.md).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from functools import partial

import redis
from flask import Blueprint, abort, current_app, jsonify, render_template, request

from config import messages
from gateway import charts
from gateway.webtext import date_text, known, page_text, text_in, time_text
from normalizer.public_stats import BREAKDOWNS, UNKNOWN, publish, stats_day, tally, window

blueprint = Blueprint("statistics", __name__, template_folder="templates")
log = logging.getLogger("lapor.statistics")
CACHE_SECONDS = 60
CACHE_CONTROL = f"public, max-age={CACHE_SECONDS}"
CHARTS = (*BREAKDOWNS, "daily")


class StatsSnapshot:
    """The published numbers, recomputed from the store at most every ``seconds``, and the
    charts drawn from them (pygal takes tens of milliseconds a chart), kept as long."""

    def __init__(self, store, seconds: float = CACHE_SECONDS, clock=time.monotonic):
        self.store, self.seconds, self.clock = store, seconds, clock
        self._lock = threading.Lock()
        self._kept: tuple[float, dict, dict] | None = None

    def current(self) -> dict:
        return self._fresh()[1]

    def drawn(self, key: tuple, draw):
        """``draw(numbers)``, made once per snapshot for each ``key``."""
        _, numbers, made = self._fresh()
        if key not in made:
            made[key] = draw(numbers)
        return made[key]

    def _fresh(self) -> tuple[float, dict, dict]:
        with self._lock:
            if self._kept is None or self.clock() >= self._kept[0]:
                now = datetime.now(timezone.utc)
                today = stats_day(now)
                days, waits = self.store.public_stats.read(window(today))
                self._kept = (self.clock() + self.seconds, publish(tally(days, waits, now), today, now), {})
            return self._kept


def kept() -> StatsSnapshot:
    extensions = current_app.extensions
    if "lapor_statistics" not in extensions:
        extensions["lapor_statistics"] = StatsSnapshot(extensions["lapor"].store)
    return extensions["lapor_statistics"]


def snapshot() -> dict:
    return kept().current()


def category(name: str, key: str, lang: str) -> str:
    """A category's name on the page."""
    if name == "status":
        return messages.status_label(key, lang)
    if name == "province":
        return text_in(lang, "province_unknown") if key == UNKNOWN else key
    text_key = {"channel": f"channel_{key}", "service_level": f"colour_{key}"}.get(name, key)
    return text_in(lang, text_key) if known(text_key) else key


def rows(numbers: dict, name: str, lang: str) -> list[tuple[str, str, int | str]]:
    """(key, label, shown count) of chart ``name``: a breakdown, or ``daily``."""
    if name == "daily":
        return [(row["date"], date_text(row["date"]), row["count"]) for row in numbers["daily"]]
    return [(row["key"], category(name, row["key"], lang), row["count"])
            for row in numbers[f"by_{name}"]]


def _language() -> str:
    return "en" if request.args.get("lang") == "en" else "id"


def _cached(response):
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@blueprint.get("/statistik")
def page():
    lang = _language()
    try:
        html = _page(lang, snapshot())      # not kept: the language link carries the query
    except redis.RedisError as exc:
        log.error("store unavailable on the statistics page: %s", type(exc).__name__)
        return render_template("error.html", status=503, detail=page_text("error_503"),
                               reason="service unavailable"), 503, {"Cache-Control": "no-store"}
    return _cached(current_app.make_response(html))


def _page(lang: str, numbers: dict) -> str:
    sections = [{"name": name, "title": text_in(lang, f"stats_by_{name}"),
                 "rows": rows(numbers, name, lang)} for name in BREAKDOWNS]
    first = numbers["first_status_change"]
    html = render_template(
        "statistics.html", numbers=numbers, sections=sections,
        daily=rows(numbers, "daily", lang), first=first,
        start=date_text(numbers["window"]["from"]), end=date_text(numbers["window"]["to"]),
        generated=time_text(numbers["generated_at"]),
        chart_query={"lang": "en"} if lang == "en" else {})
    return html


@blueprint.get("/statistik/grafik/<name>.svg")
def chart(name: str):
    if name not in CHARTS:
        abort(404)
    svg = kept().drawn((name, _language()), partial(_chart, name, _language()))
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = charts.SVG_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _cached(response)


def _chart(name: str, lang: str, numbers: dict) -> bytes:
    title = text_in(lang, "stats_daily" if name == "daily" else f"stats_by_{name}")
    drawn = [(label[:5] if name == "daily" else label, count)      # a day as dd-mm
             for _, label, count in rows(numbers, name, lang)]
    return charts.trend(title, drawn) if name == "daily" else charts.bars(title, drawn)


@blueprint.get("/api/v1/statistics")
def statistics_json():
    numbers = snapshot()
    response = jsonify(numbers)
    response.headers["Access-Control-Allow-Origin"] = "*"      # public numbers, no credentials
    return _cached(response)
