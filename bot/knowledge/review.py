"""Which entries each office still has to sign off: unreviewed, overdue, unsourced or unverifiable."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from bot.knowledge.model import SIGNED_OFF, UNVERIFIED, KnowledgeBase


@dataclass
class OfficeReview:
    office_id: str
    signed_off: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # checked against the texts, not yet signed off
    unverified: list[str] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    unsourced: list[str] = field(default_factory=list)

    @property
    def to_do(self) -> int:
        return len(self.checked) + len(self.unverified) + len(self.unreviewed) + len(self.overdue) + len(self.unsourced)


def review_status(knowledge: KnowledgeBase, today: dt.date) -> dict[str, OfficeReview]:
    """Per office (the review's office, else the service's lead office), where each of its entries stands."""
    offices: dict[str, OfficeReview] = defaultdict(lambda: OfficeReview(""))
    for service in knowledge.services.values():
        office_id = service.owner_office
        status = offices[office_id]
        status.office_id = office_id
        review = service.review
        if review is None:
            status.unreviewed.append(service.id)
        elif review.overdue(today):
            status.overdue.append(service.id)
        elif review.method == SIGNED_OFF:
            status.signed_off.append(service.id)
        elif review.method == UNVERIFIED:
            status.unverified.append(service.id)
        else:
            status.checked.append(service.id)
        if not service.sources:
            status.unsourced.append(service.id)
    return dict(sorted(offices.items()))
