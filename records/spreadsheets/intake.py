"""Read a registrar's uploaded spreadsheet safely into a plain table.

``read_table()`` accepts a CSV, XLSX or ODS file (a path, bytes or an uploaded
file) and returns a ``Table``: the header cells and the data rows, each with
the row number the registrar sees in the spreadsheet. Everything that makes a
file unfit for an import is refused as a whole with ``SpreadsheetRefused``,
whose message names the file and says what to do:

* the wrong kind of file (by its name and by its content: a PNG renamed to
  ``.xlsx`` is refused), old ``.xls`` files, macro-enabled workbooks,
  password-protected workbooks, damaged files;
* files over the size limit (checked before the content is read), over the
  row limit, or zip archives that would expand to far more than they weigh;
* merged cells and formulas, which an import cannot read reliably;
* empty files, files without data rows and duplicated column headers.

Nothing here maps headers to fields or reads cell values into model values:
that is the import engine's job.

XLSX and ODS values come from python-calamine, so a date cell is a ``date``
(or ``datetime``/``time``), a number is an ``int`` when it is whole and a
``float`` otherwise, a Boolean is a ``bool`` and text is ``str``; CSV values
are always ``str``. Text is stripped and blank cells are ``""``.

The checks of the workbook's XML (merged cells, formulas) scan the raw bytes
of the first sheet with regular expressions while it is being decompressed,
which keeps them to a few hundredths of a second for a 20,000-row sheet.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import os
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import filetype
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

__all__ = ["SpreadsheetRefused", "Table", "read_table"]

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_UNZIPPED_BYTES = 200 * MB
# A member of a workbook that expands more than this, and to more than
# SUSPICIOUS_MEMBER_BYTES, is not a spreadsheet but a zip bomb.
SUSPICIOUS_RATIO = 200
SUSPICIOUS_MEMBER_BYTES = 10 * MB
MAX_ZIP_MEMBERS = 5_000
# calamine holds a sheet as a full grid from A1 to its last value.
DEFAULT_MAX_CELLS = 4_000_000

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODF_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
CHUNK = 1 << 20
MAX_TAG_WINDOW = 8 * CHUNK
OVERLAP = 4096
HEAD_BYTES = 8192

# -- Messages -----------------------------------------------------------------

EMPTY = _(
    "%(name)s is empty (0 bytes). Check that the file was saved, then upload it again."
)
NO_ROWS = _("%(name)s has no rows: every row in it is blank.")
NO_DATA_ROWS = _(
    "%(name)s has no rows below the header. Put one record on each row under "
    "the header row."
)
TOO_BIG = _("%(name)s is %(size)s MB; the limit is %(limit)s MB.")
TOO_BIG_UNKNOWN_SIZE = _("%(name)s is larger than %(limit)s MB, the limit.")
TOO_MANY_ROWS = _(
    "%(name)s has %(count)s rows; the limit is %(limit)s. Split the file."
)
WRONG_TYPE = _(
    "%(name)s is not a spreadsheet that can be imported. Upload a CSV, XLSX or "
    "ODS file."
)
OLD_EXCEL = _(
    "%(name)s is an old Excel 97-2003 workbook (.xls). Open it in Excel, choose "
    'Save As → "Excel Workbook (*.xlsx)" and upload the new file.'
)
OLD_EXCEL_RENAMED = _(
    "%(name)s is really an old Excel 97-2003 workbook (.xls) with a new name. "
    'Open it in Excel, choose Save As → "Excel Workbook (*.xlsx)" and upload '
    "the new file."
)
MACRO_WORKBOOK = _(
    "%(name)s is a macro-enabled workbook (.xlsm). Workbooks with macros are not "
    'accepted: in Excel choose Save As → "Excel Workbook (*.xlsx)", which '
    "removes the macros, and upload the new file."
)
MACROS_INSIDE = _(
    "%(name)s contains macros. Workbooks with macros are not accepted: in Excel "
    'choose Save As → "Excel Workbook (*.xlsx)", which removes the macros, and '
    "upload the new file."
)
NOT_REALLY = _(
    "%(name)s is not really %(kind)s file: its content is %(actual)s. Upload a "
    "CSV, XLSX or ODS file."
)
NOT_REALLY_UNKNOWN = _(
    "%(name)s is not really %(kind)s file. Upload a CSV, XLSX or ODS file."
)
PASSWORD_XLSX = _(
    "%(name)s is protected with a password; remove the password in Excel and "
    "upload again."
)
PASSWORD_ODS = _(
    "%(name)s is protected with a password; remove the password in LibreOffice "
    "(File → Properties → Security) and upload again."
)
CORRUPT = _(
    "%(name)s is damaged or incomplete and cannot be read. Open it in your "
    "spreadsheet program, save it again and upload the new copy."
)
ZIP_TOO_LARGE = _(
    "%(name)s would expand to %(size)s MB when opened; the limit is %(limit)s MB. "
    "Split the file or remove pictures and unused sheets."
)
ZIP_BOMB = _(
    "%(name)s contains a part that expands %(ratio)s times when opened (to "
    "%(size)s MB), which no normal spreadsheet does. It is refused for safety."
)
ZIP_TOO_MANY_PARTS = _(
    "%(name)s is made of %(count)s parts, far more than a normal spreadsheet. It "
    "is refused for safety."
)
SHEET_TOO_LARGE = _(
    "%(name)s has a value as far out as cell %(cell)s, so its first sheet spans "
    "%(rows)s rows by %(columns)s columns, more than can be read. Delete the "
    "rows and columns beyond your data, save and upload again."
)
MERGED = _(
    "%(name)s has merged cells (e.g. %(cells)s). Unmerge them so every value "
    "sits in its own cell."
)
MERGED_SOMEWHERE = _(
    "%(name)s has merged cells. Unmerge them so every value sits in its own cell."
)
FORMULAS = _(
    "%(name)s contains formulas (first in cell %(cell)s). Paste the values only "
    "(Paste special → Values) and upload again."
)
FORMULAS_SOMEWHERE = _(
    "%(name)s contains formulas. Paste the values only (Paste special → Values) "
    "and upload again."
)
DUPLICATE_HEADER = _(
    "The column '%(column)s' appears twice (columns %(first)s and %(second)s) in "
    "%(name)s. Keep one of them or give the other a different header."
)
NOT_UTF8 = _(
    "%(name)s is not saved as UTF-8 text, so letters such as Bangla would come "
    'out garbled. In Excel choose Save As → "CSV UTF-8 (Comma delimited) '
    '(*.csv)" and upload the new file.'
)
BINARY_DATA = _(
    "%(name)s contains binary data, so it is not a text CSV file. Save the sheet "
    'as "CSV UTF-8" and upload the new file.'
)
CSV_UNREADABLE = _(
    "%(name)s cannot be read from row %(row)s on: a cell there is too long, "
    'probably because a quote (") is not closed.'
)

# "%(name)s is not really ... file"
KINDS = {"csv": _("a CSV"), "xlsx": _("an XLSX"), "ods": _("an ODS")}
PLAIN_TEXT = _("plain text (perhaps a CSV file)")
OLE_FILE = _("an old Microsoft Office file")
CONTENT_NAMES = {
    "png": _("a PNG image"),
    "jpg": _("a JPEG image"),
    "gif": _("a GIF image"),
    "webp": _("a WebP image"),
    "bmp": _("a bitmap image"),
    "tif": _("a TIFF image"),
    "heic": _("a HEIC photo"),
    "pdf": _("a PDF document"),
    "zip": _("a ZIP archive"),
    "rar": _("a RAR archive"),
    "7z": _("a 7-Zip archive"),
    "gz": _("a gzip archive"),
    "doc": _("an old Word document (.doc)"),
    "docx": _("a Word document (.docx)"),
    "odt": _("an OpenDocument text document (.odt)"),
    "xls": _("an old Excel 97-2003 workbook (.xls)"),
    "xlsx": _("an Excel workbook (.xlsx)"),
    "ods": _("an OpenDocument spreadsheet (.ods)"),
    "ppt": _("an old PowerPoint presentation (.ppt)"),
    "pptx": _("a PowerPoint presentation (.pptx)"),
    "odp": _("an OpenDocument presentation (.odp)"),
    "rtf": _("a rich-text document (.rtf)"),
    "exe": _("a program (.exe)"),
}
GENERIC_CONTENT = _("a %(type)s file")


def _interpolate(template, params: dict[str, Any]) -> str:
    return str(template) % params


# Translated when shown, in the language active then (a background task may
# read the file before a registrar's request shows the message).
_lazy_message = lazy(_interpolate, str)


class SpreadsheetRefused(Exception):
    """The whole file is refused; .message is a sentence a registrar understands.

    ``code`` names the reason for callers and tests ("empty", "too_big",
    "too_many_rows", "wrong_type", "old_excel", "macros", "not_really",
    "password", "corrupt", "zip_bomb", "too_large", "merged_cells",
    "formulas", "duplicate_header", "encoding", "binary").
    """

    def __init__(self, message, code: str = "refused"):
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _refuse(code: str, template, **params: Any) -> SpreadsheetRefused:
    return SpreadsheetRefused(_lazy_message(template, params), code=code)


@dataclass
class Table:
    format: str  # "csv" | "xlsx" | "ods"
    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    sheet_name: str | None = None


# -- Entry point --------------------------------------------------------------


def read_table(
    source,
    *,
    filename: str,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> Table:
    """Read the first sheet of a CSV, XLSX or ODS file, or refuse the file.

    ``source`` is a path, bytes or a binary file-like object (an uploaded file).
    ``filename`` is the name the registrar chose (it decides the format and is
    named in every message).
    """
    if max_bytes is None:
        max_bytes = getattr(settings, "CAMPUSDESK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_rows is None:
        max_rows = getattr(settings, "CAMPUSDESK_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
    name = _display_name(filename)
    fmt = _format_from_name(filename, name)
    blob = _load(source, name, max_bytes)
    if blob.size == 0:
        raise _refuse("empty", EMPTY, name=name)
    head = blob.head()
    with _collector_paused():  # hundreds of thousands of new objects, no cycles
        if fmt == "csv":
            rows, sheet_name = _csv_rows(blob, head, name), None
        else:
            rows, sheet_name = _workbook_rows(blob, head, name, fmt)
        return _build_table(
            rows, fmt=fmt, name=name, max_rows=max_rows, sheet_name=sheet_name
        )


@contextmanager
def _collector_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- Names and sources --------------------------------------------------------


def _display_name(filename: str) -> str:
    name = str(filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or str(_("The file"))


def _format_from_name(filename: str, name: str) -> str:
    ext = posixpath.splitext(name.lower())[1]
    if ext in (".csv", ".xlsx", ".ods"):
        return ext[1:]
    if ext in (".xls", ".xlt"):
        raise _refuse("old_excel", OLD_EXCEL, name=name)
    if ext in (".xlsm", ".xltm", ".xlam"):
        raise _refuse("macros", MACRO_WORKBOOK, name=name)
    raise _refuse("wrong_type", WRONG_TYPE, name=name)


def _megabytes(size: int) -> str:
    value = size / MB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _too_big(name: str, size: int, limit: int) -> SpreadsheetRefused:
    shown = f"{size / MB:.1f}"
    if shown == _megabytes(limit) or shown == f"{limit / MB:.1f}":
        shown = f"{size / MB:.2f}"
    return _refuse("too_big", TOO_BIG, name=name, size=shown, limit=_megabytes(limit))


@dataclass
class _Blob:
    """The file's bytes, on disk (``path``) or in memory (``data``)."""

    size: int
    path: str | None = None
    data: bytes | None = None

    def open(self) -> BinaryIO:
        if self.path is not None:
            return open(self.path, "rb")  # the caller closes it
        return io.BytesIO(self.data or b"")

    def head(self) -> bytes:
        if self.data is not None:
            return self.data[:HEAD_BYTES]
        with self.open() as f:
            return f.read(HEAD_BYTES)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.open() as f:
            return f.read()


def _load(source, name: str, max_bytes: int) -> _Blob:
    """Find the size without reading; refuse a file over the limit before reading it."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        size = os.stat(path).st_size
        if size > max_bytes:
            raise _too_big(name, size, max_bytes)
        return _Blob(size=size, path=path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise _too_big(name, len(data), max_bytes)
        return _Blob(size=len(data), data=data)

    size = _known_size(source)
    if size is not None and size > max_bytes:
        raise _too_big(name, size, max_bytes)
    temporary_path = getattr(source, "temporary_file_path", None)
    if callable(temporary_path):  # Django's TemporaryUploadedFile: already on disk
        return _load(temporary_path(), name, max_bytes)

    parts: list[bytes] = []
    total = 0
    for chunk in _chunks(source, max_bytes):
        parts.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            if size is None:
                raise _refuse(
                    "too_big",
                    TOO_BIG_UNKNOWN_SIZE,
                    name=name,
                    limit=_megabytes(max_bytes),
                )
            raise _too_big(name, total, max_bytes)
    data = b"".join(parts)
    return _Blob(size=len(data), data=data)


def _known_size(source) -> int | None:
    size = getattr(source, "size", None)
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    try:
        return os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    try:
        if source.seekable():
            position = source.tell()
            end = source.seek(0, os.SEEK_END)
            source.seek(position)
            return end  # read from the start, whatever was read before
    except (AttributeError, OSError, ValueError):
        pass
    return None


def _chunks(source, max_bytes: int) -> Iterator[bytes]:
    chunks = getattr(source, "chunks", None)
    if callable(chunks):  # Django File/UploadedFile: seeks to 0 itself
        yield from chunks()
        return
    try:
        if source.seekable():
            source.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = source.read(min(CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


# -- Content sniffing ---------------------------------------------------------


def _is_clean_text(head: bytes) -> bool:
    """Whether the first bytes read as text (UTF-8 or UTF-16 with a byte order mark)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = head[: len(head) // 2 * 2].decode("utf-16", errors="strict")
        except UnicodeDecodeError:
            return False
    else:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            text = decoder.decode(head, final=False)  # the head may cut a letter
        except UnicodeDecodeError:
            return False
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)


def _describe(head: bytes, blob: _Blob | None = None):
    """What the content really is, in words, or None when unknown."""
    if head.startswith(b"PK\x03\x04") and blob is not None:
        try:
            with blob.open() as f, zipfile.ZipFile(f) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names:
                    return CONTENT_NAMES["xlsx"]
                if "word/document.xml" in names:
                    return CONTENT_NAMES["docx"]
                if "ppt/presentation.xml" in names:
                    return CONTENT_NAMES["pptx"]
                if "mimetype" in names:
                    mimetype = zf.read("mimetype")[:100].strip()
                    if mimetype == ODS_MIMETYPE:
                        return CONTENT_NAMES["ods"]
                    if mimetype.endswith(b".text"):
                        return CONTENT_NAMES["odt"]
        except Exception:  # noqa: S110 - only a description
            pass
    if head.startswith(CFB_MAGIC):
        kind = filetype.guess(head)
        if kind is not None and kind.extension in CONTENT_NAMES:
            return CONTENT_NAMES[kind.extension]
        return OLE_FILE
    kind = filetype.guess(head)
    if kind is not None:
        return CONTENT_NAMES.get(kind.extension) or _lazy_message(
            GENERIC_CONTENT, {"type": kind.extension.upper()}
        )
    if _is_clean_text(head):
        return PLAIN_TEXT
    return None


def _not_really(name: str, fmt: str, head: bytes, blob: _Blob | None = None):
    kind = KINDS[fmt]
    actual = _describe(head, blob)
    if actual is None:
        return _refuse("not_really", NOT_REALLY_UNKNOWN, name=name, kind=kind)
    return _refuse("not_really", NOT_REALLY, name=name, kind=kind, actual=actual)


# -- CSV ----------------------------------------------------------------------

# Text documents that are not tables, recognised by how they start. Any other
# format counts only when the file does not read as text: a CSV whose header
# happens to start with "MZ" or "FWS" is not a program or a Flash movie.
TEXT_DOCUMENTS = {"pdf", "rtf", "ps"}


def _csv_rows(blob: _Blob, head: bytes, name: str) -> Iterator[tuple[int, list]]:
    kind = filetype.guess(head)
    if head.startswith(CFB_MAGIC) or (
        kind is not None
        and (kind.extension in TEXT_DOCUMENTS or not _is_clean_text(head))
    ):
        raise _not_really(name, "csv", head, blob)
    text = _decode_csv(blob.read(), name)
    return _iter_csv(text, name)


def _decode_csv(data: bytes, name: str) -> str:
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")  # Excel's "Unicode text"
        elif b"\x00" in data:
            if _looks_like_utf16(data):
                raise _refuse("encoding", NOT_UTF8, name=name)
            raise _refuse("binary", BINARY_DATA, name=name)
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("encoding", NOT_UTF8, name=name) from None
    if "\x00" in text:
        raise _refuse("binary", BINARY_DATA, name=name)
    return text


def _looks_like_utf16(data: bytes) -> bool:
    """UTF-16 without a byte order mark: every other byte of Latin text is NUL."""
    sample = data[:512]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return False
    evens, odds = sample[0::2], sample[1::2]
    return (
        evens.count(0) == 0
        and odds.count(0) >= len(odds) * 0.9
        or (odds.count(0) == 0 and evens.count(0) >= len(evens) * 0.9)
    )


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    lines = []
    for line in io.StringIO(sample):
        if line.strip():
            lines.append(line)
        if len(lines) >= 20:
            break
    else:
        if len(text) > len(sample) and len(lines) > 1:
            lines.pop()  # cut in the middle
    if not lines:
        return ","
    first = lines[0]
    try:
        delimiter = csv.Sniffer().sniff("".join(lines), delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    if delimiter not in first:
        counts = {d: first.count(d) for d in ",;\t"}
        best = max(counts, key=counts.get)
        delimiter = best if counts[best] else ","
    return delimiter


def _iter_csv(text: str, name: str) -> Iterator[tuple[int, list]]:
    first_line_end = text.find("\n")
    first_line = text if first_line_end < 0 else text[:first_line_end]
    sep = re.fullmatch(r"\s*sep=(.)\s*", first_line)
    if sep:  # Excel's "sep=;" hint: Excel hides that line, so rows count after it
        delimiter = sep.group(1)
        text = text[first_line_end + 1 :] if first_line_end >= 0 else ""
    else:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            yield number, [cell.strip() for cell in row]
    except csv.Error:
        raise _refuse(
            "corrupt", CSV_UNREADABLE, name=name, row=f"{number + 1:,}"
        ) from None


# -- XLSX and ODS -------------------------------------------------------------


@dataclass
class _SheetFacts:
    """What the byte scan of the first sheet found, before calamine reads it."""

    merged: str | None = None  # first merged range ("" when it has no reference)
    formula: str | None = None  # first formula cell ("" when it has no reference)
    rows: int = 0  # the last row holding a value (1-based)
    columns: int = 0  # the last column holding a value (1-based)
    # Text that the sheet's own XML does not spell out cell by cell: shared
    # strings (XLSX) and repeated cells (ODS), counted once per cell using them.
    expanded_text: int = 0


def _workbook_rows(
    blob: _Blob, head: bytes, name: str, fmt: str
) -> tuple[Iterator[tuple[int, list]], str | None]:
    if head.startswith(CFB_MAGIC):
        # Encrypted OOXML is an OLE2 compound file with these two streams;
        # any other compound file under an .xlsx name is an old .xls.
        data = blob.read()
        encrypted = (
            "EncryptedPackage".encode("utf-16-le") in data
            and "EncryptionInfo".encode("utf-16-le") in data
        )
        if encrypted:
            raise _refuse("password", PASSWORD_XLSX, name=name)
        if fmt == "xlsx":
            raise _refuse("old_excel", OLD_EXCEL_RENAMED, name=name)
        raise _not_really(name, fmt, head, blob)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise _not_really(name, fmt, head, blob)

    opened = blob.open()
    try:
        try:
            zf = zipfile.ZipFile(opened)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise _refuse("corrupt", CORRUPT, name=name) from None
        with zf:
            _check_zip_sizes(zf, name)
            names = set(zf.namelist())
            if fmt == "xlsx":
                _check_xlsx_members(names, name, head, blob)
            else:
                _check_ods_members(zf, names, name, head, blob)
            try:
                if fmt == "xlsx":
                    sheet, shared = _xlsx_parts(zf, names)
                    lengths = _shared_string_lengths(zf, shared) if shared else []
                    facts = _scan_xlsx_sheet(zf, sheet, lengths)
                    scanned = {sheet, shared}
                else:
                    facts = _scan_ods_content(zf)
                    scanned = {"content.xml"}
                _drain_other_members(zf, skip=scanned)
            except SpreadsheetRefused:
                raise
            except Exception:  # any damage is the same to a registrar
                raise _refuse("corrupt", CORRUPT, name=name) from None
    finally:
        opened.close()
    _check_facts(facts, name)
    return _calamine_rows(blob, name, fmt)


def _check_facts(facts: _SheetFacts, name: str) -> None:
    max_cells = getattr(settings, "CAMPUSDESK_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS)
    if facts.rows * facts.columns > max_cells:
        # calamine holds the sheet as a full grid from A1 to the last value:
        # one value far out (XFD1048576) would take all the memory there is.
        raise _refuse(
            "too_large",
            SHEET_TOO_LARGE,
            name=name,
            cell=f"{_column_letter(facts.columns - 1)}{facts.rows}",
            rows=f"{facts.rows:,}",
            columns=f"{facts.columns:,}",
        )
    limit = getattr(
        settings, "CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES
    )
    if facts.expanded_text > limit:
        raise _refuse(
            "zip_bomb",
            ZIP_TOO_LARGE,
            name=name,
            size=f"{facts.expanded_text / MB:,.1f}",
            limit=_megabytes(limit),
        )
    if facts.merged is not None:
        if facts.merged:
            raise _refuse("merged_cells", MERGED, name=name, cells=facts.merged)
        raise _refuse("merged_cells", MERGED_SOMEWHERE, name=name)
    if facts.formula is not None:
        if facts.formula:
            raise _refuse("formulas", FORMULAS, name=name, cell=facts.formula)
        raise _refuse("formulas", FORMULAS_SOMEWHERE, name=name)


def _check_zip_sizes(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse a zip bomb from the zip's directory, before anything is decompressed."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _refuse(
            "zip_bomb", ZIP_TOO_MANY_PARTS, name=name, count=f"{len(infos):,}"
        )
    limit = getattr(
        settings, "CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES
    )
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise _refuse(
            "zip_bomb",
            ZIP_TOO_LARGE,
            name=name,
            size=f"{total / MB:,.1f}",
            limit=_megabytes(limit),
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > SUSPICIOUS_MEMBER_BYTES and ratio > SUSPICIOUS_RATIO:
            raise _refuse(
                "zip_bomb",
                ZIP_BOMB,
                name=name,
                ratio=f"{ratio:,.0f}",
                size=f"{info.file_size / MB:,.1f}",
            )


def _check_xlsx_members(names: set[str], name: str, head: bytes, blob: _Blob) -> None:
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_really(name, "xlsx", head, blob)
    if any(member.lower().endswith("vbaproject.bin") for member in names):
        raise _refuse("macros", MACROS_INSIDE, name=name)


def _check_ods_members(
    zf: zipfile.ZipFile, names: set[str], name: str, head: bytes, blob: _Blob
) -> None:
    try:
        mimetype = zf.read("mimetype").strip() if "mimetype" in names else b""
        manifest = (
            zf.read("META-INF/manifest.xml")
            if "META-INF/manifest.xml" in names
            else b""
        )
    except Exception:
        raise _refuse("corrupt", CORRUPT, name=name) from None
    if mimetype != ODS_MIMETYPE:
        raise _not_really(name, "ods", head, blob)
    if b"encryption-data" in manifest:
        raise _refuse("password", PASSWORD_ODS, name=name)
    if "content.xml" not in names:
        raise _refuse("corrupt", CORRUPT, name=name)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_parts(zf: zipfile.ZipFile, names: set[str]) -> tuple[str | None, str | None]:
    """The members of the first sheet (the one calamine reads) and of the shared strings."""
    sheet = shared = None
    try:
        workbook = SafeET.fromstring(zf.read("xl/workbook.xml"))
        rel_id = None
        for element in workbook.iter():
            if _local(element.tag) == "sheet":
                for key, value in element.attrib.items():
                    if "relationships" in key and _local(key) == "id":
                        rel_id = value
                break
        rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        for element in rels.iter():
            if _local(element.tag) != "Relationship":
                continue
            target = element.get("Target", "")
            if target.startswith("/"):
                member = target.lstrip("/")
            else:
                member = posixpath.normpath(posixpath.join("xl", target))
            if member not in names:
                continue
            if element.get("Id") == rel_id:
                sheet = member
            elif element.get("Type", "").endswith("/sharedStrings"):
                shared = member
    except Exception:  # noqa: S110 - fall back to the usual names
        pass
    if sheet is None and "xl/worksheets/sheet1.xml" in names:
        sheet = "xl/worksheets/sheet1.xml"
    if shared is None and "xl/sharedStrings.xml" in names:
        shared = "xl/sharedStrings.xml"
    return sheet, shared


def _tag_windows(zf: zipfile.ZipFile, member: str) -> Iterator[tuple[int, bytes]]:
    """A member's bytes in pieces cut after a ``>``, with each piece's offset.

    So no element's start tag is cut in two (attribute values holding a
    ``>`` aside). Reading through zipfile also checks the member's CRC and
    declared size.
    """
    carry = b""
    offset = 0
    with zf.open(member) as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            window = carry + chunk
            cut = window.rfind(b">") + 1
            if cut == 0:
                if len(window) < MAX_TAG_WINDOW:
                    carry = window
                    continue
                cut = len(window)  # no tag is this long: any cut will do
            yield offset, window[:cut]
            offset += cut
            carry = window[cut:]
    if carry:
        yield offset, carry


def _shared_string_lengths(zf: zipfile.ZipFile, member: str) -> list[int]:
    """Byte length of each shared string (an upper bound of its text)."""
    ends = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?si>")
    lengths: list[int] = []
    previous = 0
    for offset, window in _tag_windows(zf, member):
        for found in ends.finditer(window):
            end = offset + found.end()
            lengths.append(end - previous)
            previous = end
    return lengths


XLSX_ROOT = re.compile(
    rb"<(?:([A-Za-z_][\w.-]*):)?(?:worksheet|chartsheet|dialogsheet)[\s>]"
)
# LibreOffice saves Boolean cells as the formulas TRUE() and FALSE().
CONSTANT_FORMULA = re.compile(
    rb"\s*(?:[a-z]+:)?=?\s*(?:TRUE|FALSE)\(\)\s*", re.IGNORECASE
)
ODS_FORMULA = re.compile(rb"formula=(?:\"([^\"]*)\"|'([^']*)')")
CELL_REF = re.compile(rb"\br=[\"']([A-Z]+[0-9]+)[\"']")
MERGE_REF = re.compile(rb"\bref=[\"']([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)[\"']")


def _column_number(letters: bytes) -> int:
    """b"A" -> 1, b"Z" -> 26, b"AA" -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_xlsx_sheet(
    zf: zipfile.ZipFile, member: str | None, shared_lengths: list[int]
) -> _SheetFacts:
    facts = _SheetFacts()
    if member is None:
        return facts
    patterns = None
    previous = b""
    cells = refs = 0
    shared_uses: Counter[bytes] = Counter()
    for _offset, window in _tag_windows(zf, member):
        if patterns is None:
            root = XLSX_ROOT.search(window)
            prefix = re.escape(root.group(1) + b":") if root and root.group(1) else b""
            patterns = (
                re.compile(b"<" + prefix + rb"f(?:\s[^>]*?)?(/)?>([^<]*)"),
                re.compile(b"<" + prefix + rb"mergeCell[\s/>][^>]*"),
                re.compile(b"<" + prefix + rb"c[\s>]"),
                re.compile(b"<" + prefix + rb"c[\s/>]"),
                re.compile(b"<" + prefix + rb"c\s[^>]*?\br=[\"']([A-Z]+)([0-9]+)"),
                re.compile(b"<" + prefix + rb"c r=\"([A-Z]+)([0-9]+)\""),
                re.compile(rb"\bt=[\"']s[\"'][^>]*>\s*<" + prefix + rb"v>\s*([0-9]+)"),
            )
        (
            formula_re,
            merge_re,
            cell_start,
            cell_tag,
            ref_re,
            usual_ref_re,
            shared_re,
        ) = patterns
        if facts.formula is None:
            found = next(
                (
                    match
                    for match in formula_re.finditer(window)
                    if match.group(1) or not CONSTANT_FORMULA.fullmatch(match.group(2))
                ),
                None,
            )
            if found:
                facts.formula = ""
                context = previous + window[: found.start()]
                starts = list(
                    cell_start.finditer(context, max(0, len(context) - OVERLAP))
                )
                if starts:
                    tag_end = context.find(b">", starts[-1].start())
                    ref = CELL_REF.search(context, starts[-1].start(), tag_end + 1)
                    if ref:
                        facts.formula = ref.group(1).decode("ascii")
        if facts.merged is None:
            found = merge_re.search(window)
            if found:
                ref = MERGE_REF.search(found.group(0))
                facts.merged = ref.group(1).decode("ascii") if ref else ""
        window_cells = len(cell_tag.findall(window))
        cells += window_cells
        found_refs = usual_ref_re.findall(window)  # r first, as everyone writes it
        if len(found_refs) < window_cells:
            found_refs = ref_re.findall(window)
        if found_refs:
            refs += len(found_refs)
            letters = {letters for letters, _number in found_refs}
            numbers = {number for _letters, number in found_refs}
            facts.columns = max(facts.columns, *map(_column_number, letters))
            facts.rows = max(facts.rows, *map(int, numbers))
        shared_uses.update(shared_re.findall(window))
        previous = window[-OVERLAP:]
    if cells > refs:  # cells without their reference: place them as calamine does
        facts.rows, facts.columns = _xlsx_extent_by_parsing(zf, member)
    count = len(shared_lengths)
    facts.expanded_text = sum(
        shared_lengths[int(index)] * uses
        for index, uses in shared_uses.items()
        if int(index) < count
    )
    return facts


def _xlsx_extent_by_parsing(zf: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Last row and column of a sheet whose cells lack ``r`` (rare, slower)."""
    last_row = last_column = 0
    row = column = 0
    with zf.open(member) as f:
        for event, element in SafeET.iterparse(f, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start" and tag == "row":
                number = element.get("r")
                row = int(number) if number and number.isdigit() else row + 1
                column = 0
            elif event == "start" and tag == "c":
                ref = element.get("r")
                found = re.fullmatch(r"([A-Z]+)([0-9]+)", ref or "")
                if found:
                    column = _column_number(found.group(1).encode())
                    row = max(row, int(found.group(2)))
                else:
                    column += 1
                last_row = max(last_row, row)
                last_column = max(last_column, column)
            elif event == "end" and tag == "row":
                element.clear()
    return last_row, last_column


ODS_TABLE_PREFIX = re.compile(
    rb"xmlns:([A-Za-z_][\w.-]*)=[\"']" + re.escape(ODF_TABLE_NS.encode()) + rb"[\"']"
)


def _ods_attribute(attributes: bytes, prefix: bytes, name: bytes) -> int:
    found = re.search(prefix + b":" + name + rb"=[\"'](\d+)", attributes)
    return int(found.group(1)) if found else 1


def _constant_ods_formula(attributes: bytes) -> bool:
    found = ODS_FORMULA.search(attributes)
    formula = (found.group(1) or found.group(2) or b"") if found else b""
    return bool(CONSTANT_FORMULA.fullmatch(formula))


def _scan_ods_content(zf: zipfile.ZipFile) -> _SheetFacts:
    """Walk the first table's rows and cells (repeats included) in content.xml."""
    facts = _SheetFacts()
    tag_re = start_re = None
    prefix = b"table"
    inside = False
    row_index = 0  # rows above the current one, repeats included
    row_repeat = 1
    row_start = 0
    row_width = 0  # columns up to the row's last value
    row_extra = 0  # bytes that the row's repeated cells add
    column = 0
    open_cell = None  # (offset of the cell's start tag, its repeat)
    nested = 0
    for offset, window in _tag_windows(zf, "content.xml"):
        if tag_re is None:
            found = ODS_TABLE_PREFIX.search(window)
            prefix = re.escape(found.group(1)) if found else b"table"
            start_re = re.compile(b"<" + prefix + rb":table[\s>]")
            tag_re = re.compile(
                rb"<(/?)"
                + prefix
                + rb":(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>"
            )
            formula_marker = prefix + b":formula="
        position = 0
        if not inside:
            start = start_re.search(window)
            if not start:
                continue
            inside = True
            position = start.end()
        for found in tag_re.finditer(window, position):
            closing, tag, attributes = found.groups()
            if tag == b"table":
                if not closing:
                    nested += 1  # a table inside a cell: its rows are not ours
                elif nested:
                    nested -= 1
                else:
                    return facts
                continue
            if nested:
                continue
            if tag == b"table-row":
                if closing:
                    if row_width:
                        facts.rows = row_index + row_repeat
                        facts.columns = max(facts.columns, row_width)
                        row_bytes = offset + found.end() - row_start
                        facts.expanded_text += row_extra * row_repeat + row_bytes * (
                            row_repeat - 1
                        )
                    row_index += row_repeat
                    continue
                row_repeat = 1
                if b"repeated" in attributes:
                    row_repeat = _ods_attribute(
                        attributes, prefix, b"number-rows-repeated"
                    )
                if attributes.endswith(b"/"):  # an empty row
                    row_index += row_repeat
                    continue
                row_start = offset + found.start()
                column = row_width = row_extra = 0
                continue
            if closing:
                if open_cell is not None:
                    cell_start, repeat = open_cell
                    row_extra += (offset + found.end() - cell_start) * (repeat - 1)
                    open_cell = None
                continue
            repeat = 1
            if b"repeated" in attributes:
                repeat = _ods_attribute(attributes, prefix, b"number-columns-repeated")
            self_closing = attributes.endswith(b"/")
            if not self_closing or b"value-type" in attributes:
                row_width = column + repeat
                if self_closing:
                    row_extra += (found.end() - found.start()) * (repeat - 1)
                elif repeat > 1:
                    open_cell = (offset + found.start(), repeat)
                if (
                    facts.formula is None
                    and formula_marker in attributes
                    and not _constant_ods_formula(attributes)
                ):
                    facts.formula = f"{_column_letter(column)}{row_index + 1}"
            if (
                facts.merged is None
                and b"spanned" in attributes
                and tag == b"table-cell"
            ):
                columns = _ods_attribute(attributes, prefix, b"number-columns-spanned")
                rows = _ods_attribute(attributes, prefix, b"number-rows-spanned")
                if columns > 1 or rows > 1:
                    facts.merged = (
                        f"{_column_letter(column)}{row_index + 1}:"
                        f"{_column_letter(column + columns - 1)}{row_index + rows}"
                    )
            column += repeat
    return facts


def _drain_other_members(zf: zipfile.ZipFile, *, skip: set[str | None]) -> None:
    """Decompress every other member once, so a lying size or CRC is caught here."""
    for info in zf.infolist():
        if info.filename in skip or info.is_dir():
            continue
        with zf.open(info) as f:
            while f.read(CHUNK):
                pass


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _calamine_rows(
    blob: _Blob, name: str, fmt: str
) -> tuple[Iterator[tuple[int, list]], str | None]:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        if blob.path is not None:
            workbook = CalamineWorkbook.from_path(blob.path)
        else:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(blob.data or b""))
        sheet_names = workbook.sheet_names
        if not sheet_names:
            raise _refuse("empty", NO_ROWS, name=name)
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except SpreadsheetRefused:
        raise
    except PasswordError:
        raise _refuse(
            "password", PASSWORD_XLSX if fmt == "xlsx" else PASSWORD_ODS, name=name
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # calamine errors and Rust panics alike
        raise _refuse("corrupt", CORRUPT, name=name) from None
    return _clean_calamine_rows(values), sheet_names[0]


def _clean_calamine_rows(values: list[list]) -> Iterator[tuple[int, list]]:
    """Strip text, make whole numbers int; blank cells are already ""."""
    text, number = str, float
    for row_number, raw in enumerate(values, start=1):
        yield (
            row_number,
            [
                value.strip()
                if value.__class__ is text
                else (
                    int(value)
                    if value.__class__ is number and value.is_integer()
                    else ("" if value is None else value)
                )
                for value in raw
            ],
        )


# -- The table ----------------------------------------------------------------


def _is_blank(cells: list) -> bool:
    return cells.count("") == len(cells)


def _header_text(value) -> str:
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _build_table(
    rows: Iterable[tuple[int, list]],
    *,
    fmt: str,
    name: str,
    max_rows: int,
    sheet_name: str | None,
) -> Table:
    iterator = iter(rows)
    header: list | None = None
    data: list[tuple[int, list]] = []
    width = 0
    for number, cells in iterator:
        if _is_blank(cells):
            continue
        last = len(cells)
        while cells[last - 1] == "":
            last -= 1
        if last > width:
            width = last
        if header is None:
            header = cells
            continue
        data.append((number, cells))
        if len(data) > max_rows:
            # Stop reading the rows: only count the rest for the message.
            count = len(data) + sum(1 for _n, rest in iterator if not _is_blank(rest))
            raise _refuse(
                "too_many_rows",
                TOO_MANY_ROWS,
                name=name,
                count=f"{count:,}",
                limit=f"{max_rows:,}",
            )
    if header is None:
        raise _refuse("empty", NO_ROWS, name=name)
    if not data:
        raise _refuse("empty", NO_DATA_ROWS, name=name)

    headers = [_header_text(value) for value in _fit(header, width)]
    _check_duplicate_headers(headers, name)
    for position, (number, cells) in enumerate(data):
        if len(cells) != width:
            data[position] = (number, _fit(cells, width))
    return Table(format=fmt, headers=headers, rows=data, sheet_name=sheet_name)


def _fit(cells: list, width: int) -> list:
    if len(cells) > width:
        return cells[:width]
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    return cells


def _check_duplicate_headers(headers: list[str], name: str) -> None:
    seen: dict[str, int] = {}
    for index, text in enumerate(headers):
        key = " ".join(text.casefold().split())
        if not key:
            continue
        if key in seen:
            raise _refuse(
                "duplicate_header",
                DUPLICATE_HEADER,
                name=name,
                column=headers[seen[key]],
                first=_column_letter(seen[key]),
                second=_column_letter(index),
            )
        seen[key] = index
