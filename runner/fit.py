"""Make live tables fit the terminal (pure): drop low-value columns before cutting names, cap rows.

Widths are display widths (rich's cell_len), so Korean text (two cells per character) aligns.
"""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size

Rows = tuple[list[str], list[list[str]]]

# columns dropped first, per header set; the first column not listed is never dropped
DROP_ORDER = ["NODE", "RESTARTS", "CLASS", "CAPACITY", "PORTS", "TIME", "OWNER"]
TABLE_OVERHEAD = 5      # title, top border, header, header rule, bottom border (rich's default box)


def width_of(headers: list[str], rows: list[list[str]]) -> int:
    """Width of a rich table with the default box and padding: cells + 2 padding each + borders."""
    cols = [max([cell_len(h)] + [cell_len(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(headers)]
    return sum(c + 2 for c in cols) + len(headers) + 1


def _drop(headers: list[str], rows: list[list[str]], col: int) -> Rows:
    if headers[col] == "OWNER":
        # a group summary row keeps its owner: shown in the next column instead
        rows = [[*r[:col], (f"{r[col]} {r[col + 1]}".strip() if r[col] else r[col + 1]), *r[col + 2:]] for r in rows]
    else:
        rows = [r[:col] + r[col + 1:] for r in rows]
    return headers[:col] + headers[col + 1:], rows


def fit_columns(rows_in: Rows, width: int) -> Rows:
    headers, rows = list(rows_in[0]), [list(r) for r in rows_in[1]]
    for name in DROP_ORDER:
        if width_of(headers, rows) <= width:
            break
        if name in headers and len(headers) > 2:
            headers, rows = _drop(headers, rows, headers.index(name))
    excess = width_of(headers, rows) - width
    if excess > 0:      # still too wide: cut the last column (a message), never the name column
        last = len(headers) - 1
        keep = max(cell_len(headers[last]), max((cell_len(r[last]) for r in rows if len(r) > last), default=0) - excess)
        rows = [r[:last] + [_cut(r[last], keep)] if len(r) > last else r for r in rows]
    return headers, rows


def _cut(text: str, cells: int) -> str:
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, max(1, cells - 1)).rstrip() + "…"


def shares(lengths: list[int], room: int) -> list[int]:
    """Rows each table may show within `room` lines: the same cap for all, short tables keep their rows."""
    cap = 0
    while cap < max(lengths, default=0) and sum(min(n, cap + 1) for n in lengths) <= room:
        cap += 1
    return [min(n, cap) for n in lengths]


def fit_rows(tables: list[tuple[str, Rows]], height: int, more: str = "… {n} more") -> list[tuple[str, Rows]]:
    """Cap the rows so all tables take at most `height` lines; the rest is summarized as '… N more'."""
    while tables and height - TABLE_OVERHEAD * len(tables) < len(tables):
        tables = tables[:-1]                      # not even one row each: show fewer tables
    caps = shares([len(r) for _, (_, r) in tables], height - TABLE_OVERHEAD * len(tables))
    out: list[tuple[str, Rows]] = []
    for (title, (headers, rows)), cap in zip(tables, caps):
        if len(rows) > cap:
            keep = max(cap - 1, 0)
            rows = rows[:keep] + [[more.format(n=len(rows) - keep)] + [""] * (len(headers) - 1)]
        out.append((title, (headers, rows)))
    return out


def shell_words(cmd: str) -> list[str]:
    """Split at spaces outside quotes, keeping each word exactly as written (quotes included)."""
    words, cur, quote = [], "", None
    for ch in cmd:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            cur, quote = cur + ch, ch
        elif ch == " ":
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += ch
    return words + ([cur] if cur else [])


def wrap_command(cmd: str, width: int) -> list[str]:
    """A long shell command as lines ending in ' \\' (still pastable), broken between words only."""
    if cell_len(cmd) <= width:
        return [cmd]
    lines: list[str] = []
    cur = ""
    for w in shell_words(cmd):
        cand = f"{cur} {w}" if cur else w
        if cur and cell_len(cand) + 2 > width:
            lines.append(cur + " \\")
            cur = "  " + w
        else:
            cur = cand
    return lines + [cur]
