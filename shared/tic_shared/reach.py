"""Row-level scoping, once for every service: who may see which rows (DESIGN §4).

Bureau staff and government systems see everything; a district officer sees its district, a center user its
own center, an expert its assignments, a department officer its department's indicators. A person holding
several of these roles sees the union. Each service turns a `Reach` into SQL over its own columns with
`Reach.where`, and checks one row it already holds with `Reach.admits`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from tic_shared.auth import Principal


@dataclass(frozen=True)
class Reach:
    """What one caller may see. The default reaches nothing."""

    everything: bool = False
    district: str | None = None
    center_id: uuid.UUID | None = None
    expert: str | None = None
    department: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Reach:
        if principal.sees_everything:
            return EVERYTHING
        return cls(
            district=principal.district if principal.has_role("district_officer") else None,
            center_id=principal.center_id if principal.has_role("center_user") else None,
            expert=principal.subject if principal.has_role("expert") else None,
            department=principal.department if principal.has_role("department_officer") else None,
        )

    def where(
        self,
        *,
        district: Any = None,
        center_id: Any = None,
        expert: Callable[[str], ColumnElement[bool]] | None = None,
        department: Any = None,
    ) -> ColumnElement[bool]:
        """The SQL condition over the caller's table: pass the columns (or, for experts, a clause builder)
        that carry each kind of reach there; a kind the table cannot express reaches nothing."""
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.district is not None and district is not None:
            parts.append(district == self.district)
        if self.center_id is not None and center_id is not None:
            parts.append(center_id == self.center_id)
        if self.expert is not None and expert is not None:
            parts.append(expert(self.expert))
        if self.department is not None and department is not None:
            parts.append(department == self.department)
        if not parts:
            return false()
        return parts[0] if len(parts) == 1 else or_(*parts)

    def admits(
        self, *, district: str | None = None, center_id: uuid.UUID | None = None, department: str | None = None
    ) -> bool:
        """Whether a row already read — with this district, center and department — is within reach."""
        if self.everything:
            return True
        return bool(
            (self.district is not None and self.district == district)
            or (self.center_id is not None and self.center_id == center_id)
            or (self.department is not None and self.department == department)
        )


EVERYTHING = Reach(everything=True)
"""The reach of the platform itself (consumers, jobs): every row."""
