"""Counter kinds (综合窗口, DB31/T 862 4.3.3.4), what each may serve, and calling profiles.

Which items a counter serves
----------------------------
- ``no_difference`` (无差别综合窗口): every acceptance item of the hall, except the
  cross-province items, which the standard puts in cross-province counters (4.3.3.4 c).
  Domains listed on it only matter to its profile (``own_domains_first``).
- ``domain`` (分领域综合窗口): the acceptance items of the domains it lists, again
  except cross-province items.
- ``cross_province`` (跨省通办窗口): the cross-province items (of the listed domains, if any).
- ``pickup`` (出件窗口): the pick-up items (of the listed domains, if any).
- An explicit ``items`` list overrides all of this: the counter serves exactly those.

A calling profile (叫号策略) orders what a counter may serve; it never widens it. Within
the same priority class a counter takes its preferred items first, oldest first.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from typing import Final

import msgspec

from queueing.bounds import CounterNumber
from queueing.catalogue import ServiceItem

__all__ = [
    "BUILTIN_PROFILES",
    "CallingProfile",
    "CounterKind",
    "CounterSpec",
    "default_profile_name",
    "preferred_items",
    "served_items",
    "spec_problems",
]


class CounterKind(enum.StrEnum):
    NO_DIFFERENCE = "no_difference"  # 无差别综合窗口
    DOMAIN = "domain"  # 分领域综合窗口
    CROSS_PROVINCE = "cross_province"  # 跨省通办窗口
    PICKUP = "pickup"  # 出件窗口

    @property
    def label_zh(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS: Final = {
    CounterKind.NO_DIFFERENCE: "无差别综合窗口",
    CounterKind.DOMAIN: "分领域综合窗口",
    CounterKind.CROSS_PROVINCE: "跨省通办窗口",
    CounterKind.PICKUP: "出件窗口",
}


class CallingProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a counter orders the tickets it may serve (叫号策略).

    ``own_domains_first`` prefers the items of the counter's own domains; ``prefer_domains``
    and ``prefer_items`` add more preferred items. With no preference at all the counter
    simply takes the longest-waiting eligible ticket.
    """

    own_domains_first: bool = False
    prefer_domains: tuple[str, ...] = ()
    prefer_items: tuple[str, ...] = ()
    description: str = ""


BUILTIN_PROFILES: Final[dict[str, CallingProfile]] = {
    "longest_waiting": CallingProfile(description="最长等候优先 / longest-waiting eligible ticket first"),
    "own_domain_first": CallingProfile(
        own_domains_first=True, description="本领域优先 / the counter's own domains first"
    ),
}


class CounterSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a counter is: its number, name, kind and what it serves."""

    number: CounterNumber
    name: str
    kind: CounterKind
    domains: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    profile: str | None = None  # None: the kind's default profile


def default_profile_name(kind: CounterKind) -> str:
    return "own_domain_first" if kind is CounterKind.DOMAIN else "longest_waiting"


_KIND_SERVES: Final = {
    CounterKind.NO_DIFFERENCE: lambda item: item.is_acceptance and not item.cross_province,
    CounterKind.DOMAIN: lambda item: item.is_acceptance and not item.cross_province,
    CounterKind.CROSS_PROVINCE: lambda item: item.is_acceptance and item.cross_province,
    CounterKind.PICKUP: lambda item: item.pickup,
}


def served_items(spec: CounterSpec, items: Iterable[ServiceItem]) -> frozenset[str]:
    """The codes of the items this counter may serve."""
    if spec.items:
        return frozenset(spec.items)
    serves = _KIND_SERVES[spec.kind]
    restrict = spec.kind is CounterKind.DOMAIN or (bool(spec.domains) and spec.kind is not CounterKind.NO_DIFFERENCE)
    return frozenset(item.code for item in items if serves(item) and (not restrict or item.domain in spec.domains))


def spec_problems(
    spec: CounterSpec, items: Collection[ServiceItem], domains: Collection[str], profiles: Collection[str]
) -> list[tuple[str, str]]:
    """What is wrong with a counter's definition, as (field, message); empty when nothing is.

    The hall file's loader and the core's check of a manager's change both ask this.
    """
    problems = []
    if spec.number < 1:
        problems.append(("number", "counter numbers start at 1"))
    if unknown := sorted(set(spec.domains) - set(domains)):
        problems.append(("domains", f"unknown domains {unknown}; known: {sorted(domains)}"))
    if unknown := sorted(set(spec.items) - {item.code for item in items}):
        problems.append(("items", f"unknown items {unknown}"))
    if spec.profile is not None and spec.profile not in profiles:
        problems.append(("profile", f"unknown profile {spec.profile!r}; known: {sorted(profiles)}"))
    if spec.kind is CounterKind.DOMAIN and not spec.domains and not spec.items:
        problems.append(("domains", "a domain counter (分领域综合窗口) lists its domains"))
    if not problems and not served_items(spec, items):
        problems.append(("", f"counter {spec.number} would serve no item"))
    return problems


def preferred_items(spec: CounterSpec, profile: CallingProfile, items: Iterable[ServiceItem]) -> frozenset[str]:
    """The items this counter takes first within a priority class (empty: no preference)."""
    domains = set(profile.prefer_domains)
    if profile.own_domains_first:
        domains.update(spec.domains)
    preferred = {item.code for item in items if item.domain in domains}
    preferred.update(profile.prefer_items)
    return frozenset(preferred)
