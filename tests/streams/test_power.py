"""Golden values for strava/power.py, computed here by hand or by the textbook formula (not by the module)."""

from __future__ import annotations

import math

import pytest

from strava.power import (
    decoupling_pct,
    power_curve,
    resample,
    stream_metrics,
    trimp,
    weighted_power,
    zone_seconds,
)

# 10 minutes at 200 W with one minute at 400 W in the middle.
BLOCK = [200.0] * 270 + [400.0] * 60 + [200.0] * 270


def block_weighted_power() -> float:
    """Of the 571 trailing 30 s windows: 31 lie inside the 400 W minute, 29 enter it and 29 leave it holding
    k = 1..29 seconds of it (mean 200 + 200k/30), the other 482 are at 200 W."""
    fourth = 482 * 200 ** 4 + 31 * 400 ** 4 + 2 * sum((200 + 200 * k / 30) ** 4 for k in range(1, 30))
    return (fourth / 571) ** 0.25


def test_resample_holds_short_gaps_and_zeroes_pauses() -> None:
    time = [0, 1, 2, 5, 20]
    assert resample(time, [100, 200, None, 300, 400], 0.0) == [100, 200, 0, 0, 0, 300] + [0.0] * 14 + [400]
    assert resample([0, 1, 4, 11], [100, 110, 115, 120], None) == [100, 110, 110, 110, 115] + [None] * 6 + [120]
    assert resample([], [], 0.0) == []


def test_power_curve_best_mean_per_standard_duration_that_fits() -> None:
    curve = dict(power_curve(BLOCK))
    assert list(curve) == [1, 5, 10, 15, 30, 60, 120, 180, 300, 480, 600]  # 12 min and longer do not fit
    assert curve[1] == curve[60] == 400
    assert curve[120] == pytest.approx((60 * 400 + 60 * 200) / 120)
    assert curve[180] == pytest.approx((60 * 400 + 120 * 200) / 180)
    assert curve[480] == pytest.approx((60 * 400 + 420 * 200) / 480)
    assert curve[600] == pytest.approx(220)
    assert power_curve([100.0, 300.0, 0.0, 250.0]) == [(1, 300.0)]


def test_weighted_power_and_its_five_minute_minimum() -> None:
    assert weighted_power(BLOCK) == pytest.approx(block_weighted_power())
    assert weighted_power([250.0] * 300) == pytest.approx(250)
    assert weighted_power([250.0] * 299) is None


def test_decoupling_compares_power_to_heart_rate_between_halves() -> None:
    assert decoupling_pct([200.0] * 4, [100, 100, 125, 125]) == pytest.approx(20.0)  # 2.0 then 1.6 W/bpm
    assert decoupling_pct([200.0, 999.0, 200.0], [100, None, 100]) == pytest.approx(0.0)  # no HR: left out
    assert decoupling_pct([200.0], [100]) is None


def test_zone_seconds_put_a_bound_in_the_zone_above() -> None:
    assert zone_seconds([10, 20, 20, 30, None, 35], [20, 30]) == [1, 2, 2]


def test_stream_metrics_of_a_ride_with_power_and_heart_rate() -> None:
    streams = {"time": list(range(600)), "watts": BLOCK, "heartrate": [120] * 300 + [150] * 300}
    metrics, curve = stream_metrics(streams, 250.0, (110, 130, 145, 160))
    wp = block_weighted_power()
    assert metrics["seconds"] == 600 and metrics["mean_watts"] == pytest.approx(220)
    assert metrics["weighted_watts"] == pytest.approx(wp)
    assert metrics["intensity"] == pytest.approx(wp / 250)
    assert metrics["stress"] == pytest.approx(100 * (600 / 3600) * (wp / 250) ** 2)
    assert metrics["variability_index"] == pytest.approx(wp / 220)
    assert metrics["mean_heartrate"] == 135 and metrics["efficiency_factor"] == pytest.approx(wp / 135)
    first, second = 220 / 120, 220 / 150  # both halves hold half of the 400 W minute
    assert metrics["decoupling_pct"] == pytest.approx(100 * (first - second) / first)
    # FTP 250: zone 3 is 187.5-225 W, zone 7 from 375 W.
    assert [metrics[f"power_z{i}_s"] for i in range(1, 8)] == [0, 0, 540, 0, 0, 0, 60]
    assert [metrics[f"hr_z{i}_s"] for i in range(1, 6)] == [0, 300, 0, 300, 0]
    assert dict(curve)[60] == 400


def test_stream_metrics_without_power_or_ftp_leave_those_empty() -> None:
    run = {"time": list(range(0, 400, 2)), "heartrate": [140] * 200}
    metrics, curve = stream_metrics(run, None, None)
    assert curve == [] and metrics["seconds"] == 399 and metrics["mean_heartrate"] == 140  # 2 s steps held
    assert "weighted_watts" in metrics and metrics["weighted_watts"] is None and "power_z1_s" not in metrics
    ride, _ = stream_metrics({"time": list(range(600)), "watts": BLOCK}, None, None)
    assert ride["weighted_watts"] is not None and ride["ftp"] is None and "intensity" not in ride


def test_trimp_sums_the_weighted_heart_rate_reserve_per_minute() -> None:
    reserve = (150 - 50) / (190 - 50)
    assert trimp([150.0] * 3600, 50, 190) == pytest.approx(60 * reserve * math.exp(1.92 * reserve))
    assert trimp([40.0, None, 250.0] * 20, 50, 190) == pytest.approx(20 / 60 * math.exp(1.92))  # clamped
    run = {"time": list(range(1800)), "heartrate": [150] * 1800}
    assert stream_metrics(run, None, None, (50, 190))[0]["trimp"] == pytest.approx(trimp([150.0] * 1800, 50, 190))
    assert "trimp" not in stream_metrics(run, None, None)[0]
