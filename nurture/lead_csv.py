"""Leads in a CSV file as Excel or a business-card tool writes it.

UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text") or Shift_JIS (cp932, what
Japanese Excel saves); comma, tab or semicolon separated; English or Japanese headers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# Lead field -> the header names it goes by (compared after _normalise).
HEADERS: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "email address",
        "mail",
        "mail address",
        "メール",
        "メールアドレス",
        "eメール",
        "eメールアドレス",
        "電子メール",
    ),
    "name": (
        "name",
        "full name",
        "contact name",
        "氏名",
        "名前",
        "お名前",
        "フルネーム",
        "担当者名",
    ),
    "last_name": ("last name", "surname", "family name", "姓", "苗字"),
    "first_name": ("first name", "given name", "名"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "account",
        "会社名",
        "会社",
        "企業名",
        "勤務先",
    ),
    "job_title": ("title", "job title", "position", "役職", "役職名", "肩書", "肩書き"),
    "industry": ("industry", "sector", "業種", "業界"),
    "company_size": (
        "employees",
        "company size",
        "employee count",
        "number of employees",
        "headcount",
        "従業員数",
        "社員数",
        "従業員規模",
    ),
    "timezone": ("timezone", "time zone", "tz", "タイムゾーン"),
}
SIZE_UNITS = re.compile(r"(名|人|employees|people|程度|以上)$")


class CsvFileError(Exception):
    """The file cannot be read as a table of leads; the message says why and what to do."""


def _normalise(header: str) -> str:
    return re.sub(r"[\s_\-・.:]", "", unicodedata.normalize("NFKC", header).casefold())


_FIELD_OF = {_normalise(alias): name for name, aliases in HEADERS.items() for alias in aliases}


@dataclass
class LeadTable:
    encoding: str  # how the file was read; the rejected rows are written back the same way
    delimiter: str
    header: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # lead field -> column index
    unused: list[str] = field(default_factory=list)  # headers that feed no lead field
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, cells)

    def header_of(self, name: str) -> str:
        """The file's own header for a lead field (for messages that name the column)."""
        index = self.columns.get(name)
        return self.header[index] if index is not None else name


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as err:
            raise CsvFileError(f"cannot be read as {encoding}: {err}") from None
    if raw.startswith(b"PK\x03\x04"):
        raise CsvFileError("is an Excel workbook, not CSV: save it as CSV (UTF-8) first")
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in raw:
        raise CsvFileError("looks binary, not like CSV text")
    else:
        candidates = ["utf-8", "cp932"]
    for candidate in candidates:
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise CsvFileError("is neither UTF-8 nor Shift_JIS (cp932); name it with --encoding")


def read_table(path: Path, encoding: str | None = None) -> LeadTable:
    """The rows of the file with their line numbers, and which column holds which field."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise CsvFileError(f"cannot be read: {err.strerror}") from None
    text, used = _decode(raw, encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
        table = LeadTable(encoding=used, delimiter=delimiter, header=header)
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):  # Excel leaves blank lines at the end
                table.rows.append((start, cells))
            start = reader.line_num + 1
    except StopIteration:
        raise CsvFileError("is empty: expected a header line and rows of leads") from None
    except csv.Error as err:
        raise CsvFileError(f"is not valid CSV near line {reader.line_num}: {err}") from None
    for index, name in enumerate(header):
        found = _FIELD_OF.get(_normalise(name))
        if found is None or found in table.columns:
            table.unused.append(name)
        else:
            table.columns[found] = index
    if "email" not in table.columns:
        raise CsvFileError(
            f"has no email column (headers: {', '.join(header)}); name one e.g. "
            "'email' or 'メールアドレス'"
        )
    return table


def _has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def size_of(value: str) -> int | None:
    """`1,000`, `１０００名`, `500 employees` -> the number; ValueError for anything else."""
    text = SIZE_UNITS.sub("", unicodedata.normalize("NFKC", value).strip().lower()).strip()
    text = text.replace(",", "").removeprefix("約").strip()
    if not text:
        return None
    if not text.isdecimal():
        raise ValueError(f"{value!r} is not a number of employees")
    return int(text)


def lead_fields(table: LeadTable, cells: list[str]) -> dict[str, str]:
    """The lead fields of one row, as text; a name in parts is put together."""

    def cell(name: str) -> str:
        index = table.columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    fields = {name: cell(name) for name in HEADERS if name not in ("last_name", "first_name")}
    if not fields["name"]:
        last, first = cell("last_name"), cell("first_name")
        parts = (last, first) if _has_cjk(last + first) else (first, last)
        fields["name"] = " ".join(p for p in parts if p)
    return {name: value for name, value in fields.items() if value}


@dataclass(frozen=True)
class Rejected:
    line: int
    cells: list[str]
    reason: str


def write_rejected(table: LeadTable, path: Path, rejected: list[Rejected]) -> Path:
    """`<FILE>.rejected.csv`: the rows as the file had them, after their line and the reason."""
    out = path.with_name(f"{path.stem}.rejected.csv")
    encoding = "cp932" if table.encoding == "cp932" else "utf-8-sig"  # what Excel opens
    with out.open("w", encoding=encoding, errors="replace", newline="") as handle:
        writer = csv.writer(handle, delimiter=table.delimiter)
        writer.writerow(["line", "reason", *table.header])
        for row in rejected:
            writer.writerow([row.line, row.reason, *row.cells])
    return out
