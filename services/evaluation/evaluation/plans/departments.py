"""The departments a jurisdiction's plans make responsible (data/departments/{jurisdiction}.toml)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evaluation.domain.lookup import by_code
from evaluation.plans.model import Code, DepartmentCode, Text


class DepartmentKind(StrEnum):
    GOVERNMENT_DEPARTMENT = "government_department"
    PARTY_OFFICE = "party_office"
    PEOPLE_ORGANIZATION = "people_organization"
    FINANCIAL_REGULATOR = "financial_regulator"
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"
    DISTRICT_GOVERNMENT = "district_government"
    ZONE_COMMITTEE = "zone_committee"
    ALL_DISTRICT_GOVERNMENTS = "all_district_governments"  # 各区县(市)政府: every district at once
    GROUP_OF_UNITS = "group_of_units"  # a named set of units, e.g. a leading group's other members


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Department(_Frozen):
    """A unit a plan makes responsible; `code` is what a `department_officer` token's `department` claim carries."""

    code: DepartmentCode
    zh: Text
    short_zh: Text
    en: Text
    kind: DepartmentKind
    district: Code | None = None
    clause: Text

    @model_validator(mode="after")
    def _district_units(self) -> Department:
        local = self.kind in {DepartmentKind.DISTRICT_GOVERNMENT, DepartmentKind.ZONE_COMMITTEE}
        if local != (self.district is not None):
            raise ValueError(f"{self.code}: a district's government or zone committee, and only they, name a district")
        if self.district is not None and self.code.split(".", 1)[1] != self.district:
            raise ValueError(f"{self.code}: a district's government is coded after its district {self.district!r}")
        return self


class Departments(_Frozen):
    """The departments of one jurisdiction."""

    jurisdiction: Code
    departments: tuple[Department, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _own_codes(self) -> Departments:
        codes = [department.code for department in self.departments]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.jurisdiction}: a department code is listed twice")
        foreign = [code for code in codes if not code.startswith(f"{self.jurisdiction}.")]
        if foreign:
            raise ValueError(f"{self.jurisdiction}: department codes must start with '{self.jurisdiction}.': {foreign}")
        return self

    def get(self, code: str) -> Department:
        """The department `code`; KeyError if the jurisdiction has none."""
        return by_code(self.departments, code, lambda department: department.code)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(department.code for department in self.departments)
