"""Spreadsheet writers: types kept, formulas escaped, files that open, streamed downloads.

Every file is written for real (in tmp_path or a temporary file) and read back:
XLSX and ODS with python-calamine (also openpyxl, odfpy/tablib where they tell
more), CSV with the csv module.
"""

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime, time
from decimal import Decimal

import openpyxl
import pytest
import tablib
from defusedxml import ElementTree
from django.db import models
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from python_calamine import CalamineWorkbook

from records.spreadsheets import writers
from records.spreadsheets.writers import (
    FORMATS,
    escape_formula,
    export_response,
    unescape_formula,
    write_csv,
    write_ods,
    write_xlsx,
)

DHAKA = "Asia/Dhaka"  # UTC+6, no daylight saving

HEADERS = [
    "Phone",
    "নাম",
    "Roll",
    "Fee",
    "Born",
    "Admitted",
    "Local",
    "Class at",
    "Active",
    "Left",
    "Note",
]
ROW = [
    "01712345678",  # digits as text: the leading zero stays
    "মোহাম্মদ রহিম",
    42,
    Decimal("1234.50"),
    date(2005, 3, 9),
    datetime(2024, 5, 1, 8, 30, tzinfo=UTC),  # aware: 14:30 in Dhaka
    datetime(2024, 5, 2, 9, 5),  # naive: written as it is
    time(9, 15),
    True,
    False,
    None,
]
INJECTIONS = ["=1+1", "+8801712345678", "-5", "@SUM(A1)", "\tx", "\r=1"]

SPREADSHEETS = {"xlsx": write_xlsx, "ods": write_ods}


@pytest.fixture(autouse=True)
def _response_close_without_database():
    """``response.close()`` sends request_finished, whose handler touches the
    database connections; these tests have no database."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def dhaka():
    with timezone.override(DHAKA), translation.override("en"):
        yield


def read_sheet(source) -> list[list]:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    book = (
        CalamineWorkbook.from_filelike(source)
        if hasattr(source, "read")
        else CalamineWorkbook.from_path(str(source))
    )
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def write_file(fmt, tmp_path, rows, headers=HEADERS, **kwargs):
    path = tmp_path / f"out.{fmt}"
    if fmt == "csv":
        with path.open("wb") as out:
            count = write_csv(headers, rows, out)
    else:
        count = SPREADSHEETS[fmt](headers, rows, str(path), **kwargs)
    return path, count


# --- escape_formula -----------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS)
def test_escape_formula_prefixes_an_apostrophe_and_unescape_undoes_it(text):
    assert escape_formula(text) == "'" + text
    assert unescape_formula(escape_formula(text)) == text


@pytest.mark.parametrize(
    "value", ["", "Rahim", "01712345678", "a=b", "'quoted", " =1", -5, 1.5, None]
)
def test_escape_formula_leaves_other_values_alone(value):
    assert escape_formula(value) == value
    assert unescape_formula(value) == value


# --- types ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_spreadsheet_keeps_the_types(fmt, tmp_path):
    path, count = write_file(fmt, tmp_path, [ROW, ROW])

    assert count == 2
    header, first, second = read_sheet(path)
    assert header == HEADERS
    assert first == second
    phone, name, roll, fee, born, admitted, local, class_at, yes, no, note = first
    assert phone == "01712345678"
    assert name == "মোহাম্মদ রহিম"
    assert roll == 42 and isinstance(roll, int | float)
    assert fee == 1234.5 and isinstance(fee, float)
    assert born == date(2005, 3, 9) and not isinstance(born, datetime)
    assert admitted == datetime(2024, 5, 1, 14, 30)
    assert local == datetime(2024, 5, 2, 9, 5)
    assert class_at == time(9, 15)
    assert (yes, no) == ("Yes", "No")
    assert note == ""


def test_csv_keeps_the_values_as_iso_text(tmp_path):
    path, count = write_file("csv", tmp_path, [ROW])

    assert count == 1
    assert read_csv(path.read_bytes()) == [
        HEADERS,
        [
            "01712345678",
            "মোহাম্মদ রহিম",
            "42",
            "1234.50",
            "2005-03-09",
            "2024-05-01 14:30:00",
            "2024-05-02 09:05:00",
            "09:15:00",
            "Yes",
            "No",
            "",
        ],
    ]


def test_xlsx_cells_have_date_formats_and_no_number_strings(tmp_path):
    path, _ = write_file("xlsx", tmp_path, [ROW])

    sheet = openpyxl.load_workbook(path).active
    cells = {
        header: sheet.cell(row=2, column=col) for col, header in enumerate(HEADERS, 1)
    }
    assert cells["Phone"].data_type == "s"  # a string, not the number 1712345678
    assert cells["Roll"].data_type == "n"
    assert cells["Born"].number_format == "yyyy-mm-dd"
    assert cells["Admitted"].number_format == "yyyy-mm-dd hh:mm"
    assert cells["Class at"].number_format == "hh:mm"
    assert cells["Note"].value is None


def test_ods_cells_carry_value_types_and_date_styles(tmp_path):
    path, _ = write_file("ods", tmp_path, [ROW])

    with zipfile.ZipFile(path) as archive:
        content = ElementTree.fromstring(archive.read("content.xml"))
    ns = {
        "office": writers.NS["office"],
        "table": writers.NS["table"],
        "number": writers.NS["number"],
        "style": writers.NS["style"],
    }
    rows = content.findall(".//table:table-row", ns)
    cells = rows[1].findall("table:table-cell", ns)
    attr = {
        name: f"{{{ns['office']}}}{name}"
        for name in ("value-type", "value", "date-value", "time-value")
    }
    types = [cell.get(attr["value-type"]) for cell in cells]
    assert types == ["string", "string", "float", "float", "date", "date", "date"] + [
        "time",
        "string",
        "string",
        None,
    ]
    assert cells[3].get(attr["value"]) == "1234.50"
    assert cells[4].get(attr["date-value"]) == "2005-03-09"
    assert cells[5].get(attr["date-value"]) == "2024-05-01T14:30:00"
    assert cells[7].get(attr["time-value"]) == "PT09H15M00S"
    # The date cells use a style whose data style is a number:date-style.
    date_style = cells[4].get(f"{{{ns['table']}}}style-name")
    style = content.find(f".//style:style[@style:name='{date_style}']", ns)
    data_style = style.get(f"{{{ns['style']}}}data-style-name")
    assert (
        content.find(f".//number:date-style[@style:name='{data_style}']", ns)
        is not None
    )


def test_ods_reads_back_with_odfpy_through_tablib(tmp_path):
    path, _ = write_file("ods", tmp_path, [ROW])

    data = tablib.Dataset().load(path.read_bytes(), format="ods")

    assert data.headers == HEADERS
    assert data[0][:9] == (
        "01712345678",
        "মোহাম্মদ রহিম",
        42.0,
        1234.5,
        date(2005, 3, 9),
        datetime(2024, 5, 1, 14, 30),
        datetime(2024, 5, 2, 9, 5),
        time(9, 15),
        "Yes",
    )


@pytest.mark.parametrize("fmt", ["csv", *SPREADSHEETS])
def test_other_values_are_written_as_text(fmt, tmp_path):
    class Shift(models.TextChoices):
        DAY = "day", "Day shift"

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers = [gettext_lazy("Shift"), "Key", "Ratio", "Big"]
    path, _ = write_file(
        fmt, tmp_path, [[Shift.DAY, key, float("nan"), float("inf")]], headers=headers
    )

    data = read_csv(path.read_bytes()) if fmt == "csv" else read_sheet(path)
    assert data == [["Shift", "Key", "Ratio", "Big"], ["day", str(key), "nan", "inf"]]


@pytest.mark.parametrize("fmt", ["csv", *SPREADSHEETS])
def test_booleans_use_the_language_active_when_writing(fmt, tmp_path):
    with translation.override("bn"):
        yes, no = translation.gettext("Yes"), translation.gettext("No")
        path, _ = write_file(fmt, tmp_path, [[True, False]], headers=["a", "b"])
    assert yes != "Yes"  # the catalog has the Bangla words

    data = read_csv(path.read_bytes()) if fmt == "csv" else read_sheet(path)
    assert data[1] == [yes, no]


# --- formula injection ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", *SPREADSHEETS])
def test_formula_like_text_is_escaped_and_negative_numbers_stay_numbers(fmt, tmp_path):
    headers = ["=HEADER()", *[f"c{i}" for i in range(len(INJECTIONS) + 2)]]
    row = ["=cmd|' /C calc'!A0", *INJECTIONS, -5, Decimal("-2.5")]
    path, _ = write_file(fmt, tmp_path, [row], headers=headers)

    data = read_csv(path.read_bytes()) if fmt == "csv" else read_sheet(path)
    header, values = data
    assert header[0] == "'=HEADER()"
    texts, numbers = values[:-2], values[-2:]
    expected = ["'" + text for text in row[:-2]]
    if fmt == "ods":
        # ODS text is paragraphs: a CR is a line break; a tab is <text:tab/>,
        # which calamine (and LibreOffice 7.4 itself) read as nothing.
        expected = [text.replace("\r", "\n").replace("\t", "") for text in expected]
    assert texts == expected
    assert all(isinstance(text, str) and text.startswith("'") for text in texts)
    if fmt == "csv":
        assert numbers == ["-5", "-2.5"]
    else:
        assert numbers == [-5, -2.5]
        assert all(isinstance(number, int | float) for number in numbers)


def test_xlsx_never_writes_a_formula(tmp_path):
    path, _ = write_file("xlsx", tmp_path, [INJECTIONS], headers=INJECTIONS)

    sheet = openpyxl.load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert len(cells) == 2 * len(INJECTIONS)
    assert {cell.data_type for cell in cells} == {"s"}
    assert all(cell.value.startswith("'") for cell in cells)


# --- layout -------------------------------------------------------------------------


def test_xlsx_header_is_bold_and_frozen_with_widths(tmp_path):
    path, _ = write_file("xlsx", tmp_path, [ROW])

    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width >= len("01712345678")
    assert sheet.column_dimensions["B"].width >= len("মোহাম্মদ রহিম")


def test_ods_zip_layout_bold_header_and_frozen_row(tmp_path):
    path, _ = write_file("ods", tmp_path, [ROW])

    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert first.extra == b""
        assert archive.read("mimetype") == FORMATS["ods"]["content_type"].encode()
        assert path.read_bytes()[30:38] == b"mimetype"  # right after the header
        assert {"META-INF/manifest.xml", "styles.xml", "content.xml"} <= set(
            archive.namelist()
        )
        for name in archive.namelist():
            if name.endswith(".xml"):
                ElementTree.fromstring(archive.read(name))  # well-formed
        content = archive.read("content.xml").decode()
        settings = archive.read("settings.xml").decode()
    assert 'fo:font-weight="bold"' in content
    assert '<table:table-cell table:style-name="ce_header"' in content
    assert 'xmlns:ooo="http://openoffice.org/2004/office"' in settings
    assert "VerticalSplitMode" in settings
    assert '"VerticalSplitPosition" config:type="int">1<' in settings


def test_ods_keeps_spaces_line_breaks_and_xml_characters(tmp_path):
    texts = [
        "  two  spaces  ",
        " lead",
        "trail ",
        "line1\nline2\r\nline3",
        'a & <b> "c"',
    ]
    path, _ = write_file("ods", tmp_path, [[*texts, "bell\x07"]], headers=["h"] * 6)

    assert read_sheet(path)[1] == [*texts[:3], "line1\nline2\nline3", texts[4], "bell"]


def test_ods_writes_tabs_as_text_tab(tmp_path):
    path, _ = write_file("ods", tmp_path, [["\tx", "a\tb"]], headers=["h", "h"])

    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    assert "<text:p>'<text:tab/>x</text:p>" in content
    assert "<text:p>a<text:tab/>b</text:p>" in content


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_sheet_names_are_made_acceptable(fmt, tmp_path):
    path, _ = write_file(fmt, tmp_path, [ROW], sheet_name="Marks [2024/25] & more")
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [
        "Marks _2024_25_ & more"
    ]

    path, _ = write_file(fmt, tmp_path, [ROW], sheet_name="শিক্ষার্থী")
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["শিক্ষার্থী"]


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_spreadsheets_write_to_a_file_object_and_take_any_iterable(fmt):
    out = io.BytesIO()
    count = SPREADSHEETS[fmt](HEADERS, (list(ROW) for _ in range(250)), out)

    assert count == 250
    rows = read_sheet(out.getvalue())
    assert len(rows) == 251
    assert rows[-1][0] == "01712345678"


@pytest.mark.parametrize("fmt", ["csv", *SPREADSHEETS])
def test_no_rows_gives_just_the_header(fmt, tmp_path):
    path, count = write_file(fmt, tmp_path, [])

    assert count == 0
    data = read_csv(path.read_bytes()) if fmt == "csv" else read_sheet(path)
    assert data == [HEADERS]


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 4)

    write_file("xlsx", tmp_path, [ROW] * 3)
    with pytest.raises(ValueError, match="at most 3 rows"):
        write_file("xlsx", tmp_path, [ROW] * 4)


# --- export_response ------------------------------------------------------------------


def test_csv_export_streams_in_chunks_as_rows_are_consumed():
    consumed = []

    def rows():
        for number in range(5000):
            consumed.append(number)
            yield [number, "মোহাম্মদ রহিম", date(2024, 1, 1), "=1"]

    response = export_response(
        headers=["n", "নাম", "date", "f"],
        rows=rows(),
        fmt="csv",
        filename_stem="students",
    )

    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    assert consumed == []  # nothing is read before the response is sent
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="students-{today}.csv"'
    )
    chunks = list(response.streaming_content)
    assert len(chunks) > 2
    assert consumed == list(range(5000))
    data = read_csv(b"".join(chunks))
    assert data[0] == ["n", "নাম", "date", "f"]
    assert data[1] == ["0", "মোহাম্মদ রহিম", "2024-01-01", "'=1"]
    assert len(data) == 5001


def test_csv_export_keeps_the_language_and_time_zone_of_the_request():
    with translation.override("bn"), timezone.override("UTC"):
        yes = translation.gettext("Yes")
        header = translation.gettext("Yes")
        response = export_response(
            headers=[gettext_lazy("Yes"), "at"],
            rows=iter([[True, datetime(2024, 5, 1, 8, 30, tzinfo=UTC)]]),
            fmt="csv",
            filename_stem="x",
        )
    # Iterated later, with English and Dhaka active again.
    data = read_csv(b"".join(response.streaming_content))
    assert data == [[header, "at"], [yes, "2024-05-01 08:30:00"]]


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_spreadsheet_export_is_a_file_response_that_opens(fmt):
    response = export_response(
        headers=HEADERS, rows=iter([ROW] * 3), fmt=fmt, filename_stem="students"
    )

    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == FORMATS[fmt]["content_type"]
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="students-{today}.{fmt}"'
    )
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    rows = read_sheet(body)
    assert rows[0] == HEADERS
    assert rows[3][0] == "01712345678"
    assert rows[3][4] == date(2005, 3, 9)

    spool = response.file_to_stream
    assert not spool.closed
    response.close()
    assert spool.closed  # the temporary file goes with the response


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_export_filename_in_bangla_uses_rfc_5987(fmt):
    response = export_response(
        headers=["a"], rows=[[1]], fmt=fmt.upper(), filename_stem="শিক্ষার্থী/তালিকা"
    )

    today = timezone.localdate().isoformat()
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert disposition.endswith(f"-{today}.{fmt}")
    assert "%E0%A6%B6" in disposition  # শ, percent-encoded
    assert "/" not in disposition.split("''", 1)[1]
    response.close()


def test_export_rejects_an_unknown_format():
    with pytest.raises(ValueError, match="Unknown spreadsheet format 'pdf'"):
        export_response(headers=["a"], rows=[], fmt="pdf", filename_stem="x")


def test_export_writer_error_closes_the_temporary_file(monkeypatch):
    opened = []
    real = writers.tempfile.TemporaryFile

    def spy(*args, **kwargs):
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(writers.tempfile, "TemporaryFile", spy)

    def rows():
        yield ROW
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        export_response(headers=HEADERS, rows=rows(), fmt="xlsx", filename_stem="x")
    assert len(opened) == 1 and opened[0].closed
