"""Where to go: a service's offices resolved for the citizen's district.

A service names office types ("the district marriage registry"). With the citizen's district known,
that district's own office comes first ("go here first"), then the city-level office when there is
one. An office whose address is not yet confirmed is said to be so, and the district's government
service centre is offered in its place; an address is never made up.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import KnowledgeBase, Office

DISTRICT_CENTRE = "district_service_center"


@dataclass(frozen=True)
class Stop:
    """One office on the citizen's way, and the office to ask instead while its address is confirmed."""

    office: Office
    instead: Office | None = None


def where_to_go(office_ids: tuple[str, ...], knowledge: KnowledgeBase, district: str | None) -> list[Stop]:
    stops: list[Stop] = []
    seen: set[str] = set()
    centre = knowledge.local_office(DISTRICT_CENTRE, district)
    for office_id in office_ids:
        generic = knowledge.offices[office_id]
        local = knowledge.local_office(office_id, district)
        chosen = [local] if local else []
        if generic.level == "city" or local is None or local.address is None:
            # The city-wide office; or, without a confirmed local address, the type's own directions.
            chosen.append(generic)
        for office in chosen:
            if office.id in seen:
                continue
            seen.add(office.id)
            instead = centre if office.address is None and centre is not None and centre.address else None
            stops.append(Stop(office, instead))
    return stops


def needs_district(office_ids: tuple[str, ...], knowledge: KnowledgeBase, district: str | None) -> bool:
    """Whether knowing the citizen's district would show a concrete office instead of a type."""
    return district is None and bool(knowledge.districts) and any(
        knowledge.offices[o].by_district for o in office_ids)
