"""Dates and times as reps type them, in Chinese and English, in the user's time zone.

`parse_when` reads an answer that is only a date ("下周三", "tomorrow 3pm"); `find_when` finds
the expressions inside a longer message ("华为 见了王总 下周三回访"). Both take `now` (aware, in
the user's zone) so tests run with a frozen clock, and both return None rather than guess: a
caller that gets None asks again.

cn2an reads the Chinese numerals (两, 十一, 三十). dateparser was tried and left out: it missed
下周三, 两周后, 11月30日, 下午3点, 三点半 and 月底, gives no way to tell "明天" from "明天 + the
current time", and its search mode picks dates out of SKUs; a small grammar over the listed
forms is shorter than the patches it would need.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import cn2an

AFTERNOON_HOURS = range(1, 7)
"""A bare 1–6 o'clock ("三点半", "at 3") is in the afternoon: nobody visits a customer at 3 am."""

_NUMBER = r"(?:\d{1,4}|[零〇一二两兩三四五六七八九十]{1,3})"
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEK_ZH = r"(?:周|週|星期|礼拜|禮拜)"
_WEEKDAYS_EN = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_WEEKDAY_EN = (
    r"(?P<wd>mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)"
)
_MONTHS_EN = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_EN = r"(?P<mon>" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"
_NUMBER_WORDS_EN = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_NUMBER_EN = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS_EN) + r")"


@dataclass(frozen=True, slots=True)
class ParsedWhen:
    """A day, maybe a time of day, and where the expression sat in the text."""

    day: date
    at: time | None = None
    start: int = 0
    end: int = 0


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    lowered = text.lower()
    if lowered in _NUMBER_WORDS_EN:
        return _NUMBER_WORDS_EN[lowered]
    return int(cn2an.cn2an(text.replace("兩", "两").replace("〇", "零"), "smart"))


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _week_day(today: date, weekday: int, weeks_ahead: int) -> date:
    """`weekday` of the calendar week `weeks_ahead` from this one (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def _coming(today: date, weekday: int) -> date:
    """The next such weekday after today: "周五" said on a Friday means the next one."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """A month and day without a year is the next one to come (today included)."""
    if year is not None:
        return _safe_date(year, month, day)
    found = _safe_date(today.year, month, day)
    if found is not None and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


def _day_of_month(today: date, day: int) -> date | None:
    """ "30号": this month's 30th, or next month's when it has passed."""
    found = _safe_date(today.year, today.month, day)
    if found is None or found < today:
        following = _add_months(today.replace(day=1), 1)
        found = _safe_date(following.year, following.month, day)
    return found


def _weeks_ahead(prefix: str) -> int:
    if prefix == "下下":
        return 2
    if prefix in {"下", "next"}:
        return 1
    if prefix in {"上", "last"}:
        return -1
    return 0


DateResolver = Callable[[re.Match[str], date], date | None]

_RELATIVE_DAYS = {
    "大后天": 3,
    "大後天": 3,
    "后天": 2,
    "後天": 2,
    "明天": 1,
    "明日": 1,
    "明早": 1,
    "明晚": 1,
    "今天": 0,
    "今日": 0,
    "今早": 0,
    "今晚": 0,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "tomorrow": 1,
    "tmr": 1,
    "today": 0,
    "tonight": 0,
    "yesterday": -1,
}

_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "週": 7, "星期": 7, "礼拜": 7, "禮拜": 7}


def _relative(match: re.Match[str], today: date) -> date:
    return today + timedelta(days=_RELATIVE_DAYS[match["word"].lower()])


def _weekday_zh(match: re.Match[str], today: date) -> date:
    weekday = _WEEKDAYS_ZH[match["wd"]]
    prefix = match["pre"] or ""
    if prefix in {"", "这", "這", "本"}:
        return _week_day(today, weekday, 0) if prefix else _coming(today, weekday)
    return _week_day(today, weekday, _weeks_ahead(prefix))


def _weekday_en(match: re.Match[str], today: date) -> date:
    weekday = _WEEKDAYS_EN[match["wd"].lower()[:3]]
    prefix = (match["pre"] or "").lower()
    if prefix == "this":
        return _week_day(today, weekday, 0)
    if prefix:
        return _week_day(today, weekday, _weeks_ahead(prefix))
    return _coming(today, weekday)


def _after_zh(match: re.Match[str], today: date) -> date:
    count = _number(match["n"])
    unit = match["unit"].lstrip("个個")
    if unit == "月":
        return _add_months(today, count)
    return today + timedelta(days=count * _UNIT_DAYS[unit])


def _after_en(match: re.Match[str], today: date) -> date:
    count = _number(match["n"])
    unit = match["unit"].lower().rstrip("s")
    if unit == "month":
        return _add_months(today, count)
    return today + timedelta(days=count * (7 if unit == "week" else 1))


def _month_edge(match: re.Match[str], today: date) -> date:
    """月底 is this month's last day; 月初 alone is the next first of a month."""
    ahead = 1 if match["next"] or (match["edge"] != "底" and today.day > 1) else 0
    if match["edge"] in {"底", "末", "end"}:
        return _month_end(_add_months(today.replace(day=1), 1 if match["next"] else 0))
    return _add_months(today.replace(day=1), ahead)


def _full_date(match: re.Match[str], today: date) -> date | None:
    year = int(match["y"]) if match["y"] else None
    return _month_day(today, _number(match["m"]), _number(match["d"]), year)


def _day_only(match: re.Match[str], today: date) -> date | None:
    month = _add_months(today.replace(day=1), 1) if match["next"] else None
    if month is not None:
        return _safe_date(month.year, month.month, _number(match["d"]))
    return _day_of_month(today, _number(match["d"]))


def _month_name(match: re.Match[str], today: date) -> date | None:
    return _month_day(today, _MONTHS_EN[match["mon"].lower()], int(match["d"]))


_NEXT_MONTH = r"(?P<next>下个?月|下個?月)"
_DATE_PATTERNS: list[tuple[re.Pattern[str], DateResolver]] = [
    (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"), _full_date),
    (
        re.compile(
            rf"(?:(?P<y>\d{{4}})年)?(?P<m>{_NUMBER})月(?P<d>{_NUMBER})(?:日|号|號)?",
        ),
        _full_date,
    ),
    (re.compile(r"(?<![\d/])(?P<y>)(?P<m>1[0-2]|0?[1-9])/(?P<d>[0-3]?\d)(?![\d/])"), _full_date),
    (re.compile(rf"{_NEXT_MONTH}?(?P<d>{_NUMBER})(?:号|號)"), _day_only),
    (
        re.compile(
            r"(?P<word>"
            + "|".join(
                sorted((w for w in _RELATIVE_DAYS if not w.isascii()), key=len, reverse=True)
            )
            + ")"
        ),
        _relative,
    ),
    (
        re.compile(
            r"\b(?P<word>"
            + "|".join(sorted((w for w in _RELATIVE_DAYS if w.isascii()), key=len, reverse=True))
            + r")\b",
            re.I,
        ),
        _relative,
    ),
    (
        re.compile(rf"(?P<pre>下下|下|上|这|這|本)?个?個?{_WEEK_ZH}(?P<wd>[一二三四五六日天七])"),
        _weekday_zh,
    ),
    (
        re.compile(
            rf"\b(?:(?P<pre>this|next|last)\s+|on\s+)?"
            rf"{_WEEKDAY_EN}\b",
            re.I,
        ),
        _weekday_en,
    ),
    (
        re.compile(
            rf"(?:过|過)?(?P<n>{_NUMBER})(?P<unit>天|日|周|週|个?星期|個?星期|个?礼拜|個?禮拜|个月|個月)"
            r"(?:以?后|以?後|之后|之後)"
        ),
        _after_zh,
    ),
    (
        re.compile(rf"\bin\s+{_NUMBER_EN}\s+(?P<unit>days?|weeks?|months?)\b", re.I),
        _after_en,
    ),
    (
        re.compile(
            rf"\b{_NUMBER_EN}\s+(?P<unit>days?|weeks?|months?)\s+(?:later|from now)\b", re.I
        ),
        _after_en,
    ),
    (
        re.compile(r"(?:本|这个|這個)?(?:(?P<next>下个?|下個?))?月(?P<edge>底|末|初)"),
        _month_edge,
    ),
    (
        re.compile(
            r"\b(?P<edge>end|start|beginning)\s+of\s+(?:the\s+)?(?:(?P<next>next)|this)?\s*month\b",
            re.I,
        ),
        _month_edge,
    ),
    (re.compile(rf"\b{_MONTH_EN}\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b", re.I), _month_name),
    (re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+{_MONTH_EN}\b", re.I), _month_name),
]

_TIME_PATTERNS: list[re.Pattern[str]] = [
    re.compile(
        r"(?P<part>上午|早上|早晨|中午|下午|傍晚|晚上)?"
        rf"(?P<h>{_NUMBER})(?:点|點|时|時)(?:(?P<half>半)|(?P<m>{_NUMBER})分?)?"
    ),
    re.compile(r"(?P<part>上午|早上|中午|下午|晚上)?(?P<h>[0-2]?\d)[:：](?P<m>[0-5]\d)(?!\d)"),
    re.compile(
        r"\b(?:at\s+)?(?P<h>1[0-2]|0?[1-9])(?::(?P<m>[0-5]\d))?\s*(?P<part>am|pm|a\.m\.|p\.m\.)",
        re.I,
    ),
    re.compile(r"\b(?P<part>noon)\b", re.I),
]
_PM = {"下午", "傍晚", "晚上", "pm", "p.m."}


def _resolve_time(match: re.Match[str]) -> time | None:
    part = (match["part"] or "").lower()
    if part == "noon":
        return time(12)
    groups = match.groupdict()
    if match["h"] == "一" and not part and not (groups.get("half") or groups.get("m")):
        return None  # "便宜一点" is "a bit cheaper", not one o'clock
    hour = _number(match["h"])
    minute = 30 if groups.get("half") else _number(match["m"]) if match["m"] else 0
    if part in _PM and hour < 12:
        hour += 12
    elif part in {"am", "a.m."} and hour == 12:
        hour = 0
    elif (part == "中午" and hour < 6) or (not part and hour in AFTERNOON_HOURS):
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    day: date | None = None
    at: time | None = None


def _candidates(text: str, today: date) -> list[_Found]:
    found: list[_Found] = []
    for pattern, resolve in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            day = resolve(match, today)
            if day is not None:
                found.append(_Found(match.start(), match.end(), day=day))
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(text):
            at = _resolve_time(match)
            if at is not None:
                found.append(_Found(match.start(), match.end(), at=at))
    # Earliest first, then the longest at one start; overlapping later ones lose.
    found.sort(key=lambda item: (item.start, -(item.end - item.start)))
    chosen: list[_Found] = []
    for item in found:
        if not chosen or item.start >= chosen[-1].end:
            chosen.append(item)
    return chosen


_JOINER = re.compile(r"^[\s,，的]*$")


def find_all_when(text: str, now: datetime) -> list[ParsedWhen]:
    """Every date (with its time when one follows or precedes it) in `text`, in order."""
    today = now.date()
    pieces = _candidates(text, today)
    results: list[ParsedWhen] = []
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        after = pieces[index + 1] if index + 1 < len(pieces) else None
        joined = after is not None and _JOINER.match(text[piece.end : after.start]) is not None
        if piece.day is not None and joined and after is not None and after.at is not None:
            results.append(ParsedWhen(piece.day, after.at, piece.start, after.end))
            index += 2
            continue
        if piece.at is not None and joined and after is not None and after.day is not None:
            results.append(ParsedWhen(after.day, piece.at, piece.start, after.end))
            index += 2
            continue
        results.append(ParsedWhen(piece.day or today, piece.at, piece.start, piece.end))
        index += 1
    return results


def find_when(text: str, now: datetime) -> ParsedWhen | None:
    """The first date or time expression inside a longer message, or None."""
    found = find_all_when(text, now)
    return found[0] if found else None


_FILLER = re.compile(r"^[\s,，.。!！?？:：;；]*(?:on|at|by|在|于|於)?\s*$", re.I)


def parse_when(text: str, now: datetime) -> ParsedWhen | None:
    """`text` read as one date and/or time, or None when anything in it is not understood."""
    found = find_all_when(text, now)
    if len(found) != 1:
        return None
    when = found[0]
    rest = text[: when.start] + " " + text[when.end :]
    return when if _FILLER.match(rest) else None
