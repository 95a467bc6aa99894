"""Upload bombs: what an import expands is bounded before it is read.

Each bomb is small (the limits are lowered through the settings) but would be
read whole by an importer without limits: a .docx whose document.xml inflates
past the member limit, an .xlsx with more cells than allowed, a CSV with more
rows, a text with a line of 100k spaces. Each is answered 413 within seconds
with a message naming the limit, and nothing is written.
"""

import io
import time
import zipfile

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.factories import NOW
from tests.web.conftest import WebClient

from .test_import_guards import _counts, _file

LIMITS = dict(
    import_zip_max_members=40,
    import_zip_member_max_bytes=512 * 1024,
    import_zip_max_bytes=2 * 1024 * 1024,
    import_max_chars=1_000_000,
    import_max_line_chars=20_000,
    import_max_rows=1_000,
    import_max_cells=5_000,
    import_max_measures=50,
)
PLAN_TEXT = "关于推进工作的实施方案\n一、重点任务\n1.建设平台。推进平台建设(市知识产权局牵头，市发展改革委配合)\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def limited_client(session_factory, database_url):
    app = create_app(Settings(database_url=database_url, **LIMITS), clock=FixedClock(NOW))
    with TestClient(app) as client:
        yield client


def _docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _replace_member(package: bytes, name: str, content: bytes, *, declared: int | None = None) -> bytes:
    """`package` with member `name` replaced; `declared` makes the directory lie about its size."""
    source, out = zipfile.ZipFile(io.BytesIO(package)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
        if declared is not None:
            target.getinfo(name).file_size = declared  # written into the central directory on close
    return out.getvalue()


def _inflating_docx() -> bytes:
    """A .docx whose document.xml is a valid plan padded to 4 MB of spaces (a few kB deflated)."""
    package = _docx(PLAN_TEXT.splitlines())
    xml = zipfile.ZipFile(io.BytesIO(package)).read("word/document.xml")
    head, _, tail = xml.partition(b"<w:body>")
    return _replace_member(package, "word/document.xml", head + b"<w:body>" + b" " * (4 * 1024 * 1024) + tail)


def _xlsx(rows: int, columns: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "重点任务", "具体措施", "牵头单位"] + [f"列{n}" for n in range(columns - 4)])
    for n in range(rows):
        sheet.append([n + 1, "建设平台", f"措施{n}", "市知识产权局"] + ["x"] * (columns - 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows: int) -> bytes:
    lines = ["序号,重点任务,具体措施,牵头单位"] + [f"{n},建设平台,措施{n},市知识产权局" for n in range(rows)]
    return "\n".join(lines).encode()


def _with_members(package: bytes, count: int) -> bytes:
    out = io.BytesIO(package)
    with zipfile.ZipFile(out, "a") as target:
        for n in range(count):
            target.writestr(f"customXml/extra{n}.xml", b"<x/>")
    return out.getvalue()


def _lying_docx() -> bytes:
    """The inflating document.xml, its size in the zip directory given as 1 kB."""
    package = _inflating_docx()
    xml = zipfile.ZipFile(io.BytesIO(package)).read("word/document.xml")
    return _replace_member(package, "word/document.xml", xml, declared=1024)


BOMBS = {
    "docx inflating past the member limit": (_file("plan.docx", _inflating_docx()), "解压后单个部件超过 0.5 MB"),
    "docx with too many paragraphs": (_file("plan.docx", _docx(["段落"] * 1_500)), "1000 个段落"),
    "docx with too many parts": (_file("plan.docx", _with_members(_docx(["x"]), 40)), "40 个的上限"),
    "xlsx with too many cells": (_file("plan.xlsx", _xlsx(600, 10), XLSX), "5000 个单元格"),
    "csv with too many rows": (_file("plan.csv", _csv(5_000)), "1000 行"),
    "text with a line of 100k spaces": ({"json": {"text": "一、" + " " * 100_000 + "x\n"}}, "第 1 行超过每行 20000 个字符"),
    "text with too many lines": ({"json": {"text": PLAN_TEXT + "\n" * 2_000}}, "1000 行"),
    "too many measures": (
        {"json": {"text": PLAN_TEXT + "2.建设平台。(市知识产权局牵头)\n" * 60}}, "超过 50 条的上限"
    ),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_bomb_is_refused_quickly_naming_the_limit(case, limited_client, world, session_factory):
    request, limit = BOMBS[case]
    before = _counts(session_factory)
    start = time.monotonic()
    response = limited_client.post("/api/v1/plans/import", headers=world.headers("city_admin"), **request)
    assert time.monotonic() - start < 5
    assert response.status_code == 413, response.text
    assert limit in response.json()["detail"]
    assert _counts(session_factory) == before


def test_a_zip_directory_that_understates_a_size_is_not_believed(limited_client, world, session_factory):
    before = _counts(session_factory)
    upload = _file("plan.docx", _lying_docx())
    response = limited_client.post("/api/v1/plans/import", headers=world.headers("city_admin"), **upload)
    # Inflating stops at the declared size, and the member's checksum then fails.
    assert response.status_code == 422, response.text
    assert "无法读取" in response.json()["detail"]
    assert _counts(session_factory) == before


def test_within_the_limits_a_plan_is_imported(limited_client, world):
    for request in (
        _file("plan.docx", _docx(PLAN_TEXT.splitlines())),
        _file("plan.xlsx", _xlsx(20, 4), XLSX),
        _file("plan.csv", _csv(20)),
        {"json": {"text": PLAN_TEXT}},
    ):
        response = limited_client.post(
            "/api/v1/plans/import", headers=world.headers("city_admin"), params={"allow_duplicate": "true"}, **request
        )
        assert response.status_code == 201, response.text


def test_the_web_page_names_the_limit(session_factory, database_url, world):
    app = create_app(Settings(database_url=database_url, secret_key="test-secret", **LIMITS), clock=FixedClock(NOW))
    client = WebClient(app).login("city_admin")
    before = _counts(session_factory)
    page = client.submit("/plans/import", files={"document": ("plan.csv", _csv(5_000))}, page="/plans/import")
    assert page.status_code == 413
    assert "1000 行" in page.text
    assert _counts(session_factory) == before
