"""The closed vocabularies of the funding rules: tiers, statuses, grades, lead units, award events."""

from typing import Literal, get_args

Tier = Literal[
    "national_tic",  # 国家技术创新中心
    "provincial_tic",  # 省级技术创新中心
    "municipal_tic",  # 市级技术创新中心
    "key_enterprise_institute",  # 市级重点企业研究院
    "enterprise_rd_center",  # 市级企业技术研发中心
]

# The registry lifecycle states; the funding service keeps a projection of them.
Status = Literal[
    "draft",
    "submitted",
    "under_review",
    "reviewed",
    "decided",
    "rejected",
    "withdrawn",
    "public_notice",
    "objection_review",
    "building",
    "operating",
    "cancelled",
    "delisted",
]

LeadUnitType = Literal["enterprise", "university", "research_institute", "other"]

Grade = Literal["excellent", "good", "qualified", "unqualified"]

# One-off award events, in the words of 003 §4(3): a municipal TIC established (组建), a center recognised as
# provincial or national TIC (认定为省级、国家级技术创新中心).
Trigger = Literal["municipal_tic_established", "recognized_as_provincial_tic", "recognized_as_national_tic"]

TIERS: tuple[str, ...] = get_args(Tier)
STATUSES: tuple[str, ...] = get_args(Status)
LEAD_UNIT_TYPES: tuple[str, ...] = get_args(LeadUnitType)
GRADES: tuple[str, ...] = get_args(Grade)
TRIGGERS: tuple[str, ...] = get_args(Trigger)
