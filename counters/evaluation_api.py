"""好差评 over HTTP.

- ``POST /api/halls/{hall}/ratings``                    rate a service: from a counter's pad (device
  token, the ``service`` its channel announced, of its own counter) or from the ticket's page
  (``ticket_id`` and its ``rating_key``, the slip's 评价码, with no token). Staff do not rate:
  ratings are the citizen's; the clerk who served a ticket knows its id, never its key.
- ``GET  /api/halls/{hall}/ratings/stats?by=counter``   per counter, staff member, item or day (managers)
- ``GET  /api/halls/{hall}/rating-cases``               follow-up cases of bad ratings (managers)
- ``POST /api/halls/{hall}/rating-cases/{id}/{action}`` reply, fix, appeal, uphold_appeal, reject_appeal
- ``POST /api/halls/{hall}/rating-cases/{id}/call-back`` a call-back to the citizen and its outcome
- ``POST /api/halls/{hall}/rating-cases/{id}/tier``      solved on the spot, or 1, 5 or 15 working days
- ``POST /api/halls/{hall}/rating-cases/{id}/phone``     the real-name rating's phone, to call back (audited)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from config.audit.marks import RECORDS_ITSELF
from config.auth import Principal, client_address, manager_guard
from config.crypto import RatingKeys
from config.limits import limited
from counters.evaluation import EvaluationService
from counters.ratings import CallOutcome, CaseAction, CaseTier, Level, RatingStats, split_reasons
from queueing.bounds import RowNumber, check_day, check_days
from queueing.errors import Forbidden, Invalid
from queueing.params import range_end

__all__ = ["RateRequest", "router"]


class RateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    level: Level
    service: RowNumber | None = None  # the pad: the completed service its channel announced
    ticket_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None  # the ticket's page
    # 评价码: the ``k`` of the slip's link (its QR code); the ticket's page rates with it only
    rating_key: Annotated[
        str,
        msgspec.Meta(
            max_length=40,
            description="with ticket_id: the ticket's rating key (评价码), the k of the slip's QR code link "
            "(/halls/{hall}/tickets/{id}?k=…); without the right one the web rating is refused (403)",
        ),
    ] = ""
    reason: Annotated[str, msgspec.Meta(max_length=40)] = ""  # 不满意/非常不满意: one of the hall's reasons
    # or several of them (up to three): what went wrong is often more than one thing
    reasons: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=3)] = []
    text: Annotated[str, msgspec.Meta(max_length=500)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=16)] = ""  # a real-name rating: the hall replies


class RatingView(msgspec.Struct, kw_only=True):
    id: str
    service: int
    number: str
    item: str
    counter: int
    staff_name: str
    level: Level
    score: int
    reason: str  # the reasons as kept, joined by 、
    reasons: list[str]
    channel: str
    rated_at: dt.datetime


class CaseActionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class CallBackRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """回访: how the call went, and what was said (or why nobody answered)."""

    outcome: CallOutcome
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class TierRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The case's tier (DB31/T 862 10.1.3): on the spot, or 1, 5 or 15 working days."""

    tier: CaseTier
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class PhoneView(msgspec.Struct, kw_only=True):
    phone: str  # in clear, for the call: not to be kept on screen


@post("/api/halls/{hall:str}/ratings", status_code=201, summary="Rate a service (好差评)", opt=limited("rating"))
async def rate(
    hall: FromPath[str],
    data: JSONBody[RateRequest],
    evaluation: NamedDependency[EvaluationService],
    principal: NamedDependency[Principal | None],
    rating_keys: NamedDependency[RatingKeys],
) -> RatingView:
    """By the counter's evaluation pad (its device token and the ``service`` its channel told; its
    own counter's services only) or by the slip's link (``ticket_id`` and its ``rating_key``, the
    ``k`` of the slip's QR code link, without a token). A staff token, another device's, or a
    ticket id without its key is refused (403): ratings are the citizen's."""
    if principal is not None and principal.kind == "staff":
        # no clerk rates his own services, nor a colleague's: ratings come from the citizen
        raise Forbidden(
            "staff do not rate services: the citizen rates on the counter's pad or by the slip's link",
            "工作人员不能评价服务（由办事群众在评价器上或扫描凭条二维码评价）",
        )
    if data.service is not None:
        # a service number is easy to guess: only a device of the hall (the counter's pad) rates by it
        if principal is None or principal.hall != hall or principal.device_kind != "evaluation_pad":
            raise Forbidden("rating by service number needs the evaluation pad's device token", "请在评价器上评价")
        channel = "pad"
    elif data.ticket_id:
        # the ticket id is the slip's secret (its QR link); a device holds no slip: a screen's or
        # a board's token must not rate whatever ticket it comes to know
        if principal is not None:
            raise Forbidden(
                "a device does not rate by ticket: the slip's link does, without a token", "请扫描凭条二维码评价"
            )
        if not rating_keys.holds(hall, data.ticket_id, data.rating_key):
            # the clerk who served it saw its id (his counter's page, the desk): only the slip
            # holds its key, so he cannot rate his own service, nor a colleague's, by the id
            raise Forbidden(
                "the ticket's rating key is missing or wrong: scan the QR code on the slip to rate",
                "评价码无效：请扫描取号凭条上的二维码评价",
            )
        channel = "web"
    else:
        raise Invalid("name the service (the pad) or the ticket (its page)", "缺少评价对象")
    row = await evaluation.rate(
        hall,
        data.level,
        service=data.service,
        ticket_id=data.ticket_id if data.service is None else None,
        reasons=tuple(data.reasons) or ((data.reason,) if data.reason else ()),
        text=data.text,
        phone=data.phone,
        channel=channel,
        pad_counter=principal.counter if principal is not None else None,
    )
    return RatingView(
        id=row.id,
        service=row.service,
        number=row.number,
        item=row.item,
        counter=row.counter,
        staff_name=row.staff_name,
        level=Level(row.level),
        score=row.score,
        reason=row.reason,
        reasons=split_reasons(row.reason),
        channel=row.channel,
        rated_at=row.rated_at,
    )


@get("/api/halls/{hall:str}/ratings/stats", guards=[manager_guard], summary="Rating statistics (managers)")
async def rating_stats(
    hall: FromPath[str],
    evaluation: NamedDependency[EvaluationService],
    by: FromQuery[Literal["counter", "staff", "item", "day"]] = "counter",
    since: Annotated[dt.date | None, range_end("from")] = None,
    until: Annotated[dt.date | None, range_end("to")] = None,
) -> list[RatingStats]:
    check_day("to", until)  # before a default is counted back from it
    today = evaluation.today(hall)  # the hall's day, by the server's clock
    until = until or today
    since = since or until - dt.timedelta(days=30)
    check_days(since, until)
    return await evaluation.statistics(hall, by, since, until)


@get("/api/halls/{hall:str}/rating-cases", guards=[manager_guard], summary="Follow-up cases of bad ratings")
async def rating_cases(
    hall: FromPath[str],
    evaluation: NamedDependency[EvaluationService],
    case_state: Annotated[
        Literal["open", "replied", "fixed", "appealed", "void"] | None, QueryParameter(name="state")
    ] = None,
    overdue: FromQuery[bool | None] = None,
) -> list[dict]:
    return await evaluation.cases(hall, case_state, overdue)


@post(
    "/api/halls/{hall:str}/rating-cases/{case_id:str}/{action:str}",
    guards=[manager_guard],
    status_code=200,
    summary="Work a case: reply, fix, appeal, uphold_appeal, reject_appeal",
)
async def act_on_case(
    hall: FromPath[str],
    case_id: FromPath[str],
    action: FromPath[str],
    data: JSONBody[CaseActionRequest],
    evaluation: NamedDependency[EvaluationService],
    principal: NamedDependency[Principal],
) -> dict:
    if action not in ("reply", "fix", "appeal", "uphold_appeal", "reject_appeal"):
        raise Invalid(f"unknown action {action!r}: reply, fix, appeal, uphold_appeal or reject_appeal", "操作有误")
    act: CaseAction = action  # type: ignore[assignment]
    return await evaluation.act(hall, case_id, act, data.text, principal.name)


@post(
    "/api/halls/{hall:str}/rating-cases/{case_id:str}/call-back",
    guards=[manager_guard],
    status_code=200,
    summary="Record a call-back to the citizen (回访): its outcome and note",
)
async def call_back(
    hall: FromPath[str],
    case_id: FromPath[str],
    data: JSONBody[CallBackRequest],
    evaluation: NamedDependency[EvaluationService],
    principal: NamedDependency[Principal],
) -> dict:
    return await evaluation.call_back(hall, case_id, data.outcome, data.note, principal.name)


@post(
    "/api/halls/{hall:str}/rating-cases/{case_id:str}/tier",
    guards=[manager_guard],
    status_code=200,
    summary="Set a case's deadline tier: on the spot, or 1, 5 or 15 working days",
)
async def set_tier(
    hall: FromPath[str],
    case_id: FromPath[str],
    data: JSONBody[TierRequest],
    evaluation: NamedDependency[EvaluationService],
    principal: NamedDependency[Principal],
) -> dict:
    return await evaluation.set_tier(hall, case_id, data.tier, data.note, principal.name)


@post(
    "/api/halls/{hall:str}/rating-cases/{case_id:str}/phone",
    guards=[manager_guard],
    status_code=200,
    cache_control=CacheControlHeader(no_store=True),
    summary="Open a real-name rating's phone to call back (recorded in the audit trail)",
    opt=RECORDS_ITSELF,
)
async def open_phone(
    hall: FromPath[str],
    case_id: FromPath[str],
    request: Request,
    evaluation: NamedDependency[EvaluationService],
    principal: NamedDependency[Principal],
) -> PhoneView:
    phone = await evaluation.open_phone(hall, case_id, principal.name, principal.role.value, client_address(request))
    return PhoneView(phone=phone)


router = Router(
    path="/",
    route_handlers=[rate, rating_stats, rating_cases, act_on_case, call_back, set_tier, open_phone],
    tags=["ratings"],
)
