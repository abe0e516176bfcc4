"""Terminal output: rich panels and tables on a TTY, plain lines otherwise, JSON for machines."""
from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from runner.fit import fit_columns, fit_rows
from runner.i18n import localize_detail, msg

if TYPE_CHECKING:  # rich's console, the views and the engine cost ~0.2 s to import: plain/JSON output and --help never need them
    from rich.console import Console, Group
    from rich.table import Table

    from runner.engine import Outcome
    from runner.views import Table as Rows


class Out:
    def __init__(self, mode: str | None = None, lang: str = "en") -> None:
        # mode: rich | plain | json; default: rich on a TTY, plain otherwise
        self.mode = mode or ("rich" if sys.stdout.isatty() else "plain")
        self.lang = lang          # runner words (PASS/FAIL, phrases in details); lab text is localized by the lab
        self._console: Console | None = None
        self.records: list[dict[str, Any]] = []

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console
            self._console = Console(highlight=False, soft_wrap=self.mode != "rich")
        return self._console

    @property
    def rich(self) -> bool:
        return self.mode == "rich"

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.mode == "json":
            return
        if self.rich:
            from rich.text import Text
            self.console.print(Text(text, style=style or ""))
        else:
            print(text, flush=True)

    def err(self, text: str) -> None:
        """Errors go to stderr as one plain line in every mode (no traceback)."""
        print(text, file=sys.stderr, flush=True)

    def record(self, **data: Any) -> None:
        self.records.append(data)

    def flush_json(self, data: Any = None) -> None:
        if self.mode == "json":
            print(json.dumps(data if data is not None else self.records, indent=1, ensure_ascii=False, default=str))

    def panel(self, title: str, body: str, style: str = "cyan", markdown: bool = True) -> None:
        if self.mode == "json":
            return
        if self.rich:
            from rich.markdown import Markdown
            from rich.panel import Panel
            from rich.text import Text
            self.console.print(Panel(Markdown(body) if markdown else Text(body), title=title, border_style=style,
                                     title_align="left"))
        else:
            print(f"== {title} ==")
            if body.strip():
                print(body.rstrip())
            print(flush=True)

    def table(self, title: str, rows: Rows) -> None:
        if self.mode == "json":
            return
        if self.rich:
            self.console.print(rich_table(title, rows))
        else:
            for line in plain_table(title, rows):
                print(line)
            sys.stdout.flush()

    def outcomes(self, outs: list[Outcome], verbose: bool = True) -> None:
        for o in outs:
            mark = msg("pass" if o.result.ok else "fail", self.lang)
            self.line(f"  {mark} {o.label}: {o.result.summary} ({o.elapsed:.1f}s)",
                      "green" if o.result.ok else "red")
            if not o.result.ok and verbose:
                hint = o.hint.get(self.lang) if o.hint is not None else ""
                if hint:
                    self.line(f"      {msg('hint', self.lang)}: {hint}", "magenta")
                for d in o.result.details + o.diagnostics:
                    self.line(f"      {localize_detail(d, self.lang)}", diff_style(d))


def diff_style(line: str) -> str | None:
    s = line.strip()
    if s.startswith("+") and not s.startswith("+++"):
        return "green"
    if s.startswith("-") and not s.startswith("---"):
        return "red"
    return "dim" if s.startswith(("events of", "last log")) else None


def rich_table(title: str, rows: Rows) -> Table:
    headers, body = rows
    from rich.table import Table
    t = Table(title=title, title_justify="left", expand=False)
    for h in headers:
        t.add_column(h, no_wrap=True, overflow="ellipsis")
    for r in body:
        t.add_row(*r, style="bold" if headers[0] == "OWNER" and r[0] else None)  # group summary rows
    return t


def plain_table(title: str, rows: Rows) -> list[str]:
    headers, body = rows
    # display width, not len(): a Korean character takes two cells
    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in body if i < len(r)]) for i, h in enumerate(headers)]

    def fmt(r: list[str]) -> str:
        return "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(r, widths)).rstrip()
    return [f"-- {title}", fmt(headers)] + [fmt(r) for r in body]


def live_group(tables: list[tuple[str, Rows]], footer: str, width: int = 10_000, height: int = 10_000,
               more: str = "… {n} more") -> Group:
    """The live area: tables fitted to width x height (the footer, the key prompt, always stays visible)."""
    from rich.console import Group
    from rich.text import Text
    footer_lines = 1 + cell_len(footer) // max(width, 1)
    fitted = fit_rows([(t, fit_columns(r, width)) for t, r in tables], height - footer_lines - 1, more)
    return Group(*[rich_table(t, r) for t, r in fitted], Text(footer, style="bold"))
