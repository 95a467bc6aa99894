"""Dispatcher throughput against a bare httpx client.

    python bench/dispatch.py --n 10000 --concurrency 50 [--database-url URL]

    python bench/dispatch.py --n 10000 --concurrency 50 --items 20   # scan digests, rendered at send time

Starts a local HTTP receiver (its own process, answering 204 with keep-alive),
enqueues N webhook notifications, times Duban's dispatcher delivering them
(claims, sends, attempt records and all), then times a bare
httpx.AsyncClient sending the same N requests with the same concurrency.
With --items K each notification is a reminder digest of K items as the scan
queues it (template, context, items with their links' payloads): the dispatcher
renders its bodies and signs its links before sending and stores them with the
outcome; the bare client sends the same rendered event, prepared before its clock
starts. The last line is {"n", "items", "duban_per_s", "httpx_per_s", "ratio"}.
"""

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.config import Settings  # noqa: E402
from service.database import make_engine, make_session_factory, transaction  # noqa: E402
from service.delivery.dispatcher import DispatchOptions, dispatch_once, message_id  # noqa: E402
from service.delivery.models import Notification  # noqa: E402
from service.delivery.service import digest_bodies  # noqa: E402
from service.reminders.links import link_payload  # noqa: E402
from service.reminders.scan import digest_fields  # noqa: E402
from service.migrate import upgrade_database  # noqa: E402
from service.offices.models import Office  # noqa: E402

RESPONSE = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


class _Receiver(asyncio.Protocol):
    """Minimal HTTP/1.1 server: counts requests, answers 204. Fast enough
    that the client side, not the receiver, is what gets measured."""

    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            self.transport.write(RESPONSE)


def _serve(sock: socket.socket) -> None:
    async def main():
        server = await asyncio.get_running_loop().create_server(_Receiver, sock=sock)
        await server.serve_forever()

    asyncio.run(main())


def start_receiver() -> tuple[str, multiprocessing.Process]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    process = multiprocessing.Process(target=_serve, args=(sock,), daemon=True)
    process.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}/webhook/bench", process


def digest_item(i: int, k: int, now: datetime) -> dict:
    """A reminder item with the keys the scan gives one (service.reminders.scan._item)."""
    due = (now + timedelta(days=3 + k % 5)).date()
    return {
        "milestone_id": i * 100 + k, "kind": "reminder", "level": "blue", "level_name": "提醒",
        "colour_name": "蓝色", "step": "T-3", "report_by": None, "plan_title": "广州市知识产权强市建设实施方案",
        "department_name": f"第{i % 300}委办局", "measure_text": "加强知识产权保护，健全知识产权纠纷多元化解机制" * 2,
        "role_label": "牵头", "phase_name": "组织实施阶段", "due_date": due.isoformat(), "days_left": 3 + k % 5,
        "state": "pending", "unacknowledged": True, "link": None, "link_acts": True, "period_name": "本月",
        "link_payload": link_payload(i * 100 + k, due, 1, now, 1, acts=True),
    }


def notification_rows(n: int, items: int, url: str, now: datetime) -> list[dict]:
    """The outbox rows to send, without their office (enqueue_many gives it)."""
    base = {"channel_type": "webhook", "target": url, "mentions": [], "status": "pending",
            "attempts": 0, "next_attempt_at": now, "created_at": now}
    if not items:
        return [base | {"kind": "assignment", "subject": "【督办】新任务", "body_text": f"第{i}项任务已分派，请及时签收。",
                        "event": {"type": "assignment", "seq": i}} for i in range(n)]
    rows = []
    for i in range(n):
        listed = [digest_item(i, k, now) for k in range(items)]
        rows.append(base | {
            "kind": "reminder", "level": "blue", "subject": f"【蓝色提醒】{items}项督办事项待办理",
            "template": "reminder", "template_context": digest_fields(listed),
            # No "milestones" list: this database has none, and the dispatcher would cancel a
            # reminder whose milestones are all closed (one indexed query a batch).
            "event": {"type": "duban.reminder", "level": "blue", "level_name": "提醒", "items": listed},
        })
    return rows


def enqueue_many(session_factory, rows: list[dict]) -> None:
    with transaction(session_factory) as session:
        office = Office(name="基准测试办公室")
        session.add(office)
        session.flush()
        for start in range(0, len(rows), 5000):
            session.execute(insert(Notification), [row | {"office_id": office.id} for row in rows[start:start + 5000]])


async def bare_httpx(events: list[dict], concurrency: int, url: str) -> None:
    """The same requests (JSON event, webhook-id/-timestamp headers) with nothing else."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(events)):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        async def worker():
            while not queue.empty():
                i = queue.get_nowait()
                body = json.dumps({**events[i], "id": message_id(i)}, ensure_ascii=False).encode()
                response = await client.post(url, content=body, headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "webhook-id": message_id(i), "webhook-timestamp": str(int(time.time())),
                }, follow_redirects=False)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--items", type=int, default=0, help="items a digest (0: short pre-rendered notices)")
    args = parser.parse_args()
    now = datetime.now(timezone.utc)

    url, receiver = start_receiver()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade_database(database_url)
        engine = make_engine(database_url)
        session_factory = make_session_factory(engine)
        rows = notification_rows(args.n, args.items, url, now)
        enqueue_many(session_factory, rows)
        settings = Settings(database_url=database_url, secret_key="bench-secret-key", webhook_allowed_hosts=["127.0.0.1"])
        # What the bare client sends: each webhook's event as the dispatcher renders it.
        events = [digest_bodies(settings, SimpleNamespace(body_text=None, **row)).event
                  if args.items else row["event"] for row in rows]
        options = DispatchOptions(batch_size=args.batch_size, concurrency=args.concurrency)

        started = time.perf_counter()
        summary = dispatch_once(session_factory, settings, options=options, worker="bench")
        duban_seconds = time.perf_counter() - started
        engine.dispose()
        if summary["sent"] != args.n:
            raise SystemExit(f"dispatcher sent {summary['sent']} of {args.n}: {summary}")
        print(f"duban: {summary}", file=sys.stderr)

    started = time.perf_counter()
    asyncio.run(bare_httpx(events, args.concurrency, url))
    httpx_seconds = time.perf_counter() - started
    receiver.terminate()

    duban_per_s = args.n / duban_seconds
    httpx_per_s = args.n / httpx_seconds
    print(json.dumps({
        "n": args.n,
        "items": args.items,
        "duban_per_s": round(duban_per_s, 1),
        "httpx_per_s": round(httpx_per_s, 1),
        "ratio": round(duban_per_s / httpx_per_s, 3),
    }))


if __name__ == "__main__":
    main()
