"""The report's interactive power sections (Plotly, its JavaScript inlined once: the page still opens offline).

Power-duration curve (this quarter, the previous one, best ever; log time axis), estimated FTP over time
(zoom with the range slider) and weekly time in power zones (a sport menu). Hover shows every value.
Data comes from the views power_curve_quarterly and estimated_ftp, and from activity_stream_metrics.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date
from typing import Any

ZONE_NAMES = ("Z1 < 55 %", "Z2 55-75 %", "Z3 75-90 %", "Z4 90-105 %", "Z5 105-120 %", "Z6 120-150 %",
              "Z7 > 150 %")
ZONE_COLORS = ("#b8c4ce", "#5b8c5a", "#9bbf4a", "#f2c14e", "#fc4c02", "#c0392b", "#7a3b8f")
CONFIG = {"displaylogo": False, "responsive": True}


def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _label(seconds: int) -> str:
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


def _quarter(d: date) -> str:
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def power_sections(conn: Any, section: Any, note: Any) -> list[str]:
    """HTML sections (built with the report's `section(id, title, body)` and `note(text)`)."""
    curve = _rows(conn, "SELECT * FROM power_curve_quarterly ORDER BY quarter_start, duration_s")
    if not curve:
        return [section("power-curve", "Power-duration curve", note(
            "No power streams yet: the sync fetches them (STRAVA_STREAMS=on) for activities with a power meter."))]
    import plotly.graph_objects as go  # only for a report that has power data

    figures = [("power-curve", "Power-duration curve", _curve_figure(go, curve))]
    eftp = _rows(conn, "SELECT * FROM estimated_ftp ORDER BY day")
    if eftp:
        figures.append(("eftp", "Estimated FTP over time", _eftp_figure(go, eftp)))
    zones = _rows(conn, """
        SELECT f.week_start, f.sport_type,
               sum(m.power_z1_s) AS z1, sum(m.power_z2_s) AS z2, sum(m.power_z3_s) AS z3, sum(m.power_z4_s) AS z4,
               sum(m.power_z5_s) AS z5, sum(m.power_z6_s) AS z6, sum(m.power_z7_s) AS z7
        FROM activity_stream_metrics m JOIN activity_facts f ON f.id = m.activity_id
        WHERE m.power_z1_s IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2""")
    if zones:
        figures.append(("zones", "Weekly time in power zones", _zones_figure(go, zones)))
    out = []
    for i, (id_, title, figure) in enumerate(figures):
        figure.update_layout(margin={"l": 60, "r": 20, "t": 30, "b": 50}, height=420, template="plotly_white")
        body = figure.to_html(full_html=False, include_plotlyjs=i == 0, config=CONFIG, div_id=f"plot-{id_}")
        out.append(section(id_, title, body))
    return out


def _curve_figure(go: Any, rows: list[dict[str, Any]]) -> Any:
    quarters = sorted({r["quarter_start"] for r in rows})
    best: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r["duration_s"] not in best or r["watts"] > best[r["duration_s"]]["watts"]:
            best[r["duration_s"]] = r
    figure = go.Figure()
    lines = [("Best ever", sorted(best.values(), key=lambda r: r["duration_s"]), "#1d2733", "dot")]
    for q, color in zip(reversed(quarters[-2:]), ("#fc4c02", "#1f4e79"), strict=False):
        lines.append((_quarter(q), [r for r in rows if r["quarter_start"] == q], color, "solid"))
    for name, points, color, dash in lines:
        figure.add_trace(go.Scatter(
            x=[p["duration_s"] for p in points], y=[p["watts"] for p in points], name=name, mode="lines+markers",
            line={"color": color, "dash": dash},
            customdata=[[_label(p["duration_s"]), p["activity_id"], _quarter(p["quarter_start"])] for p in points],
            hovertemplate="%{customdata[0]}: %{y:.0f} W<br>activity %{customdata[1]} (%{customdata[2]})"
                          "<extra>%{fullData.name}</extra>"))
    ticks = sorted(best)
    figure.update_xaxes(type="log", title="duration", tickvals=ticks, ticktext=[_label(t) for t in ticks])
    figure.update_yaxes(title="best mean power (W)")
    return figure


def _eftp_figure(go: Any, rows: list[dict[str, Any]]) -> Any:
    days = [r["day"] for r in rows]
    figure = go.Figure([
        go.Scatter(x=days, y=[r["eftp_w"] for r in rows], name="0.95 × best 20 min (90 days)",
                   line={"color": "#fc4c02"}, hovertemplate="%{x}: %{y:.0f} W<extra></extra>"),
        go.Scatter(x=days, y=[r["cp_w"] for r in rows], name="critical power (3-20 min fit)",
                   line={"color": "#1f4e79"}, customdata=[[r["cp_rmse_w"], r["w_prime_j"]] for r in rows],
                   hovertemplate="%{x}: CP %{y:.0f} W, W′ %{customdata[1]:.0f} J, fit error %{customdata[0]:.1f} W"
                                 "<extra></extra>"),
    ])
    figure.update_xaxes(rangeslider={"visible": True}, title="day")
    figure.update_yaxes(title="W")
    return figure


def _zones_figure(go: Any, rows: list[dict[str, Any]]) -> Any:
    """Stacked weekly hours per zone, one set of traces per sport ("All" first), switched by a menu."""
    sports = sorted({r["sport_type"] for r in rows})
    totals: dict[str, dict[date, list[float]]] = {"All": defaultdict(lambda: [0.0] * 7)}
    for r in rows:
        for name in ("All", r["sport_type"]):
            week = totals.setdefault(name, defaultdict(lambda: [0.0] * 7))[r["week_start"]]
            for z in range(7):
                week[z] += (r[f"z{z + 1}"] or 0) / 3600
    figure = go.Figure()
    groups = ["All", *sports]
    for g, name in enumerate(groups):
        weeks = sorted(totals[name])
        for z in range(7):
            figure.add_trace(go.Bar(x=weeks, y=[totals[name][w][z] for w in weeks], name=ZONE_NAMES[z],
                                    marker_color=ZONE_COLORS[z], visible=g == 0, legendgroup=ZONE_NAMES[z],
                                    showlegend=g == 0, hovertemplate="week of %{x}: %{y:.2f} h<extra>"
                                                                     + html.escape(ZONE_NAMES[z]) + "</extra>"))
    buttons = [{"label": name, "method": "update",
                "args": [{"visible": [i // 7 == g for i in range(7 * len(groups))]}]}
               for g, name in enumerate(groups)]
    figure.update_layout(barmode="stack", updatemenus=[{"buttons": buttons, "x": 0, "y": 1.15, "xanchor": "left"}])
    figure.update_yaxes(title="hours (% of FTP)")
    return figure
