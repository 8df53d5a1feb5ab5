"""One self-contained HTML report from the DuckDB warehouse: opens offline, fetches nothing.

Charts are drawn with matplotlib's Agg canvas and embedded inline (SVG for charts, PNG for the route
drawing, whose thousands of lines would make a large SVG); the power sections are interactive Plotly
charts with plotly.js inlined once (strava/report_power.py). Everything comes from the analytics views.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import polyline
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes
from matplotlib.typing import RcKeyType

from strava.analytics import VIEW_NAMES, create_views_duckdb
from strava.report_power import power_sections

FTP_HINT = "python -m strava settings --ftp 250 --since 2025-01-01"
COLORS = {"main": "#fc4c02", "avg": "#1f4e79", "second": "#5b8c5a", "muted": "#b8c4ce", "load": "#7a3b8f"}
WIDTH_IN = 11.0
TABLE_QUARTERS = 8
HOME_RADIUS_KM = 50.0
KM_PER_DEGREE = 111.2  # of latitude
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller files, sharp at any zoom
    "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
}


# --- data --------------------------------------------------------------------------------------

def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _first(conn: Any, sql: str) -> tuple | None:
    rows = conn.execute(sql).fetchall()  # fetch everything: DuckDB 2 refuses some work while a result is open
    return rows[0] if rows else None


def _count(conn: Any, sql: str) -> int:
    return conn.execute(sql).fetchall()[0][0]  # SELECT count(*): always one row


def _relations(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _ensure_views(conn: Any) -> bool:
    """True when the views can be queried. A file written before the views existed gets session-only
    copies (allowed on a read-only connection)."""
    present = _relations(conn)
    if not {"activities", "athlete_settings"} <= present:
        return False
    if not set(VIEW_NAMES) <= present:
        create_views_duckdb(conn, temporary=True)
    return True


# --- routes ------------------------------------------------------------------------------------

def decode_routes(polylines: Sequence[str]) -> list[np.ndarray]:
    """Each encoded polyline of two points or more as an (n, 2) array of (lat, lng). A damaged one (cut
    short: the decoder runs off its end) is left out of the drawing rather than failing the report."""
    routes = []
    for text in polylines:
        try:
            points = polyline.decode(text)
        except IndexError:
            continue
        if len(points) >= 2:
            routes.append(np.array(points, dtype=float))
    return routes


def _routes_in_home_area(routes: list[np.ndarray]) -> list[np.ndarray]:
    """The routes starting within HOME_RADIUS_KM of the usual start (trips far away would shrink home to a
    dot), projected to x = lng * cos(lat0), y = lat so that a degree means the same distance both ways.
    The usual start: the median start inside the busiest 0.2-degree cell of start points."""
    starts = np.array([r[0] for r in routes])
    _, cell, counts = np.unique(np.floor(starts / 0.2), axis=0, return_inverse=True, return_counts=True)
    lat0, lng0 = np.median(starts[cell.ravel() == counts.argmax()], axis=0)
    scale = math.cos(math.radians(lat0))
    km = np.hypot(starts[:, 0] - lat0, (starts[:, 1] - lng0) * scale) * KM_PER_DEGREE
    return [np.column_stack(((r[:, 1] - lng0) * scale, r[:, 0] - lat0))
            for r, d in zip(routes, km, strict=True) if d <= HOME_RADIUS_KM]


# --- figures -------------------------------------------------------------------------------------

def _figure(height: float, rows: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, axes


def _svg(fig: Figure, salt: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):  # unique, stable element ids per figure
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is inlined in HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def _png(fig: Figure, dpi: int = 100) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="Routes" src="data:image/png;base64,{data}">'


def _week_axis(weeks: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (one week each) and bin centres, in matplotlib date numbers. One filled step path per
    series instead of a rectangle per week keeps ten years of weeks fast to draw and small to embed."""
    starts = mdates.date2num([w["week_start"] for w in weeks])
    return np.append(starts, starts[-1] + 7), starts + 3.5


def _weekly_chart(weeks: list[dict[str, Any]]) -> Figure:
    fig, (top, bottom) = _figure(4.6, rows=2)
    edges, mid = _week_axis(weeks)
    for ax, col, color, title, unit in ((top, "distance_km", COLORS["main"], "Weekly distance", "km"),
                                        (bottom, "elevation_m", COLORS["second"], "Weekly elevation gain", "m")):
        ax.stairs([w[col] for w in weeks], edges, fill=True, color=COLORS["muted"], label=title)
        ax.plot(mid, [w[f"{col}_ma4"] for w in weeks], color=color, lw=2, label="4-week average")
        ax.set(title=title, ylabel=unit)
        ax.legend(loc="upper left")
        ax.xaxis_date()
    bottom.set_xlabel("Week (Monday, local time)")
    return fig


def _trend(x: Sequence[date], y: Sequence[float]) -> tuple[np.ndarray, float] | None:
    """Least-squares line through the points; returns the fitted values and the slope in W per year."""
    if len(x) < 2:
        return None
    days = np.array([d.toordinal() for d in x], dtype=float)
    slope, intercept = np.polyfit(days, np.asarray(y, dtype=float), 1)
    return slope * days + intercept, slope * 365.25


def _watts_chart(weeks: list[dict[str, Any]]) -> Figure:
    fig, (ax,) = _figure(3.5)
    measured = [w for w in weeks if w["avg_watts"] is not None]
    x = [w["week_start"] for w in measured]
    ax.plot(x, [w["avg_watts"] for w in measured], "o", ms=3, color=COLORS["avg"], alpha=0.6,
            label="Average power (moving-time weighted)")
    weighted = [w for w in measured if w["weighted_avg_watts"] is not None]
    ax.plot([w["week_start"] for w in weighted], [w["weighted_avg_watts"] for w in weighted], "s", ms=3,
            color=COLORS["main"], alpha=0.6, label="Weighted average power")
    for series, color, name in ((measured, COLORS["avg"], "average"), (weighted, COLORS["main"], "weighted")):
        fit = _trend([w["week_start"] for w in series],
                     [w["avg_watts" if name == "average" else "weighted_avg_watts"] for w in series])
        if fit:
            ax.plot([w["week_start"] for w in series], fit[0], color=color, lw=2,
                    label=f"Trend, {name}: {fit[1]:+.1f} W/year")
    ax.set(title="Power per week (power-meter activities only)", ylabel="W", xlabel="Week")
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def _quarterly_chart(quarters: list[dict[str, Any]]) -> Figure:
    fig, (ax,) = _figure(3.2)
    labels = [q["quarter_label"] for q in quarters]
    ax.bar(labels, [q["distance_km"] for q in quarters], color=COLORS["main"], label="Distance")
    year_ago = [q["distance_km"] - q["distance_km_vs_prev_year"] if q["distance_km_vs_prev_year"] is not None
                else np.nan for q in quarters]
    ax.plot(labels, year_ago, "_", ms=18, mew=2.5, color=COLORS["avg"], label="Same quarter a year earlier")
    ax.set(title="Distance per quarter", ylabel="km")
    ax.tick_params(axis="x", labelrotation=45 if len(labels) > 10 else 0)
    if len(labels) > 24:  # ten years of quarters: label every other bar
        ax.set_xticks(range(0, len(labels), 2), labels[::2])
    ax.legend(loc="upper left")
    return fig


def _running_totals_chart(daily: list[dict[str, Any]]) -> Figure:
    fig, (ax,) = _figure(3.5)
    years = sorted({d["local_date"].year for d in daily})
    colors = matplotlib.colormaps["viridis"](np.linspace(0.15, 0.85, max(len(years), 1)))
    for year, color in zip(years, colors, strict=True):
        days = [d for d in daily if d["local_date"].year == year]
        doy = [d["local_date"].timetuple().tm_yday for d in days]
        doy.insert(0, doy[0] - 1)  # the line starts at zero on the day before the year's first activity
        total = np.cumsum([0.0] + [d["distance_km"] for d in days])
        last = year == years[-1]
        ax.step(doy, total, where="post", color=COLORS["main"] if last else color, lw=2.4 if last else 1.4,
                label=f"{year}: {total[-1]:,.0f} km")
    month_starts = [date(2001, m, 1).timetuple().tm_yday for m in range(1, 13)]
    ax.set_xticks(month_starts, [date(2001, m, 1).strftime("%b") for m in range(1, 13)])
    ax.set(title="Cumulative distance by day of year", ylabel="km", xlabel="Day of year", xlim=(0, 366))
    ax.legend(loc="upper left", ncols=2 if len(years) > 6 else 1, fontsize=9)
    return fig


def _flat_km_chart(weeks: list[dict[str, Any]]) -> Figure:
    fig, (ax,) = _figure(3.3)
    edges, mid = _week_axis(weeks)
    ax.stairs([w["equivalent_flat_km"] for w in weeks], edges, fill=True, color=COLORS["second"],
              label="Climbing as flat km")
    ax.stairs([w["distance_km"] for w in weeks], edges, fill=True, color=COLORS["muted"], label="Distance")
    ax.plot(mid, [w["equivalent_flat_km_ma4"] for w in weeks], color=COLORS["main"], lw=2,
            label="Equivalent flat km, 4-week average")
    ax.set(title="Equivalent flat distance per week", ylabel="km", xlabel="Week")
    ax.xaxis_date()
    fig.legend(loc="outside lower center", ncols=3)
    return fig


def _load_chart(load: list[dict[str, Any]]) -> Figure:
    fig, (top, bottom) = _figure(4.3, rows=2)
    x = [d["day"] for d in load]
    top.plot(x, [d["ctl"] for d in load], color=COLORS["avg"], lw=2, label="Fitness (CTL, 42 days)")
    top.plot(x, [d["atl"] for d in load], color=COLORS["main"], lw=1.2, label="Fatigue (ATL, 7 days)")
    top.set(title="Training load", ylabel="TSS per day")
    top.legend(loc="upper left")
    tsb = np.array([d["tsb"] for d in load])
    bottom.fill_between(x, tsb, 0, where=tsb >= 0, interpolate=True, color=COLORS["second"], alpha=0.6,
                        label="Fresh")
    bottom.fill_between(x, tsb, 0, where=tsb < 0, interpolate=True, color=COLORS["load"], alpha=0.5,
                        label="Fatigued")
    bottom.set(title="Form (TSB = CTL − ATL)", ylabel="TSS per day", xlabel="Day")
    bottom.legend(loc="lower left")
    return fig


def _routes_chart(routes: list[np.ndarray], total: int) -> Figure:
    fig = Figure(figsize=(5.4, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection(routes, colors=COLORS["main"], linewidths=0.7, alpha=0.35))
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_axis_off()
    away = total - len(routes)
    ax.set_title(f"{len(routes):,} routes starting within {HOME_RADIUS_KM:.0f} km of the usual start"
                 + (f"\n({away:,} further away not shown)" if away else ""))
    return fig


# --- html ----------------------------------------------------------------------------------------

def _section(id_: str, title: str, body: str) -> str:
    return f'<section id="{id_}">\n<h2>{html.escape(title)}</h2>\n{body}\n</section>'


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def _num(value: float | None, digits: int = 0, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:{'+' if signed else ''},.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _header(conn: Any) -> str:
    t = _rows(conn, """
        SELECT count(*) AS n, sum(distance_km) AS km, sum(moving_time_h) AS h, sum(elevation_m) AS m,
               sum(equivalent_flat_km) AS flat, sum(work_kj) AS kj, min(local_date) AS first,
               max(local_date) AS last FROM activity_facts""")[0]
    ftp = _first(conn, "SELECT ftp, effective_from FROM athlete_settings WHERE ftp IS NOT NULL "
                       "ORDER BY effective_from DESC LIMIT 1")
    tiles = [("Activities", _num(t["n"])), ("Distance", f"{_num(t['km'])} km"),
             ("Moving time", f"{_num(t['h'])} h"), ("Elevation gain", f"{_num(t['m'])} m"),
             ("Equivalent flat", f"{_num(t['flat'])} km"), ("Work", f"{_num(t['kj'])} kJ"),
             ("FTP", f"{_num(ftp[0])} W since {ftp[1]}" if ftp else "not set")]
    cards = "".join(f'<div class="tile"><span>{k}</span><b>{v}</b></div>' for k, v in tiles)
    sports = _rows(conn, """
        SELECT sport_type, count(*) AS n, sum(distance_km) AS km, sum(moving_time_h) AS h,
               sum(elevation_m) AS m FROM activity_facts GROUP BY sport_type ORDER BY h DESC, sport_type""")
    table = _table(["Sport", "Activities", "Distance (km)", "Moving time (h)", "Elevation (m)"],
                   [[html.escape(s["sport_type"]), _num(s["n"]), _num(s["km"], 1), _num(s["h"], 1), _num(s["m"])]
                    for s in sports])
    span = f"{t['first']} to {t['last']}"
    return _section("summary", f"Totals, {span}", f'<div class="tiles">{cards}</div>\n{table}')


def _quarterly_section(quarters: list[dict[str, Any]]) -> str:
    rows = [[q["quarter_label"], _num(q["activity_count"]), _num(q["distance_km"], 1),
             _num(q["distance_km_vs_prev_quarter"], 1, signed=True),
             _num(q["distance_km_vs_prev_year"], 1, signed=True), _num(q["elevation_m"]),
             _num(q["elevation_m_vs_prev_year"], signed=True), _num(q["avg_watts"]),
             _num(q["avg_watts_vs_prev_year"], signed=True)] for q in reversed(quarters[-TABLE_QUARTERS:])]
    table = _table(["Quarter", "Activities", "Distance (km)", "Δ prev. quarter", "Δ year earlier",
                    "Elevation (m)", "Δ year earlier", "Avg power (W)", "Δ year earlier"], rows)
    title = f"Quarterly overview (table: last {TABLE_QUARTERS} quarters, all sports)"
    return _section("quarterly", title, _svg(_quarterly_chart(quarters), "quarterly") + table)


def _load_section(conn: Any) -> str:
    load = _rows(conn, "SELECT * FROM training_load ORDER BY day")
    if load:
        return _section("training-load", "Training load (CTL / ATL / TSB)", _svg(_load_chart(load), "load"))
    has_ftp = _count(conn, "SELECT count(*) FROM athlete_settings WHERE ftp IS NOT NULL")
    why = ("No activity with power-meter data and a weighted average power falls after your FTP's start date."
           if has_ftp else f"Training load needs your FTP. Set it, then build the report again: "
           f"<code>{html.escape(FTP_HINT)}</code>")
    return _section("training-load", "Training load (CTL / ATL / TSB)", _note(why))


def _routes_section(conn: Any) -> str:
    texts = [r[0] for r in conn.execute(
        "SELECT summary_polyline FROM activities WHERE summary_polyline IS NOT NULL AND summary_polyline <> '' "
        "ORDER BY start_date").fetchall()]
    routes = decode_routes(texts)
    if not routes:
        return _section("routes", "Routes", _note("No activity has a GPS route."))
    kept = _routes_in_home_area(routes)
    return _section("routes", "Routes", _png(_routes_chart(kept, len(routes))))


def _factors_note(conn: Any) -> str:
    factors = conn.execute("SELECT flat_km_per_100m, string_agg(DISTINCT sport_type, ', ' ORDER BY sport_type) "
                           "FROM activity_facts WHERE flat_km_per_100m > 0 GROUP BY 1 ORDER BY 1").fetchall()
    parts = "; ".join(f"{factor:g} km per 100 m for {html.escape(sports)}" for factor, sports in factors)
    return _note(f"Climbing counted as flat distance: {parts or 'not for these sports'} "
                 "(factors and their sources: docs/dashboards.md).")


def _chart_sections(conn: Any) -> list[str]:
    weeks = _rows(conn, "SELECT * FROM weekly_summary WHERE sport_type = 'all' ORDER BY week_start")
    quarters = _rows(conn, "SELECT * FROM quarterly_summary WHERE sport_type = 'all' ORDER BY quarter_start")
    daily = _rows(conn, "SELECT local_date, sum(distance_km) AS distance_km FROM activity_facts "
                        "GROUP BY local_date ORDER BY local_date")
    has_power = any(w["avg_watts"] is not None for w in weeks)
    watts = (_svg(_watts_chart(weeks), "watts") if has_power
             else _note("No activity has power-meter data (device_watts); estimated power is not charted."))
    return [
        _section("weekly-distance", "Weekly distance and elevation", _svg(_weekly_chart(weeks), "weekly")),
        _section("watts", "Power progression", watts),
        _quarterly_section(quarters),
        _section("running-totals", "Running totals, year over year", _svg(_running_totals_chart(daily), "ytd")),
        _section("flat-km", "Equivalent flat distance",
                 _svg(_flat_km_chart(weeks), "flat") + _factors_note(conn)),
        _load_section(conn),
        *power_sections(conn, _section, _note),
    ]


# --- weather (activity_weather via activity_facts; Open-Meteo data, CC BY 4.0: attribution where shown) -------

WIND_SECTORS = 16
WIND_BINS = ((0, 3, "< 3 m/s"), (3, 6, "3–6 m/s"), (6, 9, "6–9 m/s"), (9, math.inf, "≥ 9 m/s"))
OPEN_METEO_NOTE = ('Weather data by <a href="https://open-meteo.com/">Open-Meteo.com</a> '
                   '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>), along each route; '
                   "formulas and assumptions: docs/dashboards.md.")


def _wind_rose_chart(rides: list[dict[str, Any]]) -> Figure:
    fig = Figure(figsize=(5.4, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = cast(PolarAxes, fig.add_subplot(projection="polar"))
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)  # clockwise, as a compass
    width = 2 * math.pi / WIND_SECTORS
    sector = np.array([round(r["wind_from_deg"] / (360 / WIND_SECTORS)) % WIND_SECTORS for r in rides])
    speed = np.array([r["wind_speed_ms"] for r in rides])
    bottom = np.zeros(WIND_SECTORS)
    colors = matplotlib.colormaps["Blues"](np.linspace(0.35, 0.95, len(WIND_BINS)))
    for (lo, hi, label), color in zip(WIND_BINS, colors, strict=True):
        counts = np.bincount(sector[(speed >= lo) & (speed < hi)], minlength=WIND_SECTORS)
        ax.bar(np.arange(WIND_SECTORS) * width, counts, width=width * 0.9, bottom=bottom, color=color, label=label)
        bottom += counts
    ax.set_title(f"Wind rose: {len(rides):,} rides by dominant wind (from)")
    ax.legend(loc="lower left", bbox_to_anchor=(-0.15, -0.12), fontsize=8)
    return fig


def _headwind_speed_chart(rides: list[dict[str, Any]]) -> Figure:
    fig = Figure(figsize=(5.4, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.array([r["headwind_ms"] for r in rides])
    y = np.array([r["avg_speed_kmh"] for r in rides])
    ax.plot(x, y, "o", ms=4, alpha=0.6, color=COLORS["avg"], label="Ride")
    if len(rides) >= 2 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, slope * xs + intercept, color=COLORS["main"], lw=2, label=f"Fit: {slope:+.2f} km/h per m/s")
    ax.axvline(0, color=COLORS["muted"], lw=1)
    ax.set(title="Headwind vs speed (rides)", xlabel="Mean headwind, m/s (negative = tailwind)",
           ylabel="Average speed, km/h")
    ax.legend(loc="upper right")
    return fig


def _wind_effort_chart(weeks: list[dict[str, Any]]) -> Figure:
    fig, (ax,) = _figure(3.3)
    edges, _ = _week_axis(weeks)
    ax.stairs([w["equivalent_flat_km"] for w in weeks], edges, fill=True, color=COLORS["muted"],
              label="Distance + climbing (no wind)")
    ax.stairs([w["wind_adjusted_flat_km"] for w in weeks], edges, color=COLORS["main"], lw=1.4,
              label="With wind and air density")
    ax.set(title="Effort per week, with and without wind", ylabel="Equivalent flat km", xlabel="Week")
    ax.xaxis_date()
    fig.legend(loc="outside lower center", ncols=2)
    return fig


def _weather_sections(conn: Any) -> list[str]:
    """The weather charts; none for a warehouse from before weather existed or without any weather yet."""
    if "activity_weather" not in _relations(conn) or not conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'weekly_summary' "
            "AND column_name = 'wind_adjusted_flat_km'").fetchall()[0][0]:
        return []
    rides = _rows(conn, "SELECT wind_from_deg, wind_speed_ms, headwind_ms, avg_speed_kmh FROM activity_facts "
                        "WHERE wind_factor IS NOT NULL AND wind_from_deg IS NOT NULL AND avg_speed_kmh IS NOT NULL")
    if not rides:
        return [_section("wind", "Wind", _note("No ride has weather yet: outdoor rides get it at the next sync."))]
    weeks = _rows(conn, "SELECT * FROM weekly_summary WHERE sport_type = 'all' ORDER BY week_start")
    credit = _note(OPEN_METEO_NOTE)
    rose = _section("wind-rose", "Wind rose", _svg(_wind_rose_chart(rides), "rose") + credit)
    headwind = _section("headwind", "Headwind and speed", _svg(_headwind_speed_chart(rides), "headwind") + credit)
    effort = _section("wind-effort", "Effort with wind", _svg(_wind_effort_chart(weeks), "windeffort") + credit)
    return [f'<div class="pair">\n{rose}\n{headwind}\n</div>', effort]


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f4f5f7;
       color: #1d2733; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; } .sub { color: #5f6b78; margin: 0 0 20px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 20px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { margin: 0 0 12px; font-size: 1.25rem; }
svg, img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; margin-bottom: 20px; }
.pair section { margin: 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }
.tile { background: #fff4ee; border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.tile span { display: block; color: #5f6b78; font-size: .85rem; } .tile b { font-size: 1.25rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; margin-top: 12px; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e3e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f5f7; } .note { color: #5f6b78; } code { background: #f0f2f4; padding: 2px 5px; }
"""


def _page(title: str, sections: list[str]) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{html.escape(title)}</h1>\n<p class=\"sub\">Generated {generated} from the local DuckDB "
            f"warehouse. Weeks start on Monday, local time.</p>\n{body}\n</main>\n</body>\n</html>\n")


def _write(out_path: Path, text: str) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out_path)  # readers never see half a report
    return out_path


def write_report(conn: Any, out_path: Path) -> Path:
    """Write the HTML report for the warehouse behind `conn` (DuckDB, may be read-only); returns its path."""
    title = "Strava activity report"
    empty = _section("summary", "No activities yet", _note(
        "This warehouse holds no activities. Run a sync first (<code>python -m strava sync</code>), "
        "or try the demo (<code>python -m strava demo</code>)."))
    if not _ensure_views(conn) or not _count(conn, "SELECT count(*) FROM activity_facts"):
        return _write(Path(out_path), _page(title, [empty]))
    with matplotlib.rc_context(STYLE):
        overview = f'<div class="pair">\n{_header(conn)}\n{_routes_section(conn)}\n</div>'
        sections = [overview, *_chart_sections(conn), *_weather_sections(conn)]
    return _write(Path(out_path), _page(title, sections))
