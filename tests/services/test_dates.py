"""Dates and times as reps type them, against a frozen clock (Monday 2026-11-23 10:00)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.services.dates import find_all_when, find_when, parse_when

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""A Monday, so "this week" and "next week" differ for every weekday."""

EXPRESSIONS = [
    ("今天", date(2026, 11, 23), None),
    ("明天", date(2026, 11, 24), None),
    ("后天", date(2026, 11, 25), None),
    ("後天", date(2026, 11, 25), None),
    ("大后天", date(2026, 11, 26), None),
    ("昨天", date(2026, 11, 22), None),
    ("周五", date(2026, 11, 27), None),
    ("星期五", date(2026, 11, 27), None),
    ("礼拜五", date(2026, 11, 27), None),
    ("禮拜五", date(2026, 11, 27), None),
    ("週五", date(2026, 11, 27), None),
    ("下周三", date(2026, 12, 2), None),
    ("下週三", date(2026, 12, 2), None),
    ("下个星期三", date(2026, 12, 2), None),
    ("下下周一", date(2026, 12, 7), None),
    ("上周五", date(2026, 11, 20), None),
    ("3天后", date(2026, 11, 26), None),
    ("三天後", date(2026, 11, 26), None),
    ("两周后", date(2026, 12, 7), None),
    ("兩週後", date(2026, 12, 7), None),
    ("两个星期后", date(2026, 12, 7), None),
    ("2个月后", date(2027, 1, 23), None),
    ("月底", date(2026, 11, 30), None),
    ("下个月初", date(2026, 12, 1), None),
    ("下個月初", date(2026, 12, 1), None),
    ("下个月底", date(2026, 12, 31), None),
    ("11月30日", date(2026, 11, 30), None),
    ("十一月三十日", date(2026, 11, 30), None),
    ("1月5号", date(2027, 1, 5), None),
    ("2026年12月1日", date(2026, 12, 1), None),
    ("30号", date(2026, 11, 30), None),
    ("5号", date(2026, 12, 5), None),
    ("下个月5号", date(2026, 12, 5), None),
    ("12/5", date(2026, 12, 5), None),
    ("2026-12-01", date(2026, 12, 1), None),
    ("2026/12/01", date(2026, 12, 1), None),
    ("下午3点", date(2026, 11, 23), time(15, 0)),
    ("上午10点", date(2026, 11, 23), time(10, 0)),
    ("晚上8点", date(2026, 11, 23), time(20, 0)),
    ("15:30", date(2026, 11, 23), time(15, 30)),
    ("15：30", date(2026, 11, 23), time(15, 30)),
    ("三点半", date(2026, 11, 23), time(15, 30)),
    ("9点", date(2026, 11, 23), time(9, 0)),
    ("明天下午3点", date(2026, 11, 24), time(15, 0)),
    ("周五下午两点半", date(2026, 11, 27), time(14, 30)),
    ("下周三 15:30", date(2026, 12, 2), time(15, 30)),
    ("today", date(2026, 11, 23), None),
    ("tomorrow", date(2026, 11, 24), None),
    ("yesterday", date(2026, 11, 22), None),
    ("tomorrow 3pm", date(2026, 11, 24), time(15, 0)),
    ("10am tomorrow", date(2026, 11, 24), time(10, 0)),
    ("friday", date(2026, 11, 27), None),
    ("on Fri", date(2026, 11, 27), None),
    ("this Wednesday", date(2026, 11, 25), None),
    ("next Friday", date(2026, 12, 4), None),
    ("last Friday", date(2026, 11, 20), None),
    ("in 2 weeks", date(2026, 12, 7), None),
    ("in two weeks", date(2026, 12, 7), None),
    ("in 3 days", date(2026, 11, 26), None),
    ("3 days later", date(2026, 11, 26), None),
    ("end of month", date(2026, 11, 30), None),
    ("start of next month", date(2026, 12, 1), None),
    ("Dec 3", date(2026, 12, 3), None),
    ("3 December", date(2026, 12, 3), None),
    ("November 30th", date(2026, 11, 30), None),
    ("3:30 pm", date(2026, 11, 23), time(15, 30)),
    ("noon", date(2026, 11, 23), time(12, 0)),
]


@pytest.mark.parametrize(("text", "day", "at"), EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_parse_when_listed_expression_gives_day_and_time(
    text: str, day: date, at: time | None
) -> None:
    parsed = parse_when(text, NOW)
    assert parsed is not None
    assert (parsed.day, parsed.at) == (day, at)


@pytest.mark.parametrize(
    "text",
    ["", "下周", "next week", "foo", "明天 foo", "2月30日", "32号", "25:00", "soon", "改天"],
)
def test_parse_when_not_a_date_returns_none(text: str) -> None:
    assert parse_when(text, NOW) is None


def test_parse_when_bare_weekday_on_that_weekday_gives_next_week() -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
    parsed = parse_when("周五", friday)
    assert parsed is not None and parsed.day == date(2026, 12, 4)


def test_parse_when_month_day_passed_gives_next_year() -> None:
    parsed = parse_when("11月1日", NOW)
    assert parsed is not None and parsed.day == date(2027, 11, 1)


def test_parse_when_a_bit_cheaper_is_not_one_oclock() -> None:
    assert find_when("再便宜一点就签", NOW) is None


def test_find_when_inside_log_gives_span() -> None:
    text = "华为 见了王总 谈F1砝码报价 嫌贵 下周三回访"
    found = find_when(text, NOW)
    assert found is not None
    assert found.day == date(2026, 12, 2)
    assert text[found.start : found.end] == "下周三"


def test_find_all_when_visit_day_and_follow_up_gives_both() -> None:
    text = "visited Acme today, met Mr Li, order 20 x SW-F1-20KG-C, next: send quote Friday"
    assert [found.day for found in find_all_when(text, NOW)] == [
        date(2026, 11, 23),
        date(2026, 11, 27),
    ]


def test_find_when_sku_digits_are_not_a_date() -> None:
    assert find_when("订了 SW-F1-20KG-C 20个", NOW) is None
