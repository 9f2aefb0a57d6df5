"""The units registry: who is expected to send, under which names and from which addresses.

A CSV (UTF-8, with or without BOM, or GB18030 as Excel on a Chinese Windows saves it) or an
XLSX with the columns ``unit_id,name,category,aliases,emails``. Errors name the file, the row
(as a spreadsheet shows it, the header being row 1) and the column.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from parsers.mailtext import utf8_or_gb18030
from pipeline.config import CATEGORIES, ConfigError

REQUIRED_COLUMNS = ("unit_id", "name", "category", "aliases", "emails")
_LIST_SPLIT = re.compile(r"[;；,，、\s]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _squash(text: str) -> str:
    return re.sub(r"[\s（）()]", "", text)


# category code, its Chinese name as the notice writes it, or that name without brackets
_CATEGORY_LOOKUP = {**{code: code for code in CATEGORIES},
                    **{name: code for code, name in CATEGORIES.items()},
                    **{_squash(name): code for code, name in CATEGORIES.items()},
                    "县区": "county", "县市区": "county", "开发区": "zone", "管理区": "zone",
                    "成员单位": "member", "市级学会": "society", "学会": "society",
                    "科普教育基地": "base", "基地": "base", "项目单位": "project"}


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class Registry:
    units: list[Unit]
    source: Path | None = None
    by_id: dict[str, Unit] = field(init=False)
    by_email: dict[str, Unit] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {u.unit_id: u for u in self.units}
        self.by_email = {e: u for u in self.units for e in u.emails}

    def get(self, unit_id: str | None) -> Unit | None:
        return self.by_id.get(unit_id) if unit_id else None


def parse_category(value: str) -> str | None:
    value = value.strip()
    return _CATEGORY_LOOKUP.get(value) or _CATEGORY_LOOKUP.get(_squash(value))


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(p for p in (s.strip() for s in _LIST_SPLIT.split(value or "")) if p)


def _split_names(value: str) -> tuple[str, ...]:
    # names may contain spaces and commas are rare in names; split on ; only (and the full-width one)
    return tuple(p.strip() for p in re.split(r"[;；]", value or "") if p.strip())


def _read_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
        return [["" if c is None else (str(int(c)) if isinstance(c, float) and c.is_integer() else str(c))
                 for c in row] for row in rows]
    text = utf8_or_gb18030(data)
    if text is None:
        raise ConfigError(f"{path}: cannot read the file as UTF-8 or GB18030 text")
    return [row for row in csv.reader(io.StringIO(text))]


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: units registry not found (campaign.units in config.yaml)")
    try:
        rows = _read_rows(path)
    except ConfigError:
        raise
    except Exception as exc:  # a corrupt workbook: say which file
        raise ConfigError(f"{path}: cannot read the units registry: {exc}") from None
    if not rows:
        raise ConfigError(f"{path}: the units registry is empty")
    header = [h.strip().lower() for h in rows[0]]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise ConfigError(f"{path}, row 1: missing column '{column}' (needed: {','.join(REQUIRED_COLUMNS)})")
    col = {name: header.index(name) for name in REQUIRED_COLUMNS}

    units: list[Unit] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, tuple[str, int]] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in col.items()}
        if not any(cells.values()):
            continue
        where = f"{path}, row {row_number}"
        if not cells["unit_id"]:
            raise ConfigError(f"{where}, column unit_id: empty")
        if cells["unit_id"] in seen_ids:
            raise ConfigError(f"{where}, column unit_id: duplicate id '{cells['unit_id']}' "
                              f"(also in row {seen_ids[cells['unit_id']]})")
        if not cells["name"]:
            raise ConfigError(f"{where}, column name: empty")
        category = parse_category(cells["category"])
        if category is None:
            raise ConfigError(f"{where}, column category: unknown category '{cells['category']}' "
                              f"(use one of {', '.join(CATEGORIES)} or its Chinese name)")
        emails = tuple(e.lower() for e in _split_list(cells["emails"]))
        for email in emails:
            if not _EMAIL.match(email):
                raise ConfigError(f"{where}, column emails: '{email}' is not an email address")
            if email in seen_emails and seen_emails[email][0] != cells["unit_id"]:
                other, other_row = seen_emails[email]
                raise ConfigError(f"{where}, column emails: {email} is already registered for {other} "
                                  f"(row {other_row})")
            seen_emails[email] = (cells["unit_id"], row_number)
        seen_ids[cells["unit_id"]] = row_number
        units.append(Unit(cells["unit_id"], cells["name"], category,
                          _split_names(cells["aliases"]), emails))
    return Registry(units, path)
