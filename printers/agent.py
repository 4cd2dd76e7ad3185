"""The print agent (``hall print-agent``): on a ticket machine's PC, prints its slips on the
printer hanging there (USB, or a device file) as the server sends them.

It connects with the ``websockets`` client to ``/ws/halls/{hall}/print-agent`` with the
machine's device token, learns its printer from the server's ``hello`` (the hall file's
``[devices.printer]``; ``--printer`` overrides it), prints each job in a thread and answers
``printed`` or ``failed`` with the fault. The server keeps a job until it is answered, so a
job sent while the connection broke comes again: the agent remembers the jobs it printed and
does not print one twice. It reconnects by itself, 0.5 s doubling to 30 s.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from urllib.parse import quote

import msgspec

from displays.client import Backoff, Channel, DeviceClient, channel_url
from printers.drivers import PrinterFault, send
from printers.schemas import AgentFailed, AgentHeartbeat, AgentHello, AgentPong, AgentPrint, AgentPrinted
from printers.settings import PrinterSpec

__all__ = ["PrintAgent", "agent_url"]

log = logging.getLogger("hall.print-agent")

_decoder = msgspec.json.Decoder(AgentHello | AgentPrint | AgentHeartbeat)
_encoder = msgspec.json.Encoder()
_REMEMBERED = 1000  # printed jobs kept in mind, against printing one twice after a reconnection


def agent_url(server: str, hall: str, token: str) -> str:
    return channel_url(server, f"/ws/halls/{quote(hall, safe='')}/print-agent", token)


class PrintAgent:
    def __init__(
        self,
        server: str,
        hall: str,
        token: str,
        *,
        printer: PrinterSpec | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.where = f"{server.rstrip('/')} hall {hall}"
        self.hall = hall
        self.override = printer
        self.printer: PrinterSpec | None = printer
        self.printed: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.connections = 0
        self.jobs_printed = self.jobs_failed = 0
        self.client = DeviceClient(
            agent_url(server, hall, token),
            self.where,
            backoff=backoff,
            refused="check --token (the ticket machine's device token), --hall, and that its printer in the hall "
            'file has at = "agent"',
            calls_itself="agent",
            user_agent="hall-print-agent",
            max_size=4 * 2**20,
        )

    async def run(self) -> None:
        await self.client.run(self._serve)

    async def _serve(self, channel: Channel) -> None:
        async for raw in channel.messages():
            message = _decoder.decode(raw)
            if isinstance(message, AgentHello):
                channel.heartbeat = message.heartbeat_seconds  # the server says how often it beats
                self.printer = self.override or msgspec.convert(message.printer, PrinterSpec)
                self.connections += 1
                channel.working()
                log.info("%s: connected as %s; printer %s", self.where, message.device, self.printer.describe())
            elif isinstance(message, AgentHeartbeat):
                await channel.send(_encoder.encode(AgentPong()).decode())
            else:
                answer = await self._print(message)
                await channel.send(_encoder.encode(answer).decode())

    async def _print(self, job: AgentPrint) -> AgentPrinted | AgentFailed:
        if job.job in self.printed:  # given again after a reconnection: it is on paper already
            return AgentPrinted(job=job.job)
        if self.printer is None:
            return AgentFailed(job=job.job, fault="error", error="no printer settings from the server")
        try:
            await asyncio.to_thread(send, self.printer, job.data, job.number)
        except PrinterFault as fault:
            self.jobs_failed += 1
            log.warning("%s: %s not printed: %s", self.where, job.number, fault)
            return AgentFailed(job=job.job, fault=fault.kind, error=str(fault))
        except Exception as exc:
            self.jobs_failed += 1
            log.exception("%s: %s not printed", self.where, job.number)
            return AgentFailed(job=job.job, fault="error", error=f"{type(exc).__name__}: {exc}"[:300])
        self.jobs_printed += 1
        self.printed[job.job] = None
        while len(self.printed) > _REMEMBERED:
            self.printed.popitem(last=False)
        log.info("%s: printed %s", self.where, job.number)
        return AgentPrinted(job=job.job)
