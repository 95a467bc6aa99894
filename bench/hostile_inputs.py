"""Hostile uploads and backtracking texts against a running `duban serve`.

    python bench/hostile_inputs.py [--cases docx,xlsx,csv,spaces,...]

Starts `duban serve --no-scheduler` on 127.0.0.1 and a free port with a SQLite
database in a temporary directory and an admin user, then sends one case at a
time to `POST /api/v1/plans/import` (the holiday notice to the web page):

- docx: a .docx whose word/document.xml inflates to ~2 GB (a few MB on the wire);
- docx-lying: the same, its zip directory claiming 1 MB;
- docx-paragraphs: document.xml of 25 MB (under the part limit) of tiny paragraphs;
- xlsx: an .xlsx whose sheet inflates to ~1 GB;
- xlsx-cells: a sheet of 25 MB of rows;
- csv: a 分工表 CSV of a million rows, under the request size limit;
- spaces / spaces-500k: `一、` + 100k (500k) spaces + `x`, the pasted text that took 37 s;
- long-lines: 40 lines of `一、` + 19,000 spaces + `x` (within the line limit: the parser's own time);
- notice: the holiday notice page with `一、元旦：` + 1,400 spaces (15.6 s before), then 40,000.

While a case runs another thread sends `GET /api/v1/ping` every 50 ms. One JSON
line per case: status, answer time, the detail, the server's peak RSS during
the case (VmHWM, reset before each case through /proc/<pid>/clear_refs), the
ping latency (p50 and max), and how many plans the case created.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import DUBAN, free_port, start_server  # noqa: E402

PASSWORD = "bench-password-1"
MB = 1024 * 1024
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _stream_member(target: zipfile.ZipFile, name: str, head: bytes, filler: bytes, size: int, tail: bytes) -> None:
    """Write `name` as head + filler repeated to `size` bytes + tail, deflated as it goes."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo of its own would be stored
    with target.open(info, "w", force_zip64=True) as member:
        member.write(head)
        chunk = filler * (MB // len(filler))
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(tail)


def _rebuilt(package: bytes, name: str, head: bytes, filler: bytes, size: int, tail: bytes,
             declared: int | None = None) -> bytes:
    """`package` with member `name` replaced; `declared` is the size its directory entry claims."""
    source, out = zipfile.ZipFile(io.BytesIO(package)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == name:
                _stream_member(target, name, head, filler, size, tail)
            else:
                target.writestr(info.filename, source.read(info))
        if declared is not None:
            target.getinfo(name).file_size = declared  # the central directory is written on close
    return out.getvalue()


def docx_bomb(size: int = 2048 * MB, declared: int | None = None) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("一、重点任务")
    document.add_paragraph("1.建设平台。推进平台建设(市知识产权局牵头)")
    out = io.BytesIO()
    document.save(out)
    xml = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("word/document.xml")
    head, _, tail = xml.partition(b"<w:body>")
    paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    return _rebuilt(out.getvalue(), "word/document.xml", head + b"<w:body>", paragraph, size, tail, declared)


def xlsx_bomb(size: int = 1024 * MB) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["序号", "重点任务", "具体措施", "牵头单位"])
    out = io.BytesIO()
    book.save(out)
    sheet = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"</sheetData>")
    # Without its dimension a read-only openpyxl reads every row there is.
    head = re.sub(rb"<dimension [^>]*/>", b"", head)
    row = b'<row><c t="inlineStr"><is><t>1</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
    return _rebuilt(out.getvalue(), "xl/worksheets/sheet1.xml", head, row, size, b"</sheetData>" + tail)


def csv_bomb() -> bytes:
    return ("序号,重点任务,具体措施,牵头单位\n" + "1,任,措,局\n" * 1_000_000).encode()


def _upload(name: str, data: bytes) -> dict:
    return {"files": {"file": (name, data, "application/octet-stream")}}


CASES = {
    "docx": lambda: _upload("bomb.docx", docx_bomb()),
    "docx-lying": lambda: _upload("bomb.docx", docx_bomb(declared=MB)),
    "docx-paragraphs": lambda: _upload("bomb.docx", docx_bomb(25 * MB)),
    "xlsx": lambda: _upload("bomb.xlsx", xlsx_bomb()),
    "xlsx-cells": lambda: _upload("bomb.xlsx", xlsx_bomb(25 * MB)),
    "csv": lambda: _upload("bomb.csv", csv_bomb()),
    "spaces": lambda: {"json": {"text": "一、" + " " * 100_000 + "x\n"}},
    "spaces-500k": lambda: {"json": {"text": "一、" + " " * 500_000 + "x\n"}},
    "long-lines": lambda: {"json": {"text": ("一、" + " " * 19_000 + "x\n") * 40}},
    "notice": lambda: {"notice": "一、元旦：" + " " * 1_400 + "1月1日放假，共1天。"},
    "notice-40k": lambda: {"notice": "一、元旦：" + " " * 40_000 + "1月1日放假，共1天。"},
}


class Pinger(threading.Thread):
    """GET /api/v1/ping every 50 ms until stopped; the latencies in seconds."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.latencies, self.stopped = base, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as client:
            while not self.stopped.is_set():
                started = time.perf_counter()
                try:
                    client.get("/api/v1/ping")
                except httpx.HTTPError:
                    pass
                self.latencies.append(time.perf_counter() - started)
                self.stopped.wait(0.05)


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak resident set size


def _plans(client: httpx.Client, headers: dict) -> int:
    return len(client.get("/api/v1/plans", headers=headers).json())


def _send(client: httpx.Client, headers: dict, request: dict) -> httpx.Response:
    if "notice" in request:
        page = client.get("/holidays?year=2026")
        token = CSRF.findall(page.text)[-1]
        return client.post("/holidays/2026", data={"text": request["notice"], "csrf_token": token})
    return client.post("/api/v1/plans/import", headers=headers, **request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duban-hostile-") as directory:
        url = f"sqlite:///{Path(directory) / 'hostile.db'}"
        env = {**os.environ, "DUBAN_DATABASE_URL": url, "DUBAN_PASSWORD": PASSWORD}
        subprocess.run([DUBAN, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([DUBAN, "user", "create", "bench_admin", "--role", "admin", "--no-change-required"],
                       env=env, check=True, capture_output=True)
        port = free_port()
        server = start_server(env, port, Path(directory) / "serve.log")
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=600) as client:
                token = client.post("/api/v1/auth/token", json={"username": "bench_admin", "password": PASSWORD})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                login_page = client.get("/login")
                client.post("/login", data={"username": "bench_admin", "password": PASSWORD, "next": "/",
                                            "csrf_token": CSRF.findall(login_page.text)[-1]})
                for name in args.cases.split(","):
                    request = CASES[name]()
                    size = sum(len(f[1]) for f in request.get("files", {}).values())
                    plans = _plans(client, headers)
                    _reset_peak(server.pid)
                    pinger = Pinger(base)
                    pinger.start()
                    started = time.perf_counter()
                    response = _send(client, headers, request)
                    seconds = time.perf_counter() - started
                    pinger.stopped.set()
                    pinger.join()
                    pings = sorted(pinger.latencies)
                    detail = response.json().get("detail") if response.headers.get("content-type", "").startswith(
                        "application/json") else (re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.text)
                                                  or [None])[0]
                    print(json.dumps({
                        "case": name, "upload_mb": round(size / MB, 1), "status": response.status_code,
                        "seconds": round(seconds, 2), "detail": detail,
                        "peak_rss_mb": round(_peak_rss_mb(server.pid)), "plans_created": _plans(client, headers) - plans,
                        "pings": len(pings), "ping_p50_ms": round(pings[len(pings) // 2] * 1000, 1) if pings else None,
                        "ping_max_ms": round(pings[-1] * 1000, 1) if pings else None,
                    }, ensure_ascii=False), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
