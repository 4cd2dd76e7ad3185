"""What a hall is and offers: its identity, domains (领域), ticket groups and service items (事项).

These are plain, frozen values read from the hall's TOML file; the core only reads them.
"""

from __future__ import annotations

import msgspec

__all__ = ["Domain", "HallInfo", "ServiceItem", "TicketGroup"]


class HallInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[hall]``: which hall this is, for URLs, pages, slips and screens."""

    id: str  # used in URLs: /api/halls/{id}/…
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    address: str = ""
    notice: str = ""  # a short line for slips and screens, e.g. 过号请重新取号


class Domain(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service domain (领域), e.g. enterprise registration, social security."""

    code: str
    name: str
    name_en: str = ""


class TicketGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A numbering group: its prefix starts every number (A001 …), its cap limits a day."""

    prefix: str
    name: str
    name_en: str = ""
    daily_cap: int | None = None


class ServiceItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service item (政务服务事项) a citizen takes a ticket for."""

    code: str
    name: str
    domain: str
    group: str
    name_en: str = ""
    cross_province: bool = False  # 跨省通办 (incl. 长三角 区域通办)
    pickup: bool = False  # 出件: handing out results after approval
    service_minutes: float = 10.0  # expected service time, until real ones are measured

    @property
    def is_acceptance(self) -> bool:
        """An acceptance item (受理事项) as opposed to a result pick-up."""
        return not self.pickup
