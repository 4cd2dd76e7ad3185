"""HTTP handlers of the counters: the virtual caller (虚拟叫号器) and the manager's changes.

- ``POST /api/halls/{hall}/counters/{counter}/call-next``  200 with the ticket, 204 if none waits
- ``POST /api/halls/{hall}/counters/{counter}/call``       指定叫号: ``{"ticket": "B003"}``
- ``GET  /api/halls/{hall}/counters/{counter}/desk``       the clerk's view (staff): whom it serves, who is next
- ``POST /api/halls/{hall}/counters/{counter}/{action}``   recall, no-show, start, complete,
  suspend, open, close, sign-in, sign-out; plus ``transfer``, ``pause`` and ``resume``
- ``PATCH /api/halls/{hall}/counters/{counter}``           kind, domains, items, profile, name

Counter actions need a staff token; the core checks that the clerk is signed in at this
counter (or is a manager) in the same step as the action.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable

from litestar import Response, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from config.audit.marks import CHANGES_NOTHING, IN_HALL_RECORD
from config.auth import Principal, manager_guard, staff_guard
from config.privacy import mask_text
from counters.schemas import (
    CallTicketRequest,
    CounterActionResult,
    CounterPatch,
    OnTicket,
    PauseRequest,
    ResumeRequest,
    TransferRequest,
)
from queueing.commands import (
    CallNext,
    CallTicket,
    CloseCounter,
    Command,
    CompleteService,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Recall,
    ReconfigureCounter,
    Resume,
    SignIn,
    SignOut,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import NotFound
from queueing.events import Recorded
from queueing.hall import HallQueue
from queueing.params import CounterParam
from queueing.service import HallRuntime
from queueing.views import CounterView, DeskView, ReconfigurePreview, TicketView

__all__ = ["CounterAction", "router"]


class CounterAction(enum.StrEnum):
    RECALL = "recall"  # 重呼
    NO_SHOW = "no-show"  # 过号
    START = "start"  # 开始办理
    COMPLETE = "complete"  # 办结
    SUSPEND = "suspend"  # 挂起
    OPEN = "open"  # 开始服务 / 恢复服务
    CLOSE = "close"  # 关闭窗口
    SIGN_IN = "sign-in"  # 签到
    SIGN_OUT = "sign-out"  # 签退


_ON_TICKET: dict[CounterAction, type] = {
    CounterAction.RECALL: Recall,
    CounterAction.NO_SHOW: MarkNoShow,
    CounterAction.START: StartService,
    CounterAction.COMPLETE: CompleteService,
    CounterAction.SUSPEND: Suspend,
}
_ON_COUNTER: dict[CounterAction, type] = {
    CounterAction.OPEN: OpenCounter,
    CounterAction.CLOSE: CloseCounter,
    CounterAction.SIGN_IN: SignIn,
    CounterAction.SIGN_OUT: SignOut,
}


def _result(number: int) -> Callable[[HallQueue, list[Recorded], dt.datetime], CounterActionResult]:
    def present(queue: HallQueue, recorded: list[Recorded], at: dt.datetime) -> CounterActionResult:
        ticket_id = next((r.event.ticket_id for r in reversed(recorded) if hasattr(r.event, "ticket_id")), None)
        ticket = queue.ticket(ticket_id) if ticket_id else None
        return CounterActionResult(queue.counter_view(number), queue.ticket_view(ticket, at) if ticket else None)

    return present


async def _act(runtime: HallRuntime, counter: int, command: Command) -> CounterActionResult:
    return await runtime.execute(command, _result(counter))


@get("/api/halls/{hall:str}/counters", summary="Every counter now")
async def list_counters(runtime: NamedDependency[HallRuntime]) -> list[CounterView]:
    return await runtime.read(lambda q, at: [q.counter_view(n) for n in sorted(q.counters)])


@get("/api/halls/{hall:str}/counters/{counter:int}", summary="A counter now")
async def counter_status(counter: CounterParam, runtime: NamedDependency[HallRuntime]) -> CounterView:
    return await runtime.read(lambda q, at: q.counter_view(counter))


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/call-next",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Call the next ticket (叫号)",
    responses={204: ResponseSpec(None, description="No ticket this counter may serve is waiting")},
)
async def call_next(
    counter: CounterParam, runtime: NamedDependency[HallRuntime], principal: NamedDependency[Principal]
) -> Response[TicketView]:

    def present(queue: HallQueue, recorded: list[Recorded], at: dt.datetime) -> TicketView | None:
        called = [r.event.ticket_id for r in recorded if hasattr(r.event, "ticket_id")]
        return queue.ticket_view(queue.tickets[called[-1]], at) if called else None

    view = await runtime.execute(CallNext(at=runtime.clock(), actor=principal.actor, counter=counter), present)
    return Response(view) if view is not None else Response(None, status_code=204)


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/call",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Call one waiting ticket by its number, out of the calling order (指定叫号)",
)
async def call_ticket(
    counter: CounterParam,
    data: JSONBody[CallTicketRequest],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> CounterActionResult:
    command = CallTicket(at=runtime.clock(), actor=principal.actor, counter=counter, ticket=data.ticket)
    return await _act(runtime, counter, command)


@get(
    "/api/halls/{hall:str}/counters/{counter:int}/desk",
    guards=[staff_guard],
    summary="The clerk's view of a counter: its ticket (class, waited, transfer note) and whom it would call next",
)
async def desk(counter: CounterParam, runtime: NamedDependency[HallRuntime]) -> DeskView:
    return await runtime.read(lambda q, at: q.desk_view(counter, at))


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/transfer",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Transfer the current ticket to another item or counter, keeping its number (一票到底)",
)
async def transfer(
    counter: CounterParam,
    data: JSONBody[TransferRequest],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> CounterActionResult:
    command = Transfer(
        at=runtime.clock(),
        actor=principal.actor,
        counter=counter,
        item=data.item,
        to_counter=data.counter,
        expected_ticket=data.ticket,
        note=mask_text(data.note),  # free text: an ID number or a phone typed into it is masked
    )
    return await _act(runtime, counter, command)


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/pause",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Pause the counter (暂停服务): it finishes its ticket but calls nobody new",
)
async def pause(
    counter: CounterParam,
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
    data: JSONBody[PauseRequest | None] = None,
) -> CounterActionResult:
    now = runtime.clock()
    reason = mask_text(data.reason) if data else ""  # free text is public on the queue view: masked
    back = now + dt.timedelta(minutes=data.back_in_minutes) if data and data.back_in_minutes else None
    command = PauseCounter(at=now, actor=principal.actor, counter=counter, reason=reason, back_at=back)
    return await _act(runtime, counter, command)


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/resume",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Resume a suspended ticket at this counter (恢复挂起)",
)
async def resume(
    counter: CounterParam,
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
    data: JSONBody[ResumeRequest | None] = None,
) -> CounterActionResult:
    command = Resume(
        at=runtime.clock(), actor=principal.actor, counter=counter, ticket_id=data.ticket if data else None
    )
    return await _act(runtime, counter, command)


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/{action:str}",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="recall, no-show, start, complete, suspend, open, close, sign-in, sign-out",
)
async def counter_action(
    counter: CounterParam,
    action: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
    data: JSONBody[OnTicket | None] = None,
) -> CounterActionResult:
    try:
        action = CounterAction(action)
    except ValueError:
        known = ", ".join(a.value for a in CounterAction) + ", call-next, transfer, pause, resume"
        raise NotFound(f"no counter action {action!r}; the actions are {known}", "没有该操作") from None
    at, actor = runtime.clock(), principal.actor
    if action in _ON_TICKET:
        command = _ON_TICKET[action](at=at, actor=actor, counter=counter, expected_ticket=data.ticket if data else None)
    else:
        command = _ON_COUNTER[action](at=at, actor=actor, counter=counter)
    return await _act(runtime, counter, command)


@patch(
    "/api/halls/{hall:str}/counters/{counter:int}",
    guards=[manager_guard],
    opt=IN_HALL_RECORD,
    summary="Change a counter's kind, domains, items, profile or name (manager); effective on its next call",
)
async def reconfigure(
    counter: CounterParam,
    data: JSONBody[CounterPatch],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> CounterView:
    command = _reconfiguration(counter, data, runtime, principal)
    return await runtime.execute(command, lambda q, rec, at: q.counter_view(counter))


@post(
    "/api/halls/{hall:str}/counters/{counter:int}/preview",
    opt=CHANGES_NOTHING,
    guards=[manager_guard],
    status_code=200,
    summary="What a change of a counter would do, changing nothing: what it would serve, whom it could call",
)
async def preview_reconfigure(
    counter: CounterParam,
    data: JSONBody[CounterPatch],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> ReconfigurePreview:
    command = _reconfiguration(counter, data, runtime, principal)
    return await runtime.read(lambda q, at: q.preview_reconfigure(command))


def _reconfiguration(
    counter: int, data: CounterPatch, runtime: HallRuntime, principal: Principal
) -> ReconfigureCounter:
    """The command a counter patch asks for (applied by ``reconfigure``, previewed by ``preview_reconfigure``)."""
    return ReconfigureCounter(
        at=runtime.clock(),
        actor=principal.actor,
        counter=counter,
        name=data.name,
        kind=data.kind,
        domains=tuple(data.domains) if data.domains is not None else None,
        items=tuple(data.items) if data.items is not None else None,
        profile=data.profile,
    )


router = Router(
    path="/",
    route_handlers=[
        list_counters,
        counter_status,
        call_next,
        call_ticket,
        desk,
        transfer,
        pause,
        resume,
        preview_reconfigure,
        counter_action,
        reconfigure,
    ],
    tags=["counters"],
)
