"""The shared words of the contract: tiers, statuses, fields, grades — the values events and APIs carry."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic.networks import validate_email
from pydantic_core import core_schema

if TYPE_CHECKING:
    Email = str
else:

    class Email:
        """An e-mail address, checked and normalised as pydantic's `EmailStr` does it (the same errors, the same
        JSON schema), an address seen before not parsed again: the parse was most of validating an event that names
        its contacts, and events name the same contacts again and again."""

        @classmethod
        def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> Any:
            return core_schema.no_info_after_validator_function(_normalised_email, core_schema.str_schema())

        @classmethod
        def __get_pydantic_json_schema__(cls, schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
            field_schema = handler(schema)
            field_schema.update(type="string", format="email")
            return field_schema


@lru_cache(maxsize=8192)
def _normalised_email(value: str) -> str:
    return validate_email(value)[1]  # raises pydantic's own "value is not a valid email address" error


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
