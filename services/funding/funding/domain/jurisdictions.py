"""Which jurisdiction (and so which policies) a center's district falls under: the shared jurisdiction data.

The district → jurisdiction map is `tic_shared.jurisdictions` (one file per jurisdiction, read by the registry
for names and codes too), so funding grants under the same jurisdiction the registry named and coded the center
in. What funding adds is only the view it needs: the codes, and the district → code lookup.
"""

from collections.abc import Mapping
from datetime import date
from functools import cache
from types import MappingProxyType

from funding.domain.policy import Policy
from tic_shared.jurisdictions import Jurisdiction
from tic_shared.jurisdictions import Jurisdictions as SharedJurisdictions
from tic_shared.jurisdictions import jurisdictions as shared_jurisdictions


class Jurisdictions:
    """The jurisdictions by code, and the district → jurisdiction code map; a district belongs to at most one."""

    def __init__(self, shared: SharedJurisdictions) -> None:
        self.by_code: Mapping[str, Jurisdiction] = MappingProxyType(dict(shared.by_code))
        self._shared = shared

    def of_district(self, district: str) -> str | None:
        found = self._shared.of_district(district)
        return None if found is None else found.code


@cache
def packaged_jurisdictions() -> Jurisdictions:
    return Jurisdictions(shared_jurisdictions())


def policies_of(policies: Mapping[str, Policy], jurisdiction: str | None, on: date) -> list[Policy]:
    """The policies of a jurisdiction in force on a day, by code."""
    if jurisdiction is None:
        return []
    return sorted(
        (p for p in policies.values() if p.jurisdiction == jurisdiction and p.is_effective_on(on)),
        key=lambda p: p.code,
    )
