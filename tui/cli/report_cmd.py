"""`telesales report day` and `report week`: the shift lead's figures, as a table, the contract's JSON or CSV.

A thin shell over `orders.report`, which owns every definition (what counts as due, done, on time); this
module parses the date, picks the language and lays out text. `--json` prints exactly `DayReport.as_json()`;
the table also shows, from the dashboard, the operators' names, repeat complaints and the ticket queue now,
which a lead reading a terminal wants beside the figures. `--csv` writes `orders.report.csv_rows` (columns in
the README) through the one CSV writer that neutralises formula cells, for the lead's spreadsheet.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer

from db.export import SafeCsvWriter
from orders.clock import today, week_of
from orders.report import (
    Dashboard,
    DayReport,
    Figures,
    WeekReport,
    csv_header,
    csv_rows,
    day_dashboard,
    day_figures,
    names_of,
    week_figures,
)
from tui.cli.main import CliError, DbOption, JsonOption, app, cli_errors, database, emit_json, state_of
from tui.cli.options import DayOption, LangOption, WeekOption, parse_date, parse_week
from tui.cli.text import table as aligned
from tui.i18n import MESSAGES

report_app = typer.Typer(help="The shift lead's figures.", no_args_is_help=True)
app.add_typer(report_app, name="report")

# key -> (zh, en); outcome names come from the TUI's own table so the screen and the CLI say the same words
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("{day} 日报", "Day report {day}"),
    "week_title": ("{week} 至 {to} 周报", "Week report {week} to {to}"),
    "operator": ("工号", "login"),
    "name": ("姓名", "name"),
    "shops": ("完成户", "shops"),
    "due": ("应访", "due"),
    "done": ("已访", "done"),
    "orders": ("订单", "orders"),
    "cartons": ("条数", "ctns"),
    "avg": ("均时(秒)", "avg s"),
    "opened": ("新投诉", "compl."),
    "on_time": ("按时", "on time"),
    "late": ("超时", "late"),
    "total": ("合计", "total"),
    "legend": (
        "完成户:已完成/名单上的客户(本周已下单,或当天拒绝、停业、错号)\n"
        "应访:当天电访名单上的客户数;已访:当天拨打并记录了结果的通话数\n"
        "按时/超时:当天办结的工单,在承诺时间之内/之后答复",
        "shops: done / listed (done: ordered this week, or refused, closed, wrong number)\n"
        "due: customers on the day's call list; done: calls made and recorded that day\n"
        "on time / late: tickets closed that day, answered within / past their due time",
    ),
    "outcomes": ("通话结果", "Call outcomes"),
    "no_calls": ("无通话", "no calls"),
    "repeats": ("重复投诉 {n} 件", "repeat complaints: {n}"),
    "queue": (
        "当前未结工单 {total} 张(超时 {overdue},一小时内到期 {soon})",
        "open tickets now: {total} ({overdue} overdue, {soon} due within the hour)",
    ),
}


def _say(key: str, lang: str, **values: object) -> str:
    zh, en = _TEXT[key]
    return (en if lang == "en" else zh).format(**values)


def _outcome(name: str, lang: str) -> str:
    zh, en = MESSAGES.get(f"outcome.{name}", (name, name))
    return en if lang == "en" else zh


def _row(label: str, name: str, f: Figures) -> list[str]:
    avg = f.avg_call_seconds
    return [
        label,
        name,
        f"{f.shops_done}/{f.shops_due}",
        str(f.calls_due),
        str(f.calls_done),
        str(f.orders),
        str(f.cartons),
        f"{avg:.1f}" if avg is not None else "-",
        str(f.complaints_opened),
        str(f.tickets_closed_on_time),
        str(f.tickets_closed_late),
    ]


def _outcome_line(f: Figures, lang: str) -> str:
    parts = [f"{_outcome(o, lang)} {n}" for o, n in f.outcomes.items() if n]
    return "  ".join(parts) if parts else _say("no_calls", lang)


def _figures_lines(report: DayReport | WeekReport, names: dict[str, str], lang: str) -> list[str]:
    """The table (one row per operator and the total), its legend, and the outcomes: what a day and a week share."""
    heads = ("operator", "name", "shops", "due", "done", "orders", "cartons", "avg", "opened", "on_time", "late")
    rows = [[_say(h, lang) for h in heads]]
    for login in sorted(report.operators):
        rows.append(_row(login, names.get(login, ""), report.operators[login]))
    rows.append(_row(_say("total", lang), "", report.total))
    lines = [aligned(rows), _say("legend", lang), ""]
    labels = [
        [login, _outcome_line(report.operators[login], lang)]
        for login in sorted(report.operators)
        if report.operators[login].calls_done
    ]
    labels.append([_say("total", lang), _outcome_line(report.total, lang)])
    return [*lines, _say("outcomes", lang), aligned(labels)]


def render(board: Dashboard, lang: str) -> str:
    """The day as a lead reads it in a terminal: one row per operator and the total, then the outcomes."""
    report = board.report
    lines = [_say("title", lang, day=report.day.isoformat()), *_figures_lines(report, board.names, lang), ""]
    lines.append(_say("repeats", lang, n=board.repeat_complaints))
    queue = board.open_tickets
    lines.append(_say("queue", lang, total=queue.total, overdue=queue.overdue, soon=queue.due_soon))
    return "\n".join(lines)


def render_week(report: WeekReport, names: dict[str, str], lang: str) -> str:
    """The week in a terminal: the day report's table over the week's seven days."""
    to = report.week + timedelta(days=6)
    title = _say("week_title", lang, week=report.week.isoformat(), to=to.isoformat())
    return "\n".join([title, *_figures_lines(report, names, lang)])


CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV (one row per operator, then the total).")]


def _one_format(as_json: bool, as_csv: bool) -> None:
    if as_json and as_csv:
        raise CliError("choose one of --json and --csv")


def _write_csv(report: DayReport | WeekReport) -> None:
    writer = SafeCsvWriter(sys.stdout)
    writer.writerow(csv_header(report))
    for row in csv_rows(report):
        writer.writerow(row)


@report_app.command("day")
def day_cmd(
    ctx: typer.Context,
    day: DayOption = None,
    lang: LangOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Calls due and done, outcomes, orders, cartons, average call length, complaints opened, tickets closed
    within and past their due time: per operator and in total."""
    with cli_errors(as_json):
        _one_format(as_json, as_csv)
        state = state_of(ctx, db, lang)
        settings = state.settings()
        wanted = parse_date(day, "--date") or today(settings.zone)
        with database(state) as engine:
            if as_json or as_csv:
                report = day_figures(engine, wanted, settings)
                if as_json:
                    emit_json(report.as_json())
                else:
                    _write_csv(report)
                return
            board = day_dashboard(engine, wanted, settings)
        typer.echo(render(board, settings.lang))


@report_app.command("week")
def week_cmd(
    ctx: typer.Context,
    week: WeekOption = None,
    lang: LangOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    db: DbOption = None,
) -> None:
    """The day report's figures over a week (Monday to Sunday), per operator and in total."""
    with cli_errors(as_json):
        _one_format(as_json, as_csv)
        state = state_of(ctx, db, lang)
        settings = state.settings()
        monday = parse_week(week) or week_of(today(settings.zone))
        with database(state) as engine:
            report = week_figures(engine, monday, settings)
            if as_json:
                emit_json(report.as_json())
                return
            if as_csv:
                _write_csv(report)
                return
            names = names_of(engine, report.operators)
        typer.echo(render_week(report, names, settings.lang))
