"""The supervision report (电子监察): what was asked, answered and escalated, per office and per service.

Two halves: build_report() computes the numbers from the ledger into plain dataclasses, and the
format_* functions turn a Report into text, Markdown, CSV or a standalone HTML page with charts.
Nothing here writes to the ledger.

How rows are counted:
- an inquiry is a recorded question with action answer, clarify, escalate or chosen (prompts and
  rate-limited messages are not questions); answer and chosen count as answered by the bot;
- an inquiry belongs to its service (a clarification to its first option); an escalated
  question without a service goes to the "unmatched" row;
- a case belongs to the first of its guesses (best first), else to "unmatched";
- a service belongs to every office in its `offices` list, so office rows can add up to more
  than the total; the total counts each inquiry and case once.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.answering.matching import EVENT_PREFIX
from bot.knowledge.model import MATTER_PREFIX, KnowledgeBase
from bot.records.ledger import Ledger
from bot.records.rows import Case, Inquiry
from bot.records.workdays import local_moments

PURGE_MARKER = "[purged]"  # what `python -m bot purge` writes over citizens' ids and free text
UNMATCHED = "unmatched"
SHANGHAI = "Asia/Shanghai"
ANSWERED_ACTIONS = ("answer", "chosen")
QUESTION_ACTIONS = ("answer", "clarify", "escalate", "refer", "chosen")


# -- time windows -----------------------------------------------------------------------------


def parse_since(text: str, now: dt.datetime, timezone: ZoneInfo) -> dt.datetime:
    """'7d', '24h', '30d', '2w' or an ISO date/time (local time when it has no offset) -> an aware moment."""
    span = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", text.lower())
    if span:
        amount, unit = int(span.group(1)), span.group(2)
        return now - {"h": dt.timedelta(hours=amount), "d": dt.timedelta(days=amount),
                      "w": dt.timedelta(weeks=amount)}[unit]
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a span nor a date; write a span such as 7d, 24h or 30d, "
                         "or a date such as 2024-05-01.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)


def human_duration(seconds: float | None) -> str:
    """A span as staff say it: '45 s', '12 min', '3 h 05 min', '2 d 4 h'; '-' when there is none."""
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if not start or not end:
        return None
    return (end - start).total_seconds()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# -- the data -------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The figures of one row: an office, a service, 'unmatched', or the total."""

    key: str
    name_zh: str
    name_en: str = ""
    inquiries: int = 0
    answered: int = 0
    clarified: int = 0
    escalated: int = 0
    referred: int = 0
    error_reports: int = 0  # checklists said to be wrong, by citizens or staff
    cases: int = 0
    overdue: int = 0
    still_open: int = 0
    helpful: int = 0
    claim_seconds: list[float] = field(default_factory=list)
    first_answer_seconds: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    @property
    def median_claim(self) -> float | None:
        return _median(self.claim_seconds)

    @property
    def median_first_answer(self) -> float | None:
        return _median(self.first_answer_seconds)

    @property
    def rating_counts(self) -> tuple[int, ...]:
        counts = Counter(self.ratings)
        return tuple(counts.get(stars, 0) for stars in range(1, 6))

    @property
    def rating_average(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def helpful_rate(self) -> float | None:
        """Share of the bot's answers that the citizen marked "answers my question"."""
        return self.helpful / self.answered if self.answered else None

    def count_inquiry(self, action: str) -> None:
        self.inquiries += 1
        self.answered += action in ANSWERED_ACTIONS
        self.clarified += action == "clarify"
        self.escalated += action == "escalate"
        self.referred += action == "refer"

    def count_case(self, case: Case, now: dt.datetime) -> None:
        self.cases += 1
        if (claim := _seconds_between(case.opened_at, case.claimed_at)) is not None:
            self.claim_seconds.append(claim)
        if (answer := _seconds_between(case.opened_at, case.first_reply_at)) is not None:
            self.first_answer_seconds.append(answer)
        self.overdue += is_overdue(case, now)
        self.still_open += case.is_open
        if case.rating is not None:
            self.ratings.append(case.rating)


def is_overdue(case: Case, now: dt.datetime) -> bool:
    """Marked overdue by supervision, or its deadline passed while it was open."""
    if case.overdue_at:
        return True
    if case.due_at is None:
        return False
    end = case.closed_at if not case.is_open and case.closed_at else now
    return end > case.due_at


@dataclass
class Day:
    """One local calendar day, for the charts."""

    day: dt.date
    answered: int = 0
    clarified: int = 0
    escalated: int = 0
    cases: int = 0
    first_answer_seconds: list[float] = field(default_factory=list)

    @property
    def median_first_answer(self) -> float | None:
        return _median(self.first_answer_seconds)


@dataclass
class Report:
    since: dt.datetime
    until: dt.datetime
    timezone: ZoneInfo
    total: Tally
    offices: list[Tally]
    services: list[Tally]
    days: list[Day]
    kb_versions: list[tuple[str, int]]  # version and how many inquiries used it, in order of first use

    @property
    def window(self) -> str:
        return local_moments(self.timezone, self.since, self.until)

    def levels(self) -> Iterable[tuple[str, Tally]]:
        yield "total", self.total
        yield from (("office", tally) for tally in self.offices)
        yield from (("service", tally) for tally in self.services)


class _Rows:
    """Tallies by key, created on first use with the name from the knowledge base."""

    def __init__(self, names: Callable[[str], tuple[str, str]]):
        self.names = names
        self.rows: dict[str, Tally] = {}

    def __getitem__(self, key: str) -> Tally:
        if key not in self.rows:
            self.rows[key] = Tally(key, *self.names(key))
        return self.rows[key]

    def ordered(self) -> list[Tally]:
        """Busiest first; 'unmatched' last."""
        return sorted(self.rows.values(), key=lambda t: (t.key == UNMATCHED, -t.inquiries, -t.cases, t.key))


def build_report(ledger: Ledger, knowledge: KnowledgeBase, since: dt.datetime, until: dt.datetime | None = None,
                 timezone: ZoneInfo | None = None) -> Report:
    """Count the inquiries, cases, ratings and feedback recorded from `since` to `until` (default now)."""
    until = until or ledger.now()
    timezone = timezone or ZoneInfo(SHANGHAI)
    inquiries = [row for row in ledger.inquiry_facts_since(since) if row.action in QUESTION_ACTIONS and row.at <= until]
    cases = [case for case in ledger.cases_since(since) if case.opened_at <= until]
    helpful_ids = {row.inquiry_id for row in ledger.feedback_since(since) if row.value == "helpful" and row.at <= until}

    total = Tally("total", "合计", "Total")
    services = _Rows(lambda key: _service_name(knowledge, key))
    offices = _Rows(lambda key: _office_name(knowledge, key))
    days = {day: Day(day) for day in _days(since, until, timezone)}

    def tallies(service_key: str, district: str | None = None) -> list[Tally]:
        return [total, services[service_key], *(offices[o] for o in _offices_of(knowledge, service_key, district))]

    for row in inquiries:
        for tally in tallies(_inquiry_service(row), row.district):
            tally.count_inquiry(row.action)
            tally.helpful += row.action in ANSWERED_ACTIONS and row.id in helpful_ids
        day = days[row.at.astimezone(timezone).date()]
        day.answered += row.action in ANSWERED_ACTIONS
        day.clarified += row.action == "clarify"
        day.escalated += row.action in ("escalate", "refer")  # both went to a person
    for case in cases:
        for tally in tallies(_case_service(case)):
            tally.count_case(case, until)
        day = days[case.opened_at.astimezone(timezone).date()]
        day.cases += 1
        if (answer := _seconds_between(case.opened_at, case.first_reply_at)) is not None:
            day.first_answer_seconds.append(answer)
    for report in ledger.error_reports(since=since):
        if since <= report.at <= until:  # since again: the ledger compares to the millisecond
            for tally in tallies(report.service_id or UNMATCHED):
                tally.error_reports += 1
    versions = Counter(row.kb_version for row in inquiries)
    return Report(since, until, timezone, total, offices.ordered(), services.ordered(), list(days.values()),
                  list(versions.items()))


def _inquiry_service(row: Inquiry) -> str:
    if row.service_id:
        return row.service_id
    if row.matter_id:
        return MATTER_PREFIX + row.matter_id
    if row.action == "clarify" and row.options:
        return row.options[0]
    return UNMATCHED


def _case_service(case: Case) -> str:
    # Guesses can name life events (event:...); a case belongs to the best service (or matter) guess.
    guesses = [g for g in case.guesses if not g.startswith(EVENT_PREFIX)]
    return guesses[0] if guesses else UNMATCHED


def _offices_of(knowledge: KnowledgeBase, service_key: str, district: str | None = None) -> tuple[str, ...]:
    """The offices a question counts under: the district's own office where the citizen's district is known,
    so that supervision sees each district's counters."""
    service = knowledge.services.get(service_key)
    matter = knowledge.matters.get(service_key.removeprefix(MATTER_PREFIX))
    offices = service.offices if service else (matter.office,) if matter else (UNMATCHED,)
    return tuple(local.id if (local := knowledge.local_office(o, district)) else o for o in offices)


def _service_name(knowledge: KnowledgeBase, key: str) -> tuple[str, str]:
    service = knowledge.services.get(key) or knowledge.matters.get(key.removeprefix(MATTER_PREFIX))
    if service:
        return service.name.zh, service.name.en or ""
    return ("未匹配", "unmatched") if key == UNMATCHED else (key, "(not in the knowledge base)")


def _office_name(knowledge: KnowledgeBase, key: str) -> tuple[str, str]:
    office = knowledge.offices.get(key)
    if office:
        return office.name.zh, office.name.en or ""
    return ("未匹配", "unmatched") if key == UNMATCHED else (key, "")


def _days(since: dt.datetime, until: dt.datetime, timezone: ZoneInfo) -> list[dt.date]:
    first, last = since.astimezone(timezone).date(), until.astimezone(timezone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# -- formatting: shared columns -------------------------------------------------------------------


def _percent(part: int, rate: float | None) -> str:
    return "-" if rate is None else f"{part} ({rate:.0%})"


def _average(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# (header, value) for the text, Markdown and HTML tables.
COLUMNS: tuple[tuple[str, Callable[[Tally], str]], ...] = (
    ("咨询 asked", lambda t: str(t.inquiries)),
    ("已答 answered", lambda t: str(t.answered)),
    ("澄清 clarified", lambda t: str(t.clarified)),
    ("转人工 escalated", lambda t: str(t.escalated)),
    ("转办 referred", lambda t: str(t.referred)),
    ("纠错 error reports", lambda t: str(t.error_reports)),
    ("工单 cases", lambda t: str(t.cases)),
    ("认领 claim (median)", lambda t: human_duration(t.median_claim)),
    ("首答 first answer (median)", lambda t: human_duration(t.median_first_answer)),
    ("超时 overdue", lambda t: str(t.overdue)),
    ("未结 open", lambda t: str(t.still_open)),
    ("评分 ratings 1/2/3/4/5", lambda t: "/".join(map(str, t.rating_counts))),
    ("均分 avg", lambda t: _average(t.rating_average)),
    ("有帮助 helpful", lambda t: _percent(t.helpful, t.helpful_rate)),
)

SECTIONS = (("合计 Total", "total"), ("按窗口 By office", "offices"), ("按事项 By service", "services"))

NOTE = ("Each service counts under every office in its list, so office rows can add up to more than the total. "
        "Clarifications count under their first option, cases under their first guess.")


def _table(report: Report, section: str) -> tuple[list[str], list[list[str]]]:
    first = {"total": "", "offices": "窗口 office", "services": "事项 service"}[section]
    tallies = [report.total] if section == "total" else getattr(report, section)
    header = [first or "合计 total"] + [name for name, _ in COLUMNS]
    rows = [[_label(t)] + [value(t) for _, value in COLUMNS] for t in tallies]
    return header, rows


def _label(tally: Tally) -> str:
    return tally.name_zh if tally.key in ("total", UNMATCHED) else f"{tally.name_zh} ({tally.key})"


def _versions(report: Report) -> str:
    return ", ".join(f"{version} ({count})" for version, count in report.kb_versions) or "-"


# -- text -------------------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(cells)).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *map(line, rows)]


def format_text(report: Report) -> str:
    lines = ["办件监察报告 Supervision report", f"时段 Window: {report.window}",
             f"知识库版本 Knowledge-base versions (inquiries): {_versions(report)}"]
    for title, section in SECTIONS:
        lines += ["", title, *_aligned(*_table(report, section))]
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


# -- Markdown ---------------------------------------------------------------------------------------


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def markdown_escape(text: str) -> str:
    """Text that admins or citizens wrote, shown as itself in Markdown: no HTML, no links, no emphasis, one line."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells):
        return "| " + " | ".join(markdown_escape(cell) for cell in cells) + " |"

    return [line(header), "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|", *map(line, rows)]


def format_markdown(report: Report) -> str:
    lines = ["# 办件监察报告 Supervision report", "", f"- 时段 Window: {report.window}",
             f"- 知识库版本 Knowledge-base versions (inquiries): {_versions(report)}"]
    for title, section in SECTIONS:
        lines += ["", f"## {title}", "", *_markdown_table(*_table(report, section))]
    lines += ["", f"_{NOTE}_"]
    return "\n".join(lines) + "\n"


# -- CSV --------------------------------------------------------------------------------------------

CSV_FIELDS = ("level", "key", "name_zh", "name_en", "inquiries", "answered", "clarified", "escalated", "referred", "error_reports",
              "cases_opened", "median_claim_seconds", "median_claim", "median_first_answer_seconds",
              "median_first_answer", "overdue", "still_open", "rating_1", "rating_2", "rating_3", "rating_4",
              "rating_5", "ratings", "rating_average", "helpful", "helpful_rate", "window_from", "window_to",
              "kb_versions")


def _csv_row(level: str, tally: Tally, report: Report) -> dict:
    def number(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    return {
        "level": level, "key": tally.key, "name_zh": tally.name_zh, "name_en": tally.name_en,
        "inquiries": tally.inquiries, "answered": tally.answered, "clarified": tally.clarified,
        "escalated": tally.escalated, "referred": tally.referred, "error_reports": tally.error_reports, "cases_opened": tally.cases,
        "median_claim_seconds": number(tally.median_claim, 0), "median_claim": human_duration(tally.median_claim),
        "median_first_answer_seconds": number(tally.median_first_answer, 0),
        "median_first_answer": human_duration(tally.median_first_answer),
        "overdue": tally.overdue, "still_open": tally.still_open,
        **{f"rating_{stars}": count for stars, count in enumerate(tally.rating_counts, start=1)},
        "ratings": len(tally.ratings), "rating_average": number(tally.rating_average, 2),
        "helpful": tally.helpful, "helpful_rate": number(tally.helpful_rate, 3),
        "window_from": report.since.astimezone(report.timezone).isoformat(timespec="seconds"),
        "window_to": report.until.astimezone(report.timezone).isoformat(timespec="seconds"),
        "kb_versions": " ".join(version for version, _ in report.kb_versions),
    }


CSV_TEXT_FIELDS = ("key", "name_zh", "name_en")  # written by admins (or recorded from citizens' traffic)


def csv_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading =, +, -, @ (or tab, CR) would make it a formula."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def format_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for level, tally in report.levels():
        row = _csv_row(level, tally, report)
        writer.writerow({**row, **{name: csv_text(row[name]) for name in CSV_TEXT_FIELDS}})
    return out.getvalue()


# -- HTML with charts -------------------------------------------------------------------------------

_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
              "Microsoft YaHei", "PingFang SC", "Noto Serif CJK SC", "Droid Sans Fallback")


_CJK_FONT_FILES = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian's fonts-noto-cjk


def cjk_font() -> str | None:
    """The name of an installed font that can draw Chinese, or None (then charts use English labels)."""
    from matplotlib import font_manager

    def find() -> str | None:
        names = {font.name for font in font_manager.fontManager.ttflist}
        preferred = next((name for name in _CJK_FONTS if name in names), None)
        return preferred or next((name for name in sorted(names) if "CJK" in name), None)

    found = find()
    if found is None and Path(_CJK_FONT_FILES).is_file():
        try:  # installed after matplotlib built its font cache
            font_manager.fontManager.addfont(_CJK_FONT_FILES)
            found = find()
        except (OSError, RuntimeError, ValueError):
            return None
    return found


def _label_text(zh: str, en: str, chinese: bool) -> str:
    return f"{zh} {en}" if chinese else en


MAX_BARS = 62
_PERIODS = {"day": ("每日", "per day", "Daily"), "week": ("每周", "per week", "Weekly"),
            "month": ("每月", "per month", "Monthly")}


def periods(days: list[Day]) -> tuple[str, list[Day]]:
    """The days, or weeks (from Monday) or months for long windows, so that a chart stays readable
    (and quick to draw) with at most about MAX_BARS bars."""
    if len(days) <= MAX_BARS:
        return "day", days
    unit = "week" if len(days) <= MAX_BARS * 7 else "month"
    buckets: dict[dt.date, Day] = {}
    for day in days:
        start = day.day - dt.timedelta(days=day.day.weekday()) if unit == "week" else day.day.replace(day=1)
        bucket = buckets.setdefault(start, Day(start))
        bucket.answered += day.answered
        bucket.clarified += day.clarified
        bucket.escalated += day.escalated
        bucket.cases += day.cases
        bucket.first_answer_seconds += day.first_answer_seconds
    return unit, list(buckets.values())


def _period_labels(unit: str, buckets: list[Day]) -> list[str]:
    if unit == "month":
        return [bucket.day.strftime("%Y-%m") for bucket in buckets]
    several_years = len({bucket.day.year for bucket in buckets}) > 1
    return [bucket.day.strftime("%Y-%m-%d" if several_years else "%m-%d") for bucket in buckets]


def draw_charts(report: Report, font: str | None = None) -> list[tuple[str, bytes]]:
    """Three PNG charts: volume (answered / clarified / escalated, stacked), escalations, and the
    median time to first answer, per day (per week or month for long windows).

    Chinese labels only when `font` (a CJK font name) is given; otherwise English labels, so a
    machine without CJK fonts still draws every chart."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    chinese = font is not None
    unit, buckets = periods(report.days)
    every_zh, per_en, adjective = _PERIODS[unit]
    labels = _period_labels(unit, buckets)
    positions = list(range(len(buckets)))
    charts = []
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": families,
                                "axes.unicode_minus": False}):

        def figure(title: str, ylabel: str, counts: bool = True):
            fig = Figure(figsize=(min(14.0, max(6.0, 0.2 * len(labels) + 3)), 3.4), dpi=100)
            FigureCanvasAgg(fig)
            axes = fig.add_subplot()
            axes.set_title(title)
            axes.set_ylabel(ylabel)
            step = -(-len(labels) // 16)  # at most 16 tick labels
            axes.set_xticks(positions[::step], labels[::step], rotation=45 if len(labels) > 8 else 0, fontsize=8)
            axes.grid(axis="y", alpha=0.3)
            axes.set_xlim(-0.6, len(labels) - 0.4)  # the whole window, also where a day has no data
            if counts:
                axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            return fig, axes

        def png(fig) -> bytes:
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png")
            return out.getvalue()

        title = _label_text(f"{every_zh}咨询量", f"{adjective} volume", chinese)
        fig, axes = figure(title, _label_text("问题", "questions", chinese))
        bottom = [0] * len(buckets)
        for zh, en, attribute, color in (("已答", "answered", "answered", "#2e7d32"),
                                         ("澄清", "clarified", "clarified", "#f9a825"),
                                         ("转人工", "escalated", "escalated", "#c62828")):
            values = [getattr(bucket, attribute) for bucket in buckets]
            axes.bar(positions, values, bottom=bottom, color=color, label=_label_text(zh, en, chinese))
            bottom = [b + v for b, v in zip(bottom, values, strict=False)]
        axes.legend(fontsize=8)
        charts.append((title, png(fig)))

        title = _label_text(f"{every_zh}转人工", f"Escalations {per_en}", chinese)
        fig, axes = figure(title, _label_text("次数", "count", chinese))
        axes.bar(positions, [bucket.escalated for bucket in buckets], color="#c62828",
                 label=_label_text("转人工问题", "escalated questions", chinese))
        axes.plot(positions, [bucket.cases for bucket in buckets], color="#1565c0", marker="o",
                  label=_label_text("新工单", "cases opened", chinese))
        axes.legend(fontsize=8)
        charts.append((title, png(fig)))

        title = _label_text(f"首次答复用时（{every_zh}中位数）", f"Time to first answer (median {per_en})",
                            chinese)
        fig, axes = figure(title, _label_text("小时", "hours", chinese), counts=False)
        hours = [bucket.median_first_answer / 3600 if bucket.median_first_answer is not None else float("nan")
                 for bucket in buckets]
        axes.plot(positions, hours, color="#6a1b9a", marker="o")
        axes.set_ylim(bottom=0)
        if all(value != value for value in hours):  # NaN everywhere: nothing answered yet
            axes.text(0.5, 0.5, _label_text("暂无答复", "no answers in this window", chinese),
                      transform=axes.transAxes, ha="center", va="center", color="#777")
        charts.append((title, png(fig)))
    return charts


_STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; }
th { background: #f0f0f0; } td.n { text-align: right; white-space: nowrap; }
.meta { color: #555; } .note { color: #666; font-size: 0.85em; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; } img { max-width: 100%; }
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(("<td class='n'>" if i else "<td>") + f"{html.escape(cell)}</td>"
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def format_html(report: Report, charts: list[tuple[str, bytes]] | None = None) -> str:
    """A standalone page: inline CSS, the tables, and the charts embedded as base64 PNG."""
    if charts is None:
        charts = draw_charts(report, cjk_font())
    figures = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}" '
        f'alt="{html.escape(title)}"></figure>' for title, data in charts)
    tables = "".join(f"<h2>{html.escape(title)}</h2>{_html_table(*_table(report, section))}"
                     for title, section in SECTIONS)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<title>办件监察报告 Supervision report</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>办件监察报告 Supervision report</h1>"
        f"<p class=\"meta\">时段 Window: {html.escape(report.window)}<br>"
        f"知识库版本 Knowledge-base versions (inquiries): {html.escape(_versions(report))}</p>"
        f"<h2>图表 Charts</h2>{figures}{tables}<p class=\"note\">{html.escape(NOTE)}</p>"
        "</body></html>\n"
    )


FORMATS = ("text", "markdown", "csv", "html")


def render_report(report: Report, fmt: str) -> str:
    """The report in one of FORMATS."""
    return {"text": format_text, "markdown": format_markdown, "csv": format_csv, "html": format_html}[fmt](report)
