"""What the printing API and the print agent's channel carry."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from queueing.ports import PrintJobView  # the answer of the queue's SlipPrinter port; printing keeps it

__all__ = [
    "AgentFailed",
    "AgentHello",
    "AgentMessage",
    "AgentPong",
    "AgentPrint",
    "AgentPrinted",
    "PrintJobView",
    "PrinterView",
    "ReprintRequest",
]


class PrinterView(msgspec.Struct, kw_only=True):
    """A ticket machine's printer as managers see it (打印机状态)."""

    device: str
    printer: str  # where it is and its paper, e.g. "192.168.1.60:9100, 80 mm"
    driven_by: Literal["server", "agent"]
    state: str  # ok, offline, paper_out, error, unknown (nothing printed yet)
    error: str
    changed_at: dt.datetime | None
    last_printed_at: dt.datetime | None
    waiting_jobs: int  # queued or with the agent, not yet printed
    agent_connected: bool | None  # None: no agent is involved
    agent_seen_at: dt.datetime | None


class ReprintRequest(msgspec.Struct, kw_only=True):
    device: str | None = None  # staff: which ticket machine prints it; a ticket machine prints on its own


# ---------------------------------------------------------------- the print agent's channel


class AgentHello(msgspec.Struct, tag="hello", tag_field="type", kw_only=True):
    """Server → agent, on connect: who it is and how to reach its printer."""

    device: str
    printer: dict  # the PrinterSpec, as in the hall file
    heartbeat_seconds: float


class AgentPrint(msgspec.Struct, tag="print", tag_field="type", kw_only=True):
    """Server → agent: print these bytes (a whole slip, ESC/POS) and say how it went."""

    job: str
    number: str
    data: bytes  # base64 in JSON


class AgentHeartbeat(msgspec.Struct, tag="heartbeat", tag_field="type", kw_only=True):
    pass


class AgentPrinted(msgspec.Struct, tag="printed", tag_field="type", kw_only=True):
    """Agent → server: the job is on paper."""

    job: str


class AgentFailed(msgspec.Struct, tag="failed", tag_field="type", kw_only=True):
    """Agent → server: the printer refused it."""

    job: str
    fault: Literal["offline", "paper_out", "error"]
    error: str = ""


class AgentPong(msgspec.Struct, tag="pong", tag_field="type", kw_only=True):
    pass


AgentMessage = AgentPrinted | AgentFailed | AgentPong
ServerMessage = AgentHello | AgentPrint | AgentHeartbeat
