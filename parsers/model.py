"""The document model every reader produces: blocks in reading order.

A `Document` is a list of `Heading`, `Paragraph` and `Table` blocks. A `Table` is a grid of
`Cell`s with row and column spans resolved: every grid position points at the cell that covers
it, so `table.cell(r, c)` answers "what is printed here" whatever the source format was.
Nothing here knows about annual reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass
class Cell:
    """One printed cell. `row`/`col` are its top-left grid position."""

    text: str
    row: int = 0
    col: int = 0
    rowspan: int = 1
    colspan: int = 1
    page: int | None = None
    confidence: float | None = None  # OCR's confidence (0–1) in the text; None: not read by OCR

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


@dataclass
class Heading:
    text: str
    level: int = 1
    page: int | None = None


@dataclass
class Paragraph:
    text: str
    page: int | None = None
    confidence: float | None = None  # as Cell.confidence


@dataclass
class Table:
    """A grid of cells. Build it with `Table.from_rows` (rows of origin cells, spans given)."""

    cells: list[Cell] = field(default_factory=list)
    n_rows: int = 0
    n_cols: int = 0
    page: int | None = None
    _grid: list[list[Cell | None]] = field(default_factory=list, repr=False)
    # The table runs off the page's right edge: columns after the last printed one are missing.
    clipped: bool = False

    @classmethod
    def from_rows(cls, rows: list[list[Cell]], page: int | None = None) -> "Table":
        """Place origin cells row by row, skipping positions covered by earlier row spans."""
        grid: list[list[Cell | None]] = []
        placed: list[Cell] = []

        def ensure(top: int, bottom: int, c: int) -> None:
            """Rows top..bottom exist and reach column c (the others are padded at the end)."""
            while len(grid) <= bottom:
                grid.append([])
            for r in range(top, bottom + 1):
                line = grid[r]
                if len(line) <= c:
                    line.extend([None] * (c + 1 - len(line)))

        for r, row in enumerate(rows):
            ensure(r, r, 0)
            c = 0
            for cell in row:
                while c < len(grid[r]) and grid[r][c] is not None:
                    c += 1
                cell.row, cell.col = r, c
                ensure(r, r + cell.rowspan - 1, c + cell.colspan - 1)
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        grid[r + dr][c + dc] = cell
                placed.append(cell)
                c += cell.colspan
        n_cols = max((len(line) for line in grid), default=0)
        for line in grid:
            line.extend([None] * (n_cols - len(line)))
        return cls(cells=placed, n_rows=len(grid), n_cols=n_cols, page=page, _grid=grid)

    def cell(self, row: int, col: int) -> Cell | None:
        """The cell printed at grid position (row, col), following spans; None if empty."""
        if 0 <= row < self.n_rows and 0 <= col < self.n_cols:
            return self._grid[row][col]
        return None

    def rows(self) -> Iterator[list[Cell]]:
        """Origin cells row by row (a spanned cell appears once, in its first row)."""
        by_row: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            by_row[cell.row].append(cell)
        for row in by_row:
            yield sorted(row, key=lambda c: c.col)

    def as_text_grid(self) -> list[list[str]]:
        """Every grid position's text; covered positions of a span show '〃'."""
        out = []
        for r in range(self.n_rows):
            line = []
            for c in range(self.n_cols):
                cell = self._grid[r][c]
                if cell is None:
                    line.append("")
                elif cell.row == r and cell.col == c:
                    line.append(cell.text)
                else:
                    line.append("〃")
            out.append(line)
        return out


Block = Union[Heading, Paragraph, Table]


@dataclass
class Document:
    """What a reader saw: blocks in reading order plus facts about the source."""

    blocks: list[Block]
    format: str  # html, pdf, docx, doc, text
    encoding: str = ""
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = []
        for b in self.blocks:
            if isinstance(b, Table):
                parts.extend(" | ".join(c.text for c in row) for row in b.rows())
            else:
                parts.append(b.text)
        return "\n".join(parts)
