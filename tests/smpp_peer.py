"""A real SMPP 3.4 server on loopback for tests and benchmarks: the `smpp34` package's SMSC, run in a thread.

It accepts binds, records every submit_sm it receives and answers submit_sm_resp (or a refusal it is told
to give). `messages()` joins concatenated parts by their UDH reference and decodes the text as a handset
would, so a test checks what a person's phone would show.
"""

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass

import smpp34
from smpplib.gsm import GSM_CHARACTER_TABLE

UDH_CONCAT = b"\x05\x00\x03"  # IEI 0: concatenated short message, 8-bit reference
UDHI = 0x40


@dataclass
class Submit:
    system_id: str
    source_addr: str
    destination_addr: str
    dest_addr_ton: int
    data_coding: int
    esm_class: int
    short_message: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmscPeer:
    """Down until started; start() and stop() may alternate, on the same port."""

    def __init__(self):
        self.port = free_port()
        self.binds: list[str] = []
        self.submits: list[Submit] = []
        self.refusals: list[int] = []  # command statuses to answer before accepting again
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None
        self._task: asyncio.Task | None = None
        self._sessions: dict[str, smpp34.Esme] = {}

    def start(self) -> None:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test SMSC did not start")

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = self._server = self._task = None

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._serve(ready))
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        """Unbind every session (as an SMSC going down for maintenance does), then stop listening."""
        self._task.cancel()
        for esme in self._sessions.values():
            with contextlib.suppress(smpp34.SmppError, TimeoutError):  # an idle client answers when it next reads
                await asyncio.wait_for(esme.unbind(), 0.2)
        await self._server.stop()

    async def _serve(self, ready: threading.Event) -> None:
        self._server = smpp34.Server(host="127.0.0.1", port=self.port, system_id="TESTSMSC")
        await self._server.start()
        ready.set()
        self._sessions = {}
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.Esme):
                self._sessions[event.session_id] = event
                self.binds.append(event.system_id)
            elif isinstance(event, smpp34.SubmitSmEvent):
                if self.refusals:
                    event.reject(self.refusals.pop(0))
                    continue
                self.submits.append(Submit(self._sessions[event.session_id].system_id, event.source_addr,
                                           event.destination_addr, event.dest_addr_ton, event.data_coding,
                                           event.esm_class, bytes(event.short_message)))
                event.accept(message_id=f"m{len(self.submits)}")

    def messages(self) -> list[tuple[str, str]]:
        """(destination, text) of each complete message, parts joined in order, as a handset shows them."""
        whole, pending = [], {}
        for submit in self.submits:
            body = submit.short_message
            if submit.esm_class & UDHI and body.startswith(UDH_CONCAT):
                reference, total, number = body[3], body[4], body[5]
                parts = pending.setdefault((submit.destination_addr, reference), {})
                parts[number] = (submit, body[6:])
                if len(parts) == total:
                    joined = b"".join(parts[n][1] for n in sorted(parts))
                    whole.append((submit.destination_addr, decode(joined, submit.data_coding)))
                    del pending[(submit.destination_addr, reference)]
            else:
                whole.append((submit.destination_addr, decode(body, submit.data_coding)))
        return whole


def decode(body: bytes, data_coding: int) -> str:
    """UCS-2 for data_coding 8, else the GSM 7-bit default alphabet, one septet a byte (escape 0x1B + code)."""
    if data_coding == 8:
        return body.decode("utf-16-be")
    septets, text = iter(body), []
    for code in septets:
        text.append(GSM_CHARACTER_TABLE[next(septets) + 0x80] if code == 0x1B else GSM_CHARACTER_TABLE[code])
    return "".join(text)
