"""The shared words of the contract: tiers, statuses, fields, grades — the values events and APIs carry."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

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


class Name(NamedTuple):
    """What a word of the vocabulary is called in each language, as it reads inside a sentence: in English a tier
    or a kind of lead unit with its article ("an enterprise R&D center"), a status or a grade as it reads after
    "is"."""

    zh: str
    en: str


# Every word a sentence written for people may name (a subsidy's trace, say), in the forms the console uses.
NAMES: dict[StrEnum, Name] = {
    Tier.NATIONAL_TIC: Name("国家技术创新中心", "a national TIC"),
    Tier.PROVINCIAL_TIC: Name("省级技术创新中心", "a provincial TIC"),
    Tier.MUNICIPAL_TIC: Name("市级技术创新中心", "a municipal TIC"),
    Tier.KEY_ENTERPRISE_INSTITUTE: Name("市级重点企业研究院", "a key enterprise research institute"),
    Tier.ENTERPRISE_RD_CENTER: Name("市级企业技术研发中心", "an enterprise R&D center"),
    CenterStatus.DRAFT: Name("草稿", "a draft"),
    CenterStatus.SUBMITTED: Name("已提交", "submitted"),
    CenterStatus.UNDER_REVIEW: Name("论证中", "under review"),
    CenterStatus.REVIEWED: Name("已论证", "reviewed"),
    CenterStatus.DECIDED: Name("已审定", "decided"),
    CenterStatus.PUBLIC_NOTICE: Name("公示", "in public notice"),
    CenterStatus.OBJECTION_REVIEW: Name("异议核查中", "under objection review"),
    CenterStatus.BUILDING: Name("建设期", "under construction"),
    CenterStatus.OPERATING: Name("运行期", "operating"),
    CenterStatus.REJECTED: Name("未获认定", "not approved"),
    CenterStatus.WITHDRAWN: Name("已撤回", "withdrawn"),
    CenterStatus.CANCELLED: Name("已撤销创建资格", "cancelled"),
    CenterStatus.DELISTED: Name("已摘牌", "delisted"),
    Grade.EXCELLENT: Name("优秀", "excellent"),
    Grade.GOOD: Name("良好", "good"),
    Grade.QUALIFIED: Name("合格", "qualified"),
    Grade.UNQUALIFIED: Name("不合格", "unqualified"),
    LeadUnitType.ENTERPRISE: Name("企业", "an enterprise"),
    LeadUnitType.UNIVERSITY: Name("高校", "a university"),
    LeadUnitType.RESEARCH_INSTITUTE: Name("科研院所", "a research institute"),
    LeadUnitType.OTHER: Name("其他单位", "another kind of unit"),
    Trigger.MUNICIPAL_TIC_ESTABLISHED: Name("组建市级技术创新中心", "municipal TIC establishment"),
    Trigger.RECOGNIZED_AS_PROVINCIAL_TIC: Name("认定为省级技术创新中心", "provincial TIC recognition"),
    Trigger.RECOGNIZED_AS_NATIONAL_TIC: Name("认定为国家技术创新中心", "national TIC recognition"),
}
