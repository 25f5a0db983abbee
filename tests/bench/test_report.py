"""The benchmark report: ratios to floors, target verdicts, and the Markdown and JSON it writes."""

import json

import pytest

from bench import report
from bench.stats import latency_of


def _http(key, p50, p95, rps, floor_p50=5.0, floor_p95=8.0, floor_rps=400.0, count=200):
    return {
        "key": key,
        "label": key.replace("_", " ").title(),
        "kind": "http",
        "c1": {"count": count, "p50_ms": p50, "p95_ms": p95},
        "c8": {"clients": 8, "requests": 500, "seconds": 10, "rps": rps},
        "queries": 9,
        "access_log_rows": 1,
        "floor_access_log_rows": 1,
        "floor": {"p50_ms": floor_p50, "p95_ms": floor_p95, "rps": floor_rps},
    }


def _reminders(sending_rate=150.0, floor_rate=250.0):
    return {
        "key": "reminders",
        "label": "Reminder fan-out",
        "kind": "batch",
        "seconds": 50.0,
        "rate": "200 messages/s",
        "sending_rate": sending_rate,
        "dispatch": {"interval_seconds": 60.0, "samples": 10_000, "p50_s": 41.5, "p95_s": 68.2},
        "floor": {"seconds": 5.0, "per_second": floor_rate},
    }


def _results(scale=1, quick=False):
    return {
        "run": {
            "started_at": "2026-11-21T15:00:00Z",
            "scale": scale,
            "quick": quick,
            "dataset": f"{scale * 10_000:,} patients",
            "host": "2 CPUs",
            "commit": "abc1234",
            "gunicorn": "gunicorn clinic.wsgi:application --workers 3",
            "load_before": [1.0, 1.0, 1.0],
        },
        "operations": [
            _http("calendar_week", 60, 120, 40),
            _http("fee_quote", 12, 25, 200),
            _http("patient_search", 30, 45, 90),
            _reminders(),
        ],
        "floors": {"WSGI hello-world": "p50 1 ms"},
        "notes": ["The quote is rate-limited per address."],
    }


def test_each_figure_is_stated_as_a_ratio_to_its_floor():
    results = report.finish(_results())
    calendar = results["operations"][0]
    assert calendar["ratio"] == {"p50": 12.0, "p95": 15.0, "throughput": 10.0}
    assert results["operations"][3]["ratio"] == {"time": 10.0, "rate_share": 0.6}


def test_targets_are_judged_on_the_measured_figure():
    results = report.finish(_results())
    verdicts = {op["key"]: op["target"] for op in results["operations"]}
    assert verdicts["calendar_week"] == {"text": "p95 under 150 ms", "value": 120, "met": True}
    assert verdicts["fee_quote"]["met"] is False
    assert verdicts["reminders"]["met"] is True
    assert verdicts["patient_search"] is None


def test_an_http_floor_adds_the_bare_round_trip_to_the_query():
    sql = {"c1": {"p50_ms": 2.0, "p95_ms": 3.0}, "c8_rps": 1000.0}
    http = {"c1": {"p50_ms": 1.0, "p95_ms": 1.5}, "c8_rps": 1000.0}
    assert report.http_floor(sql, http) == {"p50_ms": 3.0, "p95_ms": 4.5, "rps": 500.0}


def test_the_markdown_puts_each_figure_beside_its_floor_and_verdict():
    text = report.markdown(report.finish(_results()))
    assert (
        "| Calendar Week | 200 | 60 | 120 | 12× | 15× | **missed** | – / – | – | 40 | 10× | 9 | 1 (1) | 5 / 8 / 400 "
        "| met (p95 under 150 ms) |" in text
    )
    assert "**missed** (p95 under 20 ms)" in text
    assert "| Reminder fan-out | 50 | 200 messages/s | 5 | 10× | met (10,000 reminders under 2 minutes) |" in text
    assert "Latency samples per operation at one client: 200." in text
    assert "- The quote is rate-limited per address." in text


def test_the_report_is_written_as_json_and_markdown_with_a_latest_copy(tmp_path):
    results = report.finish(_results())
    json_path, md_path = report.write(results, tmp_path)
    assert json_path.name == "20261121T150000Z.json"
    assert json.loads((tmp_path / "latest.json").read_text())["operations"][0]["ratio"]["p95"] == 15.0
    assert (tmp_path / "latest.md").read_text() == md_path.read_text()


def test_latency_summaries_use_the_median_and_the_nearest_rank_95th_percentile():
    summary = latency_of([i / 1000 for i in range(1, 101)])
    assert (summary.count, summary.p50_ms, summary.p95_ms) == (100, 50.5, 95.0)
    with pytest.raises(ValueError):
        latency_of([])


def _statement_run(seconds, floor_seconds, *, scaled_down):
    return {
        "key": "statements",
        "label": "Statement run",
        "kind": "batch",
        "seconds": seconds,
        "rate": "500 statements issued",
        "floor": {"seconds": floor_seconds},
        "scaled_down": scaled_down,
    }


@pytest.mark.parametrize(
    ("seconds", "floor_seconds", "scaled_down", "met"),
    [
        (20.0, 2.5, False, True),  # 8× its floor, under 5 minutes
        (120.0, 2.5, False, False),  # under 5 minutes but 48× its floor
        (0.8, 0.1, True, None),  # a small run within 10×: the 5-minute target is not judged
        (1.5, 0.1, True, False),  # a small run 15× its floor is a miss at any scale
    ],
)
def test_the_statement_run_is_held_to_ten_times_its_floor(seconds, floor_seconds, scaled_down, met):
    results = _results()
    results["operations"] = [_statement_run(seconds, floor_seconds, scaled_down=scaled_down)]
    assert report.finish(results)["operations"][0]["target"]["met"] is met


@pytest.mark.parametrize(
    ("p50", "p95", "met"),
    [
        (25.0, 64.0, True),  # 5× and 8× the floor (5 ms / 8 ms) exactly
        (25.5, 40.0, False),  # the median above 5×
        (20.0, 64.5, False),  # the p95 above 8×
    ],
)
def test_a_page_is_held_to_five_times_its_floor_at_the_median_and_eight_at_the_p95(p50, p95, met):
    results = _results()
    results["operations"] = [_http("patient_details", p50, p95, 40)]
    verdict = report.finish(results)["operations"][0]["floor_target"]
    assert verdict == {"text": "p50 ≤ 5×, p95 ≤ 8× floor", "met": met}


@pytest.mark.parametrize(("sending_rate", "met"), [(125.0, True), (124.0, False)])
def test_reminders_send_at_least_half_the_raw_smtp_rate(sending_rate, met):
    results = _results()
    results["operations"] = [_reminders(sending_rate=sending_rate, floor_rate=250.0)]
    operation = report.finish(results)["operations"][0]
    assert operation["floor_target"]["met"] is met
    text = report.markdown(results)
    assert f"Reminders: sending rate {sending_rate:g}/s, {sending_rate / 250:.0%} of raw SMTP's 250/s" in text
    assert "p50 41.5 s, p95 68.2 s" in text
    assert "production beat interval of 60 s" in text


def test_a_run_with_fewer_samples_than_a_full_run_says_so():
    results = _results(quick=True)
    results["operations"] = [_http("fee_quote", 12, 25, 200, count=30)]
    text = report.markdown(report.finish(results))
    assert "Latency samples per operation at one client: 30. **Fewer than 200 (a quick run)" in text
    assert "Fewer than 200" not in report.markdown(report.finish(_results()))


def test_two_scales_make_one_report_with_a_column_per_scale(tmp_path):
    small, large = _results(scale=1), _results(scale=2)
    large["operations"][0]["c1"]["p95_ms"] = 180.0
    large["operations"][3]["seconds"] = 100.0
    small, large = report.finish(small), report.finish(large)
    json_path, md_path = report.write({"scales": [small, large]}, tmp_path)
    text = md_path.read_text()
    assert text.startswith("# Benchmark 2026-11-21T15:00:00Z, scales 1, 2\n")
    assert "- Scale 1: 10,000 patients." in text and "- Scale 2: 20,000 patients." in text
    assert "| Operation | Scale 1 | Scale 2 | Growth |" in text
    assert (
        "| Calendar Week | 60 / 120 ms · 12× / 15× **missed** · ×Django – / – · 9 q | 60 / 180 ms · 12× / 22.5× "
        "**missed** · ×Django – / – · 9 q "
        "| 1.5× |" in text
    )
    assert "| Reminder fan-out | 50 s · 10× floor · 60% of raw SMTP met · due → sent p50 41.5 s, p95 68.2 s" in text
    reminders = next(line for line in text.splitlines() if line.startswith("| Reminder fan-out | 50 s"))
    assert reminders.endswith("| 2× |")  # twice as long at scale 2
    # Each scale's full tables follow, under its own heading.
    assert "\n## Scale 1\n" in text and "\n## Scale 2\n" in text
    assert "\n### Floors measured in this run\n" in text
    assert [run["run"]["scale"] for run in json.loads(json_path.read_text())["scales"]] == [1, 2]


def test_a_page_is_also_stated_over_its_framework_floor():
    operation = _http("chart", 40, 60, 50, floor_p50=2.0, floor_p95=4.0)
    operation["floor"]["sql"] = {"c1": {"p50_ms": 1.0, "p95_ms": 2.0}}
    operation["framework_floor"] = report.framework_floor(
        {"c1": {"p50_ms": 1.0, "p95_ms": 2.0}}, {"p50_ms": 9.0, "p95_ms": 13.0}, "/bench-floor/staff-page/"
    )
    found = report.ratios(operation)
    assert operation["framework_floor"]["p50_ms"] == 10.0
    assert (found["framework_p50"], found["framework_p95"]) == (4.0, 4.0)
    assert found["empty_over_hello"] == 9.0  # the empty page's 9 ms over the hello-world's 1 ms
    results = _results()
    results["operations"][0] = operation
    text = report.markdown(report.finish(results))
    assert "| 4× / 4× | 9× |" in text
