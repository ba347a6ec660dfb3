"""The safe reader of registrar uploads: every refusal and the happy paths.

Every file here is real: XLSX from openpyxl, ODS from odfpy, CSV and the
binary impostors as bytes, the zip bomb streamed with zipfile, the encrypted
workbook from msoffcrypto-tool when it is installed (and a hand-built OLE2
compound file with the same streams otherwise).
"""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from records.spreadsheets.intake import SpreadsheetRefused, Table, read_table

MB = 1024 * 1024
BANGLA_NAME = "রহিম উদ্দিন"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>"
    b"\n%%EOF\n"
)


# -- Fixture builders ---------------------------------------------------------


def write_xlsx(path: Path, rows, *, title="Students", edit=None) -> Path:
    """An XLSX written by openpyxl (its text cells are inline strings)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if edit is not None:
        edit(sheet)
    workbook.save(path)
    return path


def write_ods(path: Path, rows, *, title="Students") -> Path:
    """An ODS written by odfpy.

    A cell is a value, or a dict of TableCell attributes (with an optional
    "text" for the displayed text), or None for an empty cell.
    """
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, TableCell, TableRow
    from odf.table import Table as OdfTable
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = OdfTable(name=title)
    for row in rows:
        table_row = TableRow()
        for value in row:
            if value is None:
                table_row.addElement(TableCell())
                continue
            if value == "covered":
                table_row.addElement(CoveredTableCell())
                continue
            if isinstance(value, dict):
                attributes = dict(value)
                text = attributes.pop("text", None)
            elif isinstance(value, bool):
                attributes = {
                    "valuetype": "boolean",
                    "booleanvalue": str(value).lower(),
                }
                text = str(value).upper()
            elif isinstance(value, (int, float)):
                attributes = {"valuetype": "float", "value": str(value)}
                text = str(value)
            elif isinstance(value, datetime.date):
                attributes = {"valuetype": "date", "datevalue": value.isoformat()}
                text = value.strftime("%d/%m/%Y")
            else:
                attributes = {"valuetype": "string"}
                text = str(value)
            cell = TableCell(**attributes)
            if text is not None:
                cell.addElement(P(text=text))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_sheet_xml(tmp_path: Path, sheet_xml: str, *, add=None, name="students.xlsx"):
    """A real openpyxl workbook whose first sheet's XML is replaced."""
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    return rezip(
        plain,
        tmp_path / name,
        replace={"xl/worksheets/sheet1.xml": sheet_xml.encode()},
        add=add,
    )


def rezip(source: Path, target: Path, *, replace=None, add=None, drop=()) -> Path:
    """Copy a zip member by member, replacing, adding or dropping some."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, None)
            if data is None:
                data = old.read(info.filename)
            new.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        for member, data in (add or {}).items():
            new.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE2 compound file (CFB v3) holding the given streams.

    Each stream is padded with NULs to at least 4,096 bytes so that it lives in
    regular sectors (no mini stream); an encrypted Office file is such a
    container with the streams EncryptionInfo and EncryptedPackage.
    """
    sector = 512
    free, end_of_chain, fat_sector, no_stream = (
        0xFFFFFFFF,
        0xFFFFFFFE,
        0xFFFFFFFD,
        0xFFFFFFFF,
    )
    names = list(streams)
    payloads = [
        data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0")
        for data in streams.values()
    ]
    fat = [fat_sector, end_of_chain]  # sector 0: the FAT; sector 1: the directory
    starts = []
    for payload in payloads:
        count = len(payload) // sector
        first = len(fat)
        starts.append(first)
        fat.extend(range(first + 1, first + count))
        fat.append(end_of_chain)
    assert len(fat) <= sector // 4 and len(names) <= 3
    fat_bytes = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))

    def entry(
        name, kind, start, size, left=no_stream, right=no_stream, child=no_stream
    ):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(encoded), kind, 1, left, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    # Siblings sorted by name length, then name: a chain of right siblings.
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    entries = [entry("Root Entry", 5, end_of_chain, 0, child=order[0] + 1)]
    for index, name in enumerate(names):
        position = order.index(index)
        right = order[position + 1] + 1 if position + 1 < len(order) else no_stream
        entries.append(entry(name, 2, starts[index], len(payloads[index]), right=right))
    while len(entries) < 4:
        entries.append(entry("", 0, 0, 0))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    assert len(header) == sector
    return header + fat_bytes + b"".join(entries) + b"".join(payloads)


def refused(source, filename, **kwargs) -> SpreadsheetRefused:
    with pytest.raises(SpreadsheetRefused) as caught:
        read_table(source, filename=filename, **kwargs)
    return caught.value


STUDENTS = [
    ["Name", "Roll", "Mobile"],
    ["Karim", 1, "01712345678"],
    ["Salma", 2, "01812345678"],
]


# -- Happy paths: CSV ---------------------------------------------------------


def test_csv_utf8_with_bom_keeps_bangla(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(
        f"Name,Roll, Mobile \n{BANGLA_NAME}, 7 ,01712345678\n".encode("utf-8-sig")
    )

    table = read_table(path, filename="students.csv")

    assert isinstance(table, Table)
    assert table.format == "csv"
    assert table.sheet_name is None
    assert table.headers == ["Name", "Roll", "Mobile"]  # no BOM in "Name"
    assert table.rows == [(2, [BANGLA_NAME, "7", "01712345678"])]


def test_csv_utf8_without_bom(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(f"Name,Roll\n{BANGLA_NAME},1\n".encode())

    table = read_table(path, filename="students.csv")

    assert table.rows == [(2, [BANGLA_NAME, "1"])]


def test_csv_utf16_tab_separated_as_excel_unicode_text(tmp_path):
    path = tmp_path / "students.csv"
    text = (
        f"Name\tRoll\tMobile\r\n{BANGLA_NAME}\t3\t01712345678\r\nSalma, Begum\t4\t\r\n"
    )
    path.write_bytes(text.encode("utf-16"))  # with a byte order mark, like Excel

    table = read_table(path, filename="students.csv")

    assert table.headers == ["Name", "Roll", "Mobile"]
    assert table.rows == [
        (2, [BANGLA_NAME, "3", "01712345678"]),
        (3, ["Salma, Begum", "4", ""]),
    ]


def test_csv_semicolon_separated(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b'Name;Roll;Fee\n"Rahim; Uddin";1;1,5\nKarim;2;2,0\n')

    table = read_table(path, filename="students.csv")

    assert table.headers == ["Name", "Roll", "Fee"]
    assert table.rows == [(2, ["Rahim; Uddin", "1", "1,5"]), (3, ["Karim", "2", "2,0"])]


def test_csv_excel_sep_hint_line_is_not_a_row(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"sep=;\nName;Roll\nKarim;1\n")

    table = read_table(path, filename="students.csv")

    assert table.headers == ["Name", "Roll"]
    assert table.rows == [(2, ["Karim", "1"])]


def test_csv_blank_rows_skipped_with_true_row_numbers(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"Name,Roll\nKarim,1\n\n , \nSalma,2\n,,\nNadia,3\n")

    table = read_table(path, filename="students.csv")

    assert [number for number, _cells in table.rows] == [2, 5, 7]
    assert table.rows[2] == (7, ["Nadia", "3"])


def test_csv_header_below_a_blank_line(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"\n,,\nName,Roll\nKarim,1\n")

    table = read_table(path, filename="students.csv")

    assert table.headers == ["Name", "Roll"]
    assert table.rows == [(4, ["Karim", "1"])]


def test_csv_ragged_rows_padded_and_trailing_blank_columns_dropped(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"Name,,Roll,,\nKarim\nSalma,x,2,,\n")

    table = read_table(path, filename="students.csv")

    assert table.headers == ["Name", "", "Roll"]
    assert table.rows == [(2, ["Karim", "", ""]), (3, ["Salma", "x", "2"])]


def test_sources_bytes_file_object_and_uploaded_files(tmp_path, settings):
    content = f"Name,Roll\n{BANGLA_NAME},1\n".encode()
    expected = [(2, [BANGLA_NAME, "1"])]

    assert read_table(content, filename="s.csv").rows == expected
    assert read_table(io.BytesIO(content), filename="s.csv").rows == expected
    uploaded = SimpleUploadedFile("s.csv", content, content_type="text/csv")
    uploaded.read(3)  # a form may have peeked at it already
    assert read_table(uploaded, filename=uploaded.name).rows == expected

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    temporary = TemporaryUploadedFile("s.csv", "text/csv", len(content), "utf-8")
    temporary.write(content)
    temporary.flush()
    try:
        assert read_table(temporary, filename="s.csv").rows == expected
    finally:
        temporary.close()


# -- Happy paths: XLSX and ODS ------------------------------------------------


def test_xlsx_values_keep_their_types(tmp_path):
    def edit(sheet):
        sheet["C2"].number_format = "@"  # the mobile column is text in Excel

    path = write_xlsx(
        tmp_path / "students.xlsx",
        [
            [
                "Name",
                "Roll",
                "Mobile",
                "Mobile number",
                "Born",
                "Fee",
                "Active",
                "",
                "",
            ],
            [
                f"  {BANGLA_NAME} ",
                3.0,
                "01712345678",
                1712345678,
                datetime.date(2008, 5, 17),
                1250.5,
                True,
                None,
                None,
            ],
            [
                "Karim",
                4,
                "01812345678",
                1812345678,
                datetime.datetime(2008, 1, 2, 9, 30),
                0,
                False,
            ],
        ],
        edit=edit,
    )

    table = read_table(path, filename="students.xlsx")

    assert table.format == "xlsx"
    assert table.sheet_name == "Students"
    assert table.headers == [
        "Name",
        "Roll",
        "Mobile",
        "Mobile number",
        "Born",
        "Fee",
        "Active",
    ]
    number, cells = table.rows[0]
    assert number == 2
    assert cells == [
        BANGLA_NAME,
        3,
        "01712345678",
        1712345678,
        datetime.date(2008, 5, 17),
        1250.5,
        True,
    ]
    assert type(cells[1]) is int and type(cells[3]) is int and type(cells[5]) is float
    assert type(cells[4]) is datetime.date
    assert table.rows[1] == (
        3,
        [
            "Karim",
            4,
            "01812345678",
            1812345678,
            datetime.datetime(2008, 1, 2, 9, 30),
            0,
            False,
        ],
    )


def test_xlsx_header_lower_down_and_blank_rows_skipped(tmp_path):
    def edit(sheet):
        sheet["B3"], sheet["C3"] = "Name", "Roll"
        sheet["B4"], sheet["C4"] = "Karim", 1
        sheet["B7"], sheet["C7"] = "Salma", 2

    path = write_xlsx(tmp_path / "students.xlsx", [], edit=edit)

    table = read_table(path, filename="students.xlsx")

    # Column A stays (blank), so column letters match what the registrar sees.
    assert table.headers == ["", "Name", "Roll"]
    assert table.rows == [(4, ["", "Karim", 1]), (7, ["", "Salma", 2])]


def test_ods_happy_path(tmp_path):
    path = write_ods(
        tmp_path / "students.ods",
        [
            ["Name", "Roll", "Mobile", "Born", "Fee"],
            [f" {BANGLA_NAME} ", 3, "01712345678", datetime.date(2008, 5, 17), 12.5],
            [None, None, None, None, None],
            ["Karim", 4, "01812345678", datetime.date(2009, 1, 2), 1712345678],
        ],
        title="Class 9",
    )

    table = read_table(path, filename="students.ods")

    assert table.format == "ods"
    assert table.sheet_name == "Class 9"
    assert table.headers == ["Name", "Roll", "Mobile", "Born", "Fee"]
    assert table.rows == [
        (2, [BANGLA_NAME, 3, "01712345678", datetime.date(2008, 5, 17), 12.5]),
        (4, ["Karim", 4, "01812345678", datetime.date(2009, 1, 2), 1712345678]),
    ]
    assert type(table.rows[1][1][4]) is int


# -- 1. Empty files -----------------------------------------------------------


def test_refuses_an_empty_file(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"")

    error = refused(path, "students.csv")

    assert error.code == "empty"
    assert str(error.message).startswith("students.csv is empty (0 bytes).")


def test_refuses_a_file_of_blank_rows(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"\n , ,\n\n")

    error = refused(path, "students.csv")

    assert str(error) == "students.csv has no rows: every row in it is blank."


def test_refuses_a_header_without_rows(tmp_path):
    csv_path = tmp_path / "students.csv"
    csv_path.write_bytes(b"Name,Roll\n,\n")
    xlsx_path = write_xlsx(tmp_path / "students.xlsx", [["Name", "Roll"]])

    for path in (csv_path, xlsx_path):
        error = refused(path, path.name)
        assert error.code == "empty"
        assert f"{path.name} has no rows below the header." in str(error)


# -- 2. Too big ---------------------------------------------------------------


def test_refuses_a_50_mb_csv_before_reading_it(tmp_path):
    path = tmp_path / "students.csv"
    with path.open("wb") as f:  # sparse: 50 MB on paper, nothing on disk
        f.truncate(50 * MB)

    error = refused(path, "students.csv")

    assert error.code == "too_big"
    assert str(error) == "students.csv is 50.0 MB; the limit is 20 MB."


class UnreadableUpload(io.RawIOBase):
    """An uploaded file that knows its size and must not be read."""

    def __init__(self, size):
        self.size = size

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the content was read")

    def chunks(self, *args):
        raise AssertionError("the content was read")


def test_too_big_upload_is_refused_by_its_size_alone(settings):
    settings.CAMPUSDESK_IMPORT_MAX_BYTES = 20 * MB

    error = refused(UnreadableUpload(int(52.4 * MB)), "students.xlsx")

    assert str(error) == "students.xlsx is 52.4 MB; the limit is 20 MB."


def test_too_big_stream_of_unknown_size_stops_at_the_limit():
    class Stream(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.served += len(buffer)
            buffer[:] = b"a" * len(buffer)
            return len(buffer)

    stream = Stream()

    error = refused(stream, "students.csv", max_bytes=2 * MB)

    assert str(error) == "students.csv is larger than 2 MB, the limit."
    assert stream.served <= 3 * MB


# -- 3. Too many rows ---------------------------------------------------------


def test_refuses_more_rows_than_the_limit(tmp_path):
    path = tmp_path / "students.csv"
    lines = ["Name,Roll"] + [f"S{n},{n}" for n in range(120_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    error = refused(path, "students.csv")

    assert error.code == "too_many_rows"
    assert str(error) == (
        "students.csv has 120,000 rows; the limit is 100,000. Split the file."
    )


def test_refuses_an_xlsx_over_a_small_row_limit(tmp_path, settings):
    settings.CAMPUSDESK_IMPORT_MAX_ROWS = 5
    path = write_xlsx(tmp_path / "marks.xlsx", [["Roll"]] + [[n] for n in range(8)])

    error = refused(path, "marks.xlsx")

    assert str(error) == "marks.xlsx has 8 rows; the limit is 5. Split the file."
    assert read_table(path, filename="marks.xlsx", max_rows=8).rows[-1] == (9, [7])


# -- 4. Wrong type ------------------------------------------------------------


def test_refuses_other_extensions(tmp_path):
    path = tmp_path / "students.txt"
    path.write_bytes(b"Name,Roll\nKarim,1\n")

    error = refused(path, "students.txt")

    assert error.code == "wrong_type"
    assert "students.txt" in str(error)
    assert "Upload a CSV, XLSX or ODS file" in str(error)


def test_refuses_old_excel_with_advice_to_save_as_xlsx(tmp_path):
    path = tmp_path / "students.xls"
    path.write_bytes(compound_file({"Workbook": b"\x09\x08" * 100}))

    error = refused(path, "students.xls")

    assert error.code == "old_excel"
    assert "students.xls is an old Excel 97-2003 workbook (.xls)" in str(error)
    assert "Excel Workbook (*.xlsx)" in str(error)


def test_refuses_macro_enabled_workbooks(tmp_path):
    xlsm = write_xlsx(tmp_path / "students.xlsm", STUDENTS)
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    renamed = rezip(
        plain, tmp_path / "students.xlsx", add={"xl/vbaProject.bin": b"\xd0\xcf" * 50}
    )

    first = refused(xlsm, "students.xlsm")
    second = refused(renamed, "students.xlsx")

    assert first.code == second.code == "macros"
    assert "students.xlsm is a macro-enabled workbook (.xlsm)" in str(first)
    assert "students.xlsx contains macros." in str(second)
    assert "not accepted" in str(second)


# -- 5. Renamed binaries ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (
            PNG,
            "students.xlsx",
            "students.xlsx is not really an XLSX file: its content is a PNG image.",
        ),
        (
            PDF,
            "students.csv",
            "students.csv is not really a CSV file: its content is a PDF document.",
        ),
        (
            PNG,
            "students.csv",
            "students.csv is not really a CSV file: its content is a PNG image.",
        ),
        (
            PNG,
            "students.ods",
            "students.ods is not really an ODS file: its content is a PNG image.",
        ),
        (
            b"Name,Roll\nKarim,1\n",
            "students.xlsx",
            "students.xlsx is not really an XLSX file: its content is plain text (perhaps a CSV file).",
        ),
    ],
)
def test_refuses_renamed_files_by_their_content(tmp_path, content, filename, expected):
    path = tmp_path / filename
    path.write_bytes(content)

    error = refused(path, filename)

    assert error.code == "not_really"
    assert str(error).startswith(expected)
    assert str(error).endswith("Upload a CSV, XLSX or ODS file.")


def test_refuses_a_workbook_renamed_to_csv_and_an_ods_renamed_to_xlsx(tmp_path):
    xlsx = write_xlsx(tmp_path / "real.xlsx", STUDENTS)
    ods = write_ods(tmp_path / "real.ods", STUDENTS)

    as_csv = refused(xlsx.read_bytes(), "students.csv")
    as_xlsx = refused(ods.read_bytes(), "students.xlsx")

    assert (
        "students.csv is not really a CSV file: its content is an Excel workbook (.xlsx)."
        in str(as_csv)
    )
    assert (
        "students.xlsx is not really an XLSX file: its content is an OpenDocument spreadsheet (.ods)."
        in str(as_xlsx)
    )


def test_refuses_a_word_document_renamed_to_xlsx(tmp_path):
    path = tmp_path / "students.xlsx"
    with zipfile.ZipFile(path, "w") as docx:
        docx.writestr("[Content_Types].xml", "<Types/>")
        docx.writestr("word/document.xml", "<document/>")

    error = refused(path, "students.xlsx")

    assert "its content is a Word document (.docx)" in str(error)


def test_csv_header_that_looks_like_a_magic_number_is_still_csv(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"MZ code,FWS,ID3\nK1,2,3\n")  # .exe, .swf and .mp3 magic

    table = read_table(path, filename="students.csv")

    assert table.headers == ["MZ code", "FWS", "ID3"]
    assert table.rows == [(2, ["K1", "2", "3"])]


def test_csv_with_nul_bytes_is_binary(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"Name,Roll\nKa\x00rim,1\n")

    error = refused(path, "students.csv")

    assert error.code == "binary"
    assert str(error).startswith("students.csv contains binary data")


def test_csv_not_in_utf8_is_refused_with_csv_utf8_advice(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes("Name,City\nJosé,Zürich\n".encode("cp1252"))

    error = refused(path, "students.csv")

    assert error.code == "encoding"
    assert "students.csv is not saved as UTF-8" in str(error)
    assert "CSV UTF-8" in str(error)


def test_csv_with_an_unclosed_quote_names_the_row(tmp_path):
    path = tmp_path / "students.csv"
    body = 'Name,Note\nKarim,ok\nSalma,"never closed\n' + "x" * 200_000 + "\n"
    path.write_text(body, encoding="utf-8")

    error = refused(path, "students.csv")

    assert error.code == "corrupt"
    assert "students.csv cannot be read from row 3 on" in str(error)


# -- 6. Password-protected ----------------------------------------------------


def test_refuses_an_xlsx_encrypted_by_msoffcrypto(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    path = tmp_path / "students.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        ooxml.OOXMLFile(source).encrypt("secret", target)
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

    error = refused(path, "students.xlsx")

    assert error.code == "password"
    assert str(error) == (
        "students.xlsx is protected with a password; remove the password in "
        "Excel and upload again."
    )


def test_refuses_a_hand_built_encrypted_container(tmp_path):
    path = tmp_path / "students.xlsx"
    path.write_bytes(
        compound_file(
            {
                "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00<encryption/>",
                "EncryptedPackage": b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"\x5a" * 64,
            }
        )
    )

    error = refused(path, "students.xlsx")

    assert error.code == "password"
    assert "remove the password in Excel" in str(error)


def test_an_old_xls_renamed_to_xlsx_is_called_an_old_workbook(tmp_path):
    path = tmp_path / "students.xlsx"
    path.write_bytes(compound_file({"Workbook": b"\x09\x08" * 100}))

    error = refused(path, "students.xlsx")

    assert error.code == "old_excel"
    assert "students.xlsx is really an old Excel 97-2003 workbook (.xls)" in str(error)


def test_refuses_a_password_protected_ods(tmp_path):
    plain = write_ods(tmp_path / "plain.ods", STUDENTS)
    with zipfile.ZipFile(plain) as zf:
        manifest = zf.read("META-INF/manifest.xml").replace(
            b'manifest:full-path="content.xml"',
            b'manifest:full-path="content.xml"><manifest:encryption-data '
            b'manifest:checksum-type="SHA1/1K" manifest:checksum="x"/></manifest:file-entry'
            b'><manifest:file-entry manifest:media-type="" manifest:full-path="x"',
        )
    path = rezip(
        plain, tmp_path / "students.ods", replace={"META-INF/manifest.xml": manifest}
    )

    error = refused(path, "students.ods")

    assert error.code == "password"
    assert "students.ods is protected with a password" in str(error)


# -- 7. Damaged files ---------------------------------------------------------


def test_refuses_a_truncated_xlsx(tmp_path):
    data = write_xlsx(tmp_path / "plain.xlsx", STUDENTS).read_bytes()
    path = tmp_path / "students.xlsx"
    path.write_bytes(data[: len(data) // 2])

    error = refused(path, "students.xlsx")

    assert error.code == "corrupt"
    assert str(error).startswith(
        "students.xlsx is damaged or incomplete and cannot be read."
    )


def test_refuses_a_truncated_ods(tmp_path):
    data = write_ods(tmp_path / "plain.ods", STUDENTS).read_bytes()

    error = refused(data[: len(data) * 2 // 3], "students.ods")

    assert error.code == "corrupt"
    assert "students.ods is damaged or incomplete" in str(error)


def test_refuses_an_xlsx_whose_sheet_calamine_cannot_parse(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    broken = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row>'
    path = rezip(
        plain, tmp_path / "students.xlsx", replace={"xl/worksheets/sheet1.xml": broken}
    )

    error = refused(path, "students.xlsx")

    assert error.code == "corrupt"
    assert "students.xlsx is damaged or incomplete" in str(error)


def test_refuses_a_member_whose_crc_does_not_match(tmp_path):
    data = bytearray(write_xlsx(tmp_path / "plain.xlsx", STUDENTS).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/styles.xml")
    # Flip a byte of the stored CRC in the central directory.
    position = bytes(data).rfind(b"xl/styles.xml") - 46 + 16
    data[position] ^= 0xFF
    assert (
        info.CRC
        != zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/styles.xml").CRC
    )

    error = refused(bytes(data), "students.xlsx")

    assert error.code == "corrupt"


# -- 8. Zip bombs -------------------------------------------------------------


def zip_with_zeros(plain: Path, target: Path, megabytes: int) -> Path:
    """A real workbook plus one member of zeros, streamed (small on disk)."""
    rezip(plain, target)
    zeros = b"\0" * MB
    with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/media/padding.bin", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)
    return target


def test_refuses_a_workbook_that_expands_past_the_limit(tmp_path, settings):
    settings.CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES = 5 * MB
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    path = zip_with_zeros(plain, tmp_path / "students.xlsx", 8)
    assert path.stat().st_size < 100_000

    error = refused(path, "students.xlsx")

    assert error.code == "zip_bomb"
    assert str(error).startswith(
        "students.xlsx would expand to 8.0 MB when opened; the limit is 5 MB."
    )


def test_refuses_an_absurdly_compressed_member(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    path = zip_with_zeros(plain, tmp_path / "students.xlsx", 20)

    error = refused(path, "students.xlsx")

    assert error.code == "zip_bomb"
    assert "students.xlsx contains a part that expands" in str(error)
    assert "(to 20.0 MB)" in str(error)


# -- 8b. Small files that would take all the memory -------------------------


def test_refuses_a_sheet_with_one_value_far_out(tmp_path):
    # calamine holds the sheet as a grid from A1 to its last value: this 5 KB
    # file would ask for 17 billion cells (and abort the whole process).
    def edit(sheet):
        sheet["XFD1048576"] = "far away"

    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, edit=edit)
    assert path.stat().st_size < 10_000

    error = refused(path, "students.xlsx")

    assert error.code == "too_large"
    assert str(error).startswith(
        "students.xlsx has a value as far out as cell XFD1048576, so its first "
        "sheet spans 1,048,576 rows by 16,384 columns, more than can be read."
    )


def test_cell_limit_follows_the_setting(tmp_path, settings):
    settings.CAMPUSDESK_IMPORT_MAX_CELLS = 100
    path = write_xlsx(
        tmp_path / "students.xlsx",
        STUDENTS,
        edit=lambda sheet: sheet.__setitem__("J20", "x"),
    )

    error = refused(path, "students.xlsx")

    assert "as far out as cell J20" in str(error)
    assert "20 rows by 10 columns" in str(error)


def test_refuses_shared_strings_that_expand_past_the_limit(tmp_path, settings):
    settings.CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES = 2 * MB
    long_text = "".join(chr(0x0995 + n % 30) for n in range(20_000))  # Bangla letters
    shared = (
        f'<sst xmlns="{SHEET_NS}" count="2" uniqueCount="2">'
        f"<si><t>Note</t></si><si><t>{long_text}</t></si></sst>"
    )
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{0 if n == 1 else 1}</v></c></row>'
        for n in range(1, 101)
    )
    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS)
    with zipfile.ZipFile(plain) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels").replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Target="sharedStrings.xml" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            b"</Relationships>",
        )
    path = rezip(
        plain,
        tmp_path / "notes.xlsx",
        replace={
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{SHEET_NS}"><sheetData>{rows}</sheetData></worksheet>'.encode(),
            "xl/_rels/workbook.xml.rels": rels,
        },
        add={"xl/sharedStrings.xml": shared.encode()},
    )
    assert path.stat().st_size < 100_000

    error = refused(path, "notes.xlsx")

    assert error.code == "zip_bomb"
    assert str(error).startswith(
        "notes.xlsx would expand to 5.7 MB when opened; the limit is 2 MB."
    )
    settings.CAMPUSDESK_IMPORT_MAX_UNZIPPED_BYTES = 20 * MB
    table = read_table(path, filename="notes.xlsx")
    assert table.headers == ["Note"] and table.rows[0] == (2, [long_text])


def test_refuses_an_ods_whose_repeated_cells_expand_to_millions(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdfTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = OdfTable(name="Students")
    header = TableRow()
    cell = TableCell(valuetype="string")
    cell.addElement(P(text="Roll"))
    header.addElement(cell)
    table.addElement(header)
    row = TableRow(numberrowsrepeated=1000)
    row.addElement(TableCell(valuetype="float", value="1", numbercolumnsrepeated=10000))
    table.addElement(row)
    document.spreadsheet.addElement(table)
    path = tmp_path / "students.ods"
    document.save(str(path))
    assert path.stat().st_size < 20_000

    error = refused(path, "students.ods")

    assert error.code == "too_large"
    assert "as far out as cell NTP1001" in str(error)
    assert "1,001 rows by 10,000 columns" in str(error)


def test_xlsx_cells_without_references_are_placed_like_calamine_does(tmp_path):
    path = with_sheet_xml(
        tmp_path,
        f'<worksheet xmlns="{SHEET_NS}"><sheetData>'
        '<row><c t="inlineStr"><is><t>Name</t></is></c><c t="inlineStr"><is><t>Roll</t></is></c></row>'
        '<row><c t="inlineStr"><is><t>Karim</t></is></c><c><v>1</v></c></row>'
        "<row><c/><c/><c><v>5</v></c></row>"
        "</sheetData></worksheet>",
    )

    table = read_table(path, filename="students.xlsx")

    assert table.headers == ["Name", "Roll", ""]
    assert table.rows == [(2, ["Karim", 1, ""]), (3, ["", "", 5])]


# -- 9. Merged cells ----------------------------------------------------------


def test_refuses_merged_cells_in_xlsx(tmp_path):
    path = write_xlsx(
        tmp_path / "students.xlsx",
        [["Students of class 9", None, None], *STUDENTS],
        edit=lambda sheet: sheet.merge_cells("A1:C1"),
    )

    error = refused(path, "students.xlsx")

    assert error.code == "merged_cells"
    assert str(error) == (
        "students.xlsx has merged cells (e.g. A1:C1). Unmerge them so every value "
        "sits in its own cell."
    )


def test_merged_cells_on_another_sheet_do_not_matter(tmp_path):
    def edit(sheet):
        notes = sheet.parent.create_sheet("Notes")
        notes["A1"] = "merged note"
        notes.merge_cells("A1:D1")

    plain = write_xlsx(tmp_path / "plain.xlsx", STUDENTS, edit=edit)
    # Store the first sheet ("Students") as sheet2.xml and "Notes" as
    # sheet1.xml, as Excel does after sheets are moved: only the workbook's
    # relationships tell which file is the first sheet.
    with zipfile.ZipFile(plain) as zf:
        first = zf.read("xl/worksheets/sheet1.xml")
        second = zf.read("xl/worksheets/sheet2.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    rels = (
        rels.replace(b"worksheets/sheet1.xml", b"worksheets/TMP")
        .replace(b"worksheets/sheet2.xml", b"worksheets/sheet1.xml")
        .replace(b"worksheets/TMP", b"worksheets/sheet2.xml")
    )
    path = rezip(
        plain,
        tmp_path / "students.xlsx",
        replace={
            "xl/worksheets/sheet1.xml": second,
            "xl/worksheets/sheet2.xml": first,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )

    table = read_table(path, filename="students.xlsx")

    assert table.sheet_name == "Students"
    assert table.rows[1] == (3, ["Salma", 2, "01812345678"])


def test_refuses_merged_cells_in_ods(tmp_path):
    path = write_ods(
        tmp_path / "students.ods",
        [
            STUDENTS[0],
            STUDENTS[1],
            [
                {"valuetype": "string", "text": "Absent", "numbercolumnsspanned": 2},
                "covered",
                "x",
            ],
        ],
    )

    error = refused(path, "students.ods")

    assert error.code == "merged_cells"
    assert str(error).startswith("students.ods has merged cells (e.g. A3:B3).")


# -- 10. Formulas -------------------------------------------------------------


def test_refuses_formulas_in_xlsx_naming_the_first_cell(tmp_path):
    rows = [["Name", "Roll", "Marks", "Double"]] + [
        [f"S{n}", n, n * 10, None] for n in range(1, 8)
    ]
    path = write_xlsx(
        tmp_path / "marks.xlsx",
        rows,
        edit=lambda sheet: sheet.__setitem__("D7", "=C7*2"),
    )

    error = refused(path, "marks.xlsx")

    assert error.code == "formulas"
    assert str(error) == (
        "marks.xlsx contains formulas (first in cell D7). Paste the values only "
        "(Paste special → Values) and upload again."
    )


def test_refuses_formulas_in_prefixed_sheet_xml(tmp_path):
    path = with_sheet_xml(
        tmp_path,
        f'<x:worksheet xmlns:x="{SHEET_NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Name</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>Double</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>K</x:t></x:is></x:c>'
        '<x:c r="B2"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>",
        name="marks.xlsx",
    )

    error = refused(path, "marks.xlsx")

    assert "marks.xlsx contains formulas (first in cell B2)." in str(error)


def test_libreoffice_true_and_false_are_values_not_formulas(tmp_path):
    # LibreOffice saves a Boolean cell as the formula TRUE() or FALSE().
    xlsx = with_sheet_xml(
        tmp_path,
        f'<worksheet xmlns="{SHEET_NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Active</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Karim</t></is></c>'
        '<c r="B2" t="b"><f aca="false">TRUE()</f><v>1</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>Salma</t></is></c>'
        '<c r="B3" t="b"><f aca="false">FALSE()</f><v>0</v></c></row>'
        "</sheetData></worksheet>",
    )
    ods = write_ods(
        tmp_path / "students.ods",
        [
            ["Name", "Active"],
            [
                "Karim",
                {
                    "formula": "of:=TRUE()",
                    "valuetype": "float",
                    "value": "1",
                    "text": "TRUE",
                },
            ],
        ],
    )

    assert read_table(xlsx, filename="students.xlsx").rows == [
        (2, ["Karim", True]),
        (3, ["Salma", False]),
    ]
    assert read_table(ods, filename="students.ods").rows == [(2, ["Karim", 1])]


def test_refuses_formulas_in_ods(tmp_path):
    path = write_ods(
        tmp_path / "marks.ods",
        [
            ["Name", "Marks", "Double"],
            ["Karim", 40, 80],
            [
                "Salma",
                45,
                {
                    "valuetype": "float",
                    "value": "90",
                    "formula": "of:=[.B3]*2",
                    "text": "90",
                },
            ],
        ],
    )

    error = refused(path, "marks.ods")

    assert error.code == "formulas"
    assert "marks.ods contains formulas (first in cell C3)." in str(error)


# -- 11. Duplicate headers ----------------------------------------------------


def test_refuses_a_duplicate_header(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(b"Name,Roll,Mobile,A,B,C,D,  mobile \nKarim,1,017,a,b,c,d,018\n")

    error = refused(path, "students.csv")

    assert error.code == "duplicate_header"
    assert str(error).startswith(
        "The column 'Mobile' appears twice (columns C and H) in students.csv."
    )


def test_blank_headers_are_not_duplicates(tmp_path):
    path = write_xlsx(
        tmp_path / "students.xlsx",
        [["Name", None, "Roll", None, "Note"], ["Karim", "x", 1, "y", "z"]],
    )

    table = read_table(path, filename="students.xlsx")

    assert table.headers == ["Name", "", "Roll", "", "Note"]


# -- Messages -----------------------------------------------------------------


def test_messages_are_lazy_and_survive_pickling():
    import pickle

    from django.utils import translation

    error = refused(b"", "students.csv")

    assert error.message.__class__.__name__ == "__proxy__"  # translated when shown
    with translation.override("en"):
        assert str(error.message).startswith("students.csv is empty")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert copy.code == "empty"
    assert str(copy) == str(error)
