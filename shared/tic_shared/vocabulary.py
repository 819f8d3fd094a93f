"""The shared words of the contract: tiers, statuses, fields, grades — the values events and APIs carry."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """The five tiers of the innovation-platform system (000 §2)."""

    NATIONAL_TIC = "national_tic"
    PROVINCIAL_TIC = "provincial_tic"
    MUNICIPAL_TIC = "municipal_tic"
    KEY_ENTERPRISE_INSTITUTE = "key_enterprise_institute"
    ENTERPRISE_RD_CENTER = "enterprise_rd_center"


class CenterStatus(StrEnum):
    """Where a center is in its life (POLICY §2)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    REVIEWED = "reviewed"
    DECIDED = "decided"
    PUBLIC_NOTICE = "public_notice"
    OBJECTION_REVIEW = "objection_review"
    BUILDING = "building"
    OPERATING = "operating"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    DELISTED = "delisted"


class Field(StrEnum):
    """The three highlands (三大科创高地) a Ningbo TIC is built in."""

    NEW_MATERIALS = "new_materials"
    INDUSTRIAL_INTERNET = "industrial_internet"
    KEY_CORE_COMPONENTS = "key_core_components"


class LeadUnitType(StrEnum):
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    OTHER = "other"


class Origin(StrEnum):
    MUNICIPAL_INITIATIVE = "municipal_initiative"
    RECOMMENDED = "recommended"


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


class EvaluationKind(StrEnum):
    ANNUAL = "annual"
    ACCEPTANCE = "acceptance"


class Trigger(StrEnum):
    """One-off award events, in the words of 003 §4(3): a municipal TIC established (组建), a center recognised
    as a provincial or national TIC (认定为省级、国家级技术创新中心)."""

    MUNICIPAL_TIC_ESTABLISHED = "municipal_tic_established"
    RECOGNIZED_AS_PROVINCIAL_TIC = "recognized_as_provincial_tic"
    RECOGNIZED_AS_NATIONAL_TIC = "recognized_as_national_tic"
