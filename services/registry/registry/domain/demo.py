"""Deterministic demo centers (示例数据) and the lifecycle actions that bring each to its stage."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from registry.domain.credit_code import check_character
from registry.domain.lifecycle import Action, ApprovalCheck, Outcome, State, Step, public_notice_end
from registry.domain.naming import Domain, add_years, construction_end, official_names
from registry.domain.policy import (
    District,
    Field,
    LeadUnitType,
    Milestone,
    Origin,
    Tier,
    jurisdiction_of_district,
    plan_outline,
    registry_policy,
)
from tic_shared.jurisdictions import jurisdictions

DEFAULT_SEED = 20240612
# The day the demo world stands at: every action is dated on or before it.
AS_OF = date(2026, 6, 30)
FIRST_DAY = date(2023, 1, 1)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tic-platform.invalid/registry/demo")


# --- what a demo center is made of ---------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A lead unit or co-builder (依托单位 / 共建单位)."""

    name: str
    credit_code: str
    type: LeadUnitType
    district: str


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    role: str


@dataclass(frozen=True)
class Recommender:
    """Who recommended the application (推荐单位): a district government or committee, or a department."""

    kind: str
    name: str
    district: str | None


@dataclass(frozen=True)
class PlanItem:
    code: str
    title_zh: str
    text: str


@dataclass(frozen=True)
class PlanSection:
    """One section of the construction plan, following plan-outline.toml."""

    number: int
    code: str
    title_zh: str
    text: str
    items: tuple[PlanItem, ...] = ()


@dataclass(frozen=True)
class EndTargets:
    transfer_bases: int
    partner_enterprises: int
    spinoffs: int
    enterprises_served: int


@dataclass(frozen=True)
class ResponsibilityTargets:
    """The targets of the construction responsibility letter (建设责任书); money in fen."""

    year_2: Milestone
    year_5: Milestone
    end_of_construction: EndTargets


@dataclass(frozen=True)
class Member:
    name: str
    title: str
    affiliation: str
    role: str


@dataclass(frozen=True)
class GovernanceBody:
    """council (理事会), director (主任), chief_scientist (首席科学家) or expert_committee (专家委员会)."""

    kind: str
    members: tuple[Member, ...]
    term_start: date
    term_end: date


@dataclass(frozen=True)
class Base:
    """The core (强核心) or one of the bases (多基地) of a center."""

    kind: str
    name: str
    district: str
    address: str
    host_unit: str


@dataclass(frozen=True)
class Actor:
    role: str
    name: str


@dataclass(frozen=True)
class ExpertReview:
    """The expert panel's review (论证) of the construction plan."""

    passed: bool
    score: int
    opinion: str
    experts: tuple[str, ...]


@dataclass(frozen=True)
class DemoStep:
    """One lifecycle action, with what the service needs to record it."""

    action: Action
    on: date
    actor: Actor
    outcome: Outcome | None = None
    reason: str | None = None
    meeting_ref: str | None = None
    document_no: str | None = None
    review: ExpertReview | None = None
    objection: str | None = None
    from_tier: Tier | None = None
    to_tier: Tier | None = None
    construction_years: int | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCenter:
    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    domain: Domain
    field: Field
    industrial_chain: str
    tier: Tier
    district: str
    origin: Origin
    recommender: Recommender | None
    lead_unit: Unit
    co_builders: tuple[Unit, ...]
    contacts: tuple[Contact, ...]
    plan: tuple[PlanSection, ...]
    targets: ResponsibilityTargets
    governance: tuple[GovernanceBody, ...]
    bases: tuple[Base, ...]
    independent_legal_person: bool
    created_on: date
    steps: tuple[DemoStep, ...]
    final_state: State

    @property
    def final_tier(self) -> Tier:
        """The tier after the last tier change, if any."""
        changes = [s.to_tier for s in self.steps if s.action == Action.CHANGE_TIER and s.to_tier]
        return changes[-1] if changes else self.tier


def lifecycle_steps(center: DemoCenter) -> list[Step]:
    """The center's actions as lifecycle Steps, approval carrying its guard's facts."""
    steps: list[Step] = []
    notice_start: date | None = None
    dismissed: date | None = None
    for s in center.steps:
        approval = None
        if s.action == Action.START_PUBLIC_NOTICE:
            notice_start = s.on
        if s.action == Action.RESOLVE_OBJECTION and s.outcome == Outcome.DISMISSED:
            dismissed = s.on
        if s.action == Action.APPROVE:
            assert notice_start is not None, "approval without a public notice"
            end = public_notice_end(jurisdiction_of_district(center.district), notice_start, last_dismissal=dismissed)
            approval = ApprovalCheck(today=s.on, notice_end=end, open_objections=0)
        steps.append(Step(s.action, s.outcome, approval))
    return steps


# --- the centers: domain, field, chain, district, tier, lead unit type, scenario, origin -------------------

# The Ningbo districts of 002 attachment 4 the demo spreads its centers and co-builders over, in a fixed order so
# that the same seed gives the same centers whatever else the jurisdiction files list.
DEMO_DISTRICTS = (
    "haishu", "jiangbei", "zhenhai", "yinzhou", "beilun", "fenghua", "yuyao", "cixi", "ninghai", "xiangshan",
    "high_tech_zone", "hangzhou_bay", "meishan", "daxie",
)  # fmt: skip

_NM, _II, _KC = Field.NEW_MATERIALS, Field.INDUSTRIAL_INTERNET, Field.KEY_CORE_COMPONENTS
_MT, _KEI, _RD = Tier.MUNICIPAL_TIC, Tier.KEY_ENTERPRISE_INSTITUTE, Tier.ENTERPRISE_RD_CENTER
_ENT, _UNI, _INS, _OTH = (
    LeadUnitType.ENTERPRISE,
    LeadUnitType.UNIVERSITY,
    LeadUnitType.RESEARCH_INSTITUTE,
    LeadUnitType.OTHER,
)
_REC, _INI = Origin.RECOMMENDED, Origin.MUNICIPAL_INITIATIVE

_SPECS: tuple[tuple[str, str, Field, str, str, Tier, LeadUnitType, str, Origin], ...] = (
    (
        "先进高分子材料",
        "Advanced Polymer Materials",
        _NM,
        "绿色石化",
        "zhenhai",
        _MT,
        _ENT,
        "to_national",
        _REC,
    ),
    (
        "稀土永磁材料",
        "Rare-Earth Permanent Magnet Materials",
        _NM,
        "新型功能材料",
        "yinzhou",
        _MT,
        _ENT,
        "to_provincial",
        _REC,
    ),
    ("石墨烯", "Graphene", _NM, "新型功能材料", "high_tech_zone", _MT, _INS, "operating", _INI),
    (
        "高性能碳纤维及复合材料",
        "High-Performance Carbon Fiber and Composite Materials",
        _NM,
        "新型功能材料",
        "zhenhai",
        _MT,
        _ENT,
        "building",
        _REC,
    ),
    ("电子化学品", "Electronic Chemicals", _NM, "绿色石化", "beilun", _MT, _ENT, "public_notice", _REC),
    (
        "高端金属合金材料",
        "Advanced Metal Alloy Materials",
        _NM,
        "新型金属材料",
        "jiangbei",
        _MT,
        _ENT,
        "building_short",
        _REC,
    ),
    ("光学膜材料", "Optical Film Materials", _NM, "光学电子", "yuyao", _MT, _ENT, "objection_open", _REC),
    (
        "新能源电池材料",
        "New Energy Battery Materials",
        _NM,
        "新能源",
        "hangzhou_bay",
        _MT,
        _ENT,
        "building_after_dismissal",
        _REC,
    ),
    (
        "海洋功能材料",
        "Marine Functional Materials",
        _NM,
        "海洋经济",
        "meishan",
        _MT,
        _INS,
        "under_review",
        _INI,
    ),
    ("生物基材料", "Bio-Based Materials", _NM, "绿色石化", "daxie", _MT, _ENT, "review_failed", _REC),
    ("高端聚烯烃", "High-End Polyolefin", _NM, "绿色石化", "zhenhai", _MT, _ENT, "decided", _REC),
    (
        "先进陶瓷材料",
        "Advanced Ceramic Materials",
        _NM,
        "新型功能材料",
        "ninghai",
        _MT,
        _UNI,
        "reviewed",
        _REC,
    ),
    ("溅射靶材", "Sputtering Target Materials", _NM, "集成电路", "yuyao", _MT, _ENT, "delisted", _REC),
    ("工业软件", "Industrial Software", _II, "工业软件", "high_tech_zone", _MT, _ENT, "to_provincial", _INI),
    ("工业大数据", "Industrial Big Data", _II, "数字经济", "yinzhou", _MT, _UNI, "building", _REC),
    (
        "工业物联网",
        "Industrial Internet of Things",
        _II,
        "数字经济",
        "jiangbei",
        _MT,
        _ENT,
        "operating",
        _REC,
    ),
    ("数字孪生", "Digital Twin", _II, "智能制造", "haishu", _MT, _ENT, "submitted", _REC),
    ("工业信息安全", "Industrial Information Security", _II, "数字经济", "haishu", _MT, _ENT, "draft", _REC),
    ("机器视觉", "Machine Vision", _II, "智能制造", "cixi", _MT, _ENT, "notice_after_dismissal", _REC),
    (
        "工业无线通信",
        "Industrial Wireless Communication",
        _II,
        "数字经济",
        "beilun",
        _MT,
        _OTH,
        "under_review",
        _REC,
    ),
    (
        "智能网联汽车",
        "Intelligent Connected Vehicle",
        _II,
        "汽车及零部件",
        "hangzhou_bay",
        _MT,
        _ENT,
        "objection_upheld",
        _REC,
    ),
    (
        "供应链协同",
        "Supply Chain Collaboration",
        _II,
        "现代物流",
        "meishan",
        _MT,
        _ENT,
        "under_review_withdrawn",
        _REC,
    ),
    (
        "流程工业智能控制",
        "Process Industry Intelligent Control",
        _II,
        "绿色石化",
        "zhenhai",
        _MT,
        _INS,
        "cancelled",
        _REC,
    ),
    ("高端轴承", "High-End Bearing", _KC, "高端装备", "cixi", _MT, _ENT, "building", _REC),
    (
        "精密液压件",
        "Precision Hydraulic Components",
        _KC,
        "高端装备",
        "fenghua",
        _MT,
        _ENT,
        "acceptance_failed",
        _REC,
    ),
    ("汽车电子", "Automotive Electronics", _KC, "汽车及零部件", "beilun", _MT, _ENT, "building", _REC),
    (
        "集成电路封装",
        "Integrated Circuit Packaging",
        _KC,
        "集成电路",
        "high_tech_zone",
        _MT,
        _ENT,
        "objection_open",
        _REC,
    ),
    (
        "伺服电机与驱动",
        "Servo Motor and Drive",
        _KC,
        "智能装备",
        "yuyao",
        _MT,
        _ENT,
        "decision_rejected",
        _REC,
    ),
    ("精密模具", "Precision Mould", _KC, "模具", "ninghai", _KEI, _ENT, "building", _REC),
    ("高端紧固件", "High-End Fastener", _KC, "汽车及零部件", "haishu", _RD, _ENT, "submitted", _REC),
    ("传感器", "Sensor", _KC, "智能装备", "jiangbei", _MT, _UNI, "launch_declined", _REC),
    ("功率半导体", "Power Semiconductor", _KC, "集成电路", "yinzhou", _MT, _ENT, "reviewed_withdrawn", _INI),
    ("机器人核心部件", "Robot Core Components", _KC, "智能装备", "yuyao", _MT, _ENT, "decided", _REC),
    (
        "新能源汽车电驱动",
        "New Energy Vehicle Electric Drive",
        _KC,
        "汽车及零部件",
        "hangzhou_bay",
        _MT,
        _ENT,
        "public_notice",
        _REC,
    ),
    ("气动元件", "Pneumatic Components", _KC, "高端装备", "fenghua", _RD, _ENT, "operating", _REC),
    ("光电器件", "Optoelectronic Devices", _KC, "光学电子", "yuyao", _KEI, _ENT, "draft_withdrawn", _REC),
    ("智能家电控制", "Smart Appliance Control", _II, "智能家电", "cixi", _KEI, _ENT, "submitted", _REC),
    (
        "纺织智能装备",
        "Intelligent Textile Equipment",
        _KC,
        "时尚纺织服装",
        "fenghua",
        _RD,
        _ENT,
        "under_review",
        _REC,
    ),
    (
        "船舶与海洋工程装备",
        "Marine Engineering Equipment",
        _KC,
        "海洋经济",
        "xiangshan",
        _MT,
        _ENT,
        "reviewed",
        _REC,
    ),
    ("海洋生物材料", "Marine Biomaterials", _NM, "海洋经济", "xiangshan", _RD, _ENT, "draft", _REC),
    ("智能成型装备", "Intelligent Forming Equipment", _KC, "高端装备", "beilun", _MT, _ENT, "draft", _REC),
)

# Where each scenario's first date falls (creation), and where the center ends up.
_WINDOWS: dict[str, tuple[date, date, State]] = {
    "draft": (date(2026, 4, 1), date(2026, 6, 20), State.DRAFT),
    "draft_withdrawn": (date(2025, 9, 1), date(2025, 12, 31), State.WITHDRAWN),
    "submitted": (date(2026, 4, 15), date(2026, 5, 31), State.SUBMITTED),
    "under_review": (date(2026, 2, 1), date(2026, 3, 31), State.UNDER_REVIEW),
    "under_review_withdrawn": (date(2025, 3, 1), date(2025, 5, 31), State.WITHDRAWN),
    "reviewed": (date(2026, 1, 5), date(2026, 2, 28), State.REVIEWED),
    "reviewed_withdrawn": (date(2024, 6, 1), date(2024, 8, 31), State.WITHDRAWN),
    "decided": (date(2025, 12, 15), date(2026, 1, 31), State.DECIDED),
    "review_failed": (date(2024, 2, 1), date(2024, 4, 30), State.REJECTED),
    "decision_rejected": (date(2024, 9, 1), date(2024, 10, 31), State.REJECTED),
    "objection_upheld": (date(2025, 3, 1), date(2025, 4, 30), State.REJECTED),
    "launch_declined": (date(2025, 6, 1), date(2025, 7, 15), State.REJECTED),
    "public_notice": (date(2026, 3, 1), date(2026, 3, 5), State.PUBLIC_NOTICE),
    "notice_after_dismissal": (date(2026, 2, 20), date(2026, 2, 25), State.PUBLIC_NOTICE),
    "objection_open": (date(2026, 2, 25), date(2026, 3, 1), State.OBJECTION_REVIEW),
    "building": (date(2023, 3, 1), date(2025, 10, 31), State.BUILDING),
    "building_after_dismissal": (date(2024, 1, 1), date(2024, 12, 31), State.BUILDING),
    "to_provincial": (date(2023, 2, 1), date(2024, 3, 31), State.BUILDING),
    "to_national": (date(2023, 1, 10), date(2023, 6, 30), State.BUILDING),
    "building_short": (date(2023, 5, 1), date(2023, 6, 15), State.BUILDING),
    "operating": (date(2023, 1, 3), date(2023, 1, 31), State.OPERATING),
    "acceptance_failed": (date(2023, 1, 3), date(2023, 1, 31), State.CANCELLED),
    "cancelled": (date(2023, 6, 1), date(2023, 9, 30), State.CANCELLED),
    "delisted": (date(2023, 1, 3), date(2023, 3, 31), State.DELISTED),
}
# Stages whose last action should fall a few days before AS_OF (a notice running now): shifted to end there.
_ANCHORED_TO_AS_OF = {"public_notice": 3, "notice_after_dismissal": 1, "objection_open": 2}
# A construction period shorter than the normal one, so acceptance falls inside the demo's years.
_SHORT_PERIOD_YEARS = 3
_SHORT_PERIOD = {"building_short", "operating", "acceptance_failed"}

# --- vocabularies for realistic names -----------------------------------------------------------------------


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """'汉字:pinyin' words, space-separated."""
    return tuple((zh, pinyin) for zh, pinyin in (word.split(":") for word in text.split()))


_SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 周:zhou 吴:wu "
    "徐:xu 孙:sun 胡:hu 朱:zhu 高:gao 林:lin 何:he 郭:guo 马:ma 罗:luo 梁:liang "
    "宋:song 郑:zheng 谢:xie 韩:han 唐:tang 冯:feng 董:dong 程:cheng 曹:cao 袁:yuan "
    "邓:deng 傅:fu 沈:shen 曾:zeng 彭:peng 蒋:jiang 蔡:cai 丁:ding 魏:wei 叶:ye "
    "潘:pan 杜:du 戴:dai 夏:xia 钟:zhong 汪:wang 任:ren 范:fan 方:fang 姚:yao 金:jin "
    "陆:lu 邵:shao 应:ying 俞:yu 竺:zhu 虞:yu 柴:chai 毛:mao"
)
_GIVEN = _pairs(
    "伟:wei 芳:fang 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong "
    "艳:yan 杰:jie 涛:tao 明:ming 超:chao 霞:xia 平:ping 刚:gang 辉:hui 鹏:peng "
    "华:hua 飞:fei 斌:bin 宇:yu 浩:hao 凯:kai 健:jian 俊:jun 旭:xu 宁:ning 欢:huan "
    "阳:yang 建:jian 国:guo 晨:chen 倩:qian 婷:ting 雪:xue 琳:lin 颖:ying 博:bo "
    "文:wen 海:hai 波:bo 卓:zhuo 睿:rui 思:si 嘉:jia 志:zhi 振:zhen 立:li 新:xin "
    "晓:xiao 亮:liang"
)
_BRANDS = _pairs(
    "甬辰:yongchen 海曜:haiyao 明峰:mingfeng 恒锐:hengrui 天衡:tianheng 江屿:jiangyu "
    "博瀚:bohan 启晟:qisheng 瀚澄:hancheng 鼎昇:dingsheng 曜石:yaoshi 澜舟:lanzhou "
    "越辰:yuechen 星港:xinggang 锐祺:ruiqi 昊宇:haoyu 瑞澜:ruilan 东曦:dongxi "
    "甬翔:yongxiang 四明:siming 慈航:cihang 镇远:zhenyuan 溪口:xikou 丹山:danshan "
    "姚江:yaojiang 月湖:yuehu 天童:tiantong 梅墟:meixu 九龙:jiulong 凤麓:fenglu "
    "北斗:beidou 海晏:haiyan 清源:qingyuan 中恒:zhongheng 华瓯:huaou 远帆:yuanfan "
    "致远:zhiyuan 麟越:linyue 舜耕:shungeng 甬涛:yongtao 禾川:hechuan 蓝湾:lanwan "
    "玄德:xuande 沧澜:canglan 景曜:jingyao 泓锦:hongjin 晟源:shengyuan 乾润:qianrun "
    "万泓:wanhong 嘉泽:jiaze"
)
_INDUSTRY = {
    Field.NEW_MATERIALS: ("新材料科技", "高分子材料", "先进材料科技", "化工新材料"),
    Field.INDUSTRIAL_INTERNET: ("智能科技", "工业互联网科技", "数字科技", "信息技术"),
    Field.KEY_CORE_COMPONENTS: ("精密机械", "智能装备", "电子科技", "传动科技"),
}
_COMPANY_SUFFIX = ("股份有限公司", "有限公司", "集团有限公司")
_UNIVERSITIES = (
    ("宁波海湾理工大学", "nbhwut.edu.cn"),
    ("宁波四明科技大学", "smust.edu.cn"),
    ("甬江工程技术学院", "yjeti.edu.cn"),
    ("宁波三江理工学院", "sjit.edu.cn"),
    ("浙东海洋大学宁波校区", "zdou.edu.cn"),
)
_INSTITUTE_KINDS = {
    Field.NEW_MATERIALS: ("先进材料研究院", "海洋材料研究院", "产业技术研究院"),
    Field.INDUSTRIAL_INTERNET: ("工业技术研究院", "智能制造研究院", "产业技术研究院"),
    Field.KEY_CORE_COMPONENTS: ("智能制造研究院", "精密制造研究院", "产业技术研究院"),
}
_ROADS = ("聚贤路", "院士路", "扬帆路", "江南路", "中官西路", "甬江大道", "学府路", "启运路", "创业大道",
          "滨海大道", "科技大道", "兴业路", "创新路", "明州大道")  # fmt: skip
_TITLES_ACADEMIC = ("教授", "研究员", "中国工程院院士", "中国科学院院士", "教授级高级工程师", "博士生导师")
_TITLES_BUSINESS = ("董事长", "总经理", "首席技术官", "研发总监", "副总经理")
_MUNICIPAL_DEPARTMENTS = ("宁波市经济和信息化局", "宁波市发展和改革委员会", "宁波市教育局")
_REVIEW_OPINIONS_PASSED = (
    "建设方案目标明确、布局合理，依托单位基础扎实，同意通过论证。",
    "方案聚焦产业链关键环节，协同机制清晰，建议完善考核指标后实施。",
    "依托单位创新能力突出，共建单位优势互补，专家组一致同意通过。",
)
_REVIEW_OPINIONS_FAILED = (
    "建设目标与产业需求结合不够紧密，投入保障不足，未通过论证。",
    "依托单位研发基础薄弱，核心团队尚未组建，建议完善后再行申报。",
)
_WITHDRAW_REASONS = (
    "牵头单位战略调整，主动撤回申请",
    "共建单位发生变更，需重新编制建设方案",
    "拟并入省级创新平台统筹建设，撤回市级申请",
)
_OBJECTIONS = (
    "反映牵头单位申报材料中研发投入数据与审计报告不一致",
    "反映共建单位未实际参与方案编制",
    "反映拟任首席科学家兼职情况未如实申报",
)


# --- the generator ------------------------------------------------------------------------------------------


def generate_demo_centers(seed: int = DEFAULT_SEED) -> list[DemoCenter]:
    """About 40 demo centers across districts, tiers and lifecycle stages; same seed, same centers."""
    return _Generator(seed).centers()


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.policy = registry_policy()
        # The demo registry is Ningbo's: its centers are all in Ningbo's districts (see DEMO_DISTRICTS).
        self.ningbo = jurisdictions()["ningbo"]
        self.used_emails: set[str] = set()
        self.used_brands: list[tuple[str, str]] = list(_BRANDS)
        self.rng.shuffle(self.used_brands)
        self.used_names: set[str] = set()

    def centers(self) -> list[DemoCenter]:
        centers = [self._center(i, spec) for i, spec in enumerate(_SPECS, start=1)]
        return _number_documents(centers)

    # -- one center --

    def _center(
        self, index: int, spec: tuple[str, str, Field, str, str, Tier, LeadUnitType, str, Origin]
    ) -> DemoCenter:
        domain_zh, domain_en, field, chain, district_code, tier, lead_type, scenario, origin = spec
        district = self.policy.districts[district_code]
        key = f"demo-{index:02d}"
        brand = self.used_brands[(index - 1) % len(self.used_brands)]
        lead = self._lead_unit(brand, field, lead_type, district)
        domain = Domain(domain_zh, domain_en)
        name_zh, name_en = self._names(tier, field, domain, brand)
        co_builders = self._co_builders(lead, field)
        start_low, start_high, final_state = _WINDOWS[scenario]
        created_on, steps = self._steps(scenario, self._date_between(start_low, start_high), tier, key)
        governance_start = next((s.on for s in steps if s.action == Action.APPROVE), created_on)
        return DemoCenter(
            id=uuid.uuid5(_NAMESPACE, key),
            key=key,
            name_zh=name_zh,
            name_en=name_en,
            domain=domain,
            field=field,
            industrial_chain=chain,
            tier=tier,
            district=district.code,
            origin=origin,
            recommender=self._recommender(origin, lead_type, field, district),
            lead_unit=lead,
            co_builders=co_builders,
            contacts=self._contacts(lead),
            plan=self._plan(domain_zh, chain, lead, co_builders),
            targets=self._targets(tier),
            governance=self._governance(lead, co_builders, governance_start),
            bases=self._bases(name_zh, lead, co_builders),
            independent_legal_person=scenario != "building_short" and self.rng.random() < 0.5,
            created_on=created_on,
            steps=tuple(steps),
            final_state=final_state,
        )

    def _names(self, tier: Tier, field: Field, domain: Domain, brand: tuple[str, str]) -> tuple[str, str]:
        if tier in (Tier.MUNICIPAL_TIC, Tier.PROVINCIAL_TIC, Tier.NATIONAL_TIC):
            names = official_names(self.ningbo, field, domain)
            return names.zh, names.en
        brand_en = brand[1].capitalize()
        if tier == Tier.KEY_ENTERPRISE_INSTITUTE:
            return (
                f"宁波市{brand[0]}{domain.zh}重点企业研究院",
                f"Ningbo Municipal {brand_en} Key Enterprise Research Institute of {domain.en}",
            )
        return (
            f"宁波市{brand[0]}{domain.zh}企业技术研发中心",
            f"Ningbo Municipal {brand_en} Enterprise R&D Center of {domain.en}",
        )

    # -- units --

    def _lead_unit(self, brand: tuple[str, str], field: Field, unit_type: LeadUnitType, district: District) -> Unit:
        if unit_type == LeadUnitType.ENTERPRISE:
            name = f"宁波{brand[0]}{self.rng.choice(_INDUSTRY[field])}{self.rng.choice(_COMPANY_SUFFIX)}"
        elif unit_type == LeadUnitType.UNIVERSITY:
            name = self._unused(u for u, _web in _UNIVERSITIES)
        elif unit_type == LeadUnitType.RESEARCH_INSTITUTE:
            name = f"宁波{brand[0]}{self.rng.choice(_INSTITUTE_KINDS[field])}"
        else:
            name = f"宁波市{brand[0]}产业技术创新联盟"
        self.used_names.add(name)
        return Unit(name, self._credit_code(unit_type, district), unit_type, district.code)

    def _co_builders(self, lead: Unit, field: Field) -> tuple[Unit, ...]:
        units: list[Unit] = []
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.choice((LeadUnitType.ENTERPRISE, LeadUnitType.UNIVERSITY, LeadUnitType.RESEARCH_INSTITUTE))
            where = self.policy.districts[self.rng.choice(DEMO_DISTRICTS)]
            brand = self.rng.choice(_BRANDS)
            if kind == LeadUnitType.UNIVERSITY:
                name = self.rng.choice(_UNIVERSITIES)[0]
            elif kind == LeadUnitType.RESEARCH_INSTITUTE:
                name = f"宁波{brand[0]}{self.rng.choice(_INSTITUTE_KINDS[field])}"
            else:
                industry = self.rng.choice([w for words in _INDUSTRY.values() for w in words])
                name = f"宁波{brand[0]}{industry}有限公司"
            if name == lead.name or any(u.name == name for u in units):
                continue
            units.append(Unit(name, self._credit_code(kind, where), kind, where.code))
        return tuple(units)

    def _credit_code(self, unit_type: LeadUnitType, district: District) -> str:
        """A GB 32100 code: registering authority and category, division, organisation code, check."""
        prefix = {
            LeadUnitType.ENTERPRISE: "91",  # market regulator, company
            LeadUnitType.UNIVERSITY: "12",  # establishment authority, public institution
            LeadUnitType.RESEARCH_INSTITUTE: self.rng.choice(("12", "52")),  # or civil-affairs private non-profit
            LeadUnitType.OTHER: "51",  # civil affairs, social organisation
        }[unit_type]
        # Functional zones have no division code of their own; their units register with the city.
        division = district.division_code or "330200"
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        body = ("MA2" if prefix == "91" else "") + "".join(
            self.rng.choice(alphabet) for _ in range(8 - (3 if prefix == "91" else 0))
        )
        first17 = prefix + division + body + _organisation_check(body)
        return first17 + check_character(first17)

    # -- people --

    def _person(self) -> tuple[str, str]:
        surname, given = (
            self.rng.choice(_SURNAMES),
            [self.rng.choice(_GIVEN) for _ in range(self.rng.randint(1, 2))],
        )
        return surname[0] + "".join(g[0] for g in given), surname[1] + "".join(g[1] for g in given)

    def _contacts(self, lead: Unit) -> tuple[Contact, ...]:
        web = self._web_domain(lead)
        roles = ["liaison", "project_lead"] + (["finance_officer"] if self.rng.random() < 0.5 else [])
        contacts = []
        for role in roles:
            name, pinyin = self._person()
            email = f"{pinyin}@{web}"
            n = 2
            while email in self.used_emails:
                email, n = f"{pinyin}{n}@{web}", n + 1
            self.used_emails.add(email)
            phone = "1" + self.rng.choice(("35", "36", "37", "38", "39", "58", "59", "80", "86", "88", "89"))
            phone += "".join(str(self.rng.randint(0, 9)) for _ in range(8))
            contacts.append(Contact(name, email, phone, role))
        return tuple(contacts)

    def _web_domain(self, unit: Unit) -> str:
        for name, web in _UNIVERSITIES:
            if unit.name == name:
                return web
        for brand, pinyin in _BRANDS:
            if brand in unit.name:
                return f"{pinyin}.com.cn" if unit.type == LeadUnitType.ENTERPRISE else f"{pinyin}.org.cn"
        return "example.cn"

    def _recommender(
        self, origin: Origin, lead_type: LeadUnitType, field: Field, district: District
    ) -> Recommender | None:
        if origin not in self.policy.recommender_required:
            return None
        if lead_type == LeadUnitType.UNIVERSITY:
            return Recommender("municipal_department", _MUNICIPAL_DEPARTMENTS[2], None)
        if field == Field.INDUSTRIAL_INTERNET and self.rng.random() < 0.3:
            return Recommender("municipal_department", _MUNICIPAL_DEPARTMENTS[0], None)
        if district.kind == "functional_zone":
            return Recommender("district_government", f"{district.zh}管理委员会", district.code)
        return Recommender("district_government", f"{district.zh}人民政府", district.code)

    # -- content --

    def _plan(self, domain: str, chain: str, lead: Unit, co: tuple[Unit, ...]) -> tuple[PlanSection, ...]:
        partners = "、".join(u.name for u in co) or "产业链上下游单位"
        texts = {
            "basis_and_significance": f"{lead.name}在{domain}领域深耕多年，拥有省级以上研发平台，"
            f"牵头建设有助于突破{chain}产业链关键技术瓶颈。",
            "overall_approach": f"以{domain}关键共性技术攻关为主线，打造从科学到技术转化的创新平台。",
            "layout": f"采用“强核心、多基地、网络化”架构，核心设在{lead.name}，联合{partners}共建基地。",
            "tasks": f"突破{domain}领域“卡脖子”技术3至5项，形成进口替代能力，服务{chain}产业链企业。",
            "management": "实行理事会决策制、中心主任负责制、首席科学家执行制和专家咨询委员会咨询制。",
            "safeguards": "依托单位承担主要投入责任，财政补助资金单独设账、专账核算。",
            "schedule": "第1年完成组建和团队集聚，第2年形成攻关能力，第5年基本建成一流创新平台。",
        }
        items = {
            "guiding_ideology": "坚持创新驱动发展，聚焦三大科创高地。",
            "strategic_positioning": f"建成{domain}领域国内一流的技术创新策源地。",
            "principles": "目标导向、开放协同、市场运作、绩效管理。",
            "goals": "2年内基本形成攻克“卡脖子”技术能力，5年内基本建成一流重大技术创新平台。",
            "organisation": "设理事会、中心主任、首席科学家和专家咨询委员会。",
            "operation": "推行项目经理制、“揭榜挂帅”和赛马制，建立知识产权共享机制。",
        }
        return tuple(
            PlanSection(
                s.number,
                s.code,
                s.zh,
                texts[s.code],
                tuple(PlanItem(i.code, i.zh, items[i.code]) for i in s.items),
            )
            for s in plan_outline()
        )

    def _targets(self, tier: Tier) -> ResponsibilityTargets:
        # Enterprise R&D bodies carry lighter letters than a TIC; TICs often commit beyond the guide.
        scale = 1.0 if tier in (Tier.MUNICIPAL_TIC, Tier.PROVINCIAL_TIC, Tier.NATIONAL_TIC) else 0.2
        factor = scale * self.rng.choice((1.0, 1.0, 1.2, 1.5))
        wan = 1_000_000  # 10,000 CNY in fen: letters state money in 万元

        def milestone(m: Milestone) -> Milestone:
            return Milestone(
                investment_fen=round(m.investment_fen * factor / wan) * wan,
                team=max(1, round(m.team * factor)),
                high_level_teams=max(1, round(m.high_level_teams * factor)),
                clause="responsibility letter",
            )

        end = self.policy.end_of_construction
        return ResponsibilityTargets(
            year_2=milestone(self.policy.year_2),
            year_5=milestone(self.policy.year_5),
            end_of_construction=EndTargets(
                transfer_bases=max(1, round(end.transfer_bases * factor)),
                partner_enterprises=max(1, round(end.partner_enterprises * factor)),
                spinoffs=max(1, round(end.spinoffs * factor)),
                enterprises_served=max(1, round(end.enterprises_served * factor)),
            ),
        )

    def _member(self, affiliations: list[str], role: str, academic: bool | None = None) -> Member:
        name, _ = self._person()
        is_academic = self.rng.random() < 0.6 if academic is None else academic
        title = self.rng.choice(_TITLES_ACADEMIC if is_academic else _TITLES_BUSINESS)
        return Member(name, title, self.rng.choice(affiliations), role)

    def _governance(self, lead: Unit, co: tuple[Unit, ...], start: date) -> tuple[GovernanceBody, ...]:
        units = [lead.name, *(u.name for u in co)]
        outside = [n for n, _web in _UNIVERSITIES] + [
            "宁波市科学技术局",
            "中国科学院宁波材料技术与工程研究所",
        ]
        term = add_years(start, 3)
        council = (
            Member(self._person()[0], "董事长", lead.name, "chair"),
            *(self._member(units, "member") for _ in range(self.rng.randint(4, 8))),
        )
        director = (self._member([lead.name], "director", academic=False),)
        chiefs = tuple(self._member(units, "chief_scientist", academic=True) for _ in range(self.rng.randint(1, 2)))
        experts = (
            self._member(outside, "chair", academic=True),
            *(self._member(outside, "member") for _ in range(self.rng.randint(4, 8))),
        )
        return (
            GovernanceBody("council", council, start, term),
            GovernanceBody("director", director, start, term),
            GovernanceBody("chief_scientist", chiefs, start, term),
            GovernanceBody("expert_committee", experts, start, term),
        )

    def _bases(self, center_name: str, lead: Unit, co: tuple[Unit, ...]) -> tuple[Base, ...]:
        districts = self.policy.districts
        bases = [
            Base(
                "core",
                f"{center_name}（核心区）",
                lead.district,
                f"{districts[lead.district].zh}{self.rng.choice(_ROADS)}{self.rng.randint(1, 999)}号",
                lead.name,
            )
        ]
        for unit in co[: self.rng.randint(0, min(3, len(co)))]:
            bases.append(
                Base(
                    "base",
                    f"{center_name}{districts[unit.district].zh}基地",
                    unit.district,
                    f"{districts[unit.district].zh}{self.rng.choice(_ROADS)}{self.rng.randint(1, 999)}号",
                    unit.name,
                )
            )
        return tuple(bases)

    # -- the lifecycle --

    def _steps(self, scenario: str, created_on: date, tier: Tier, key: str) -> tuple[date, list[DemoStep]]:
        """The creation date and the actions that bring a center created then to the scenario's stage."""
        t = _Clock(created_on, self.rng)
        steps: list[DemoStep] = []
        center_user = Actor("center_user", "lead unit liaison")
        reviewer = Actor("bureau_reviewer", "市科技局")
        admin = Actor("bureau_admin", "市科技局")
        service = Actor("service", "evaluation")

        def add(action: Action, gap: tuple[int, int], **fields: Any) -> DemoStep:
            step = DemoStep(action=action, on=t.advance(*gap), **fields)
            steps.append(step)
            return step

        def withdraw() -> None:
            add(Action.WITHDRAW, (20, 60), actor=center_user, reason=self.rng.choice(_WITHDRAW_REASONS))

        if scenario == "draft":
            return created_on, steps
        if scenario == "draft_withdrawn":
            withdraw()
            return created_on, steps
        add(Action.SUBMIT, (5, 20), actor=center_user)
        if scenario == "submitted":
            return created_on, steps
        add(Action.START_REVIEW, (7, 20), actor=reviewer)
        if scenario in ("under_review", "under_review_withdrawn"):
            if scenario.endswith("withdrawn"):
                withdraw()
            return created_on, steps
        failed = scenario == "review_failed"
        add(
            Action.REVIEW,
            (20, 45),
            actor=reviewer,
            outcome=Outcome.FAILED if failed else Outcome.PASSED,
            review=self._review(passed=not failed),
        )
        if scenario in ("review_failed", "reviewed", "reviewed_withdrawn"):
            if scenario.endswith("withdrawn"):
                withdraw()
            return created_on, steps
        rejected = scenario == "decision_rejected"
        decision = add(
            Action.DECIDE,
            (10, 30),
            actor=admin,
            outcome=Outcome.REJECTED if rejected else Outcome.APPROVED,
        )
        steps[-1] = replace(decision, meeting_ref=_meeting_ref(decision.on))
        if scenario in ("decided", "decision_rejected"):
            return created_on, steps
        notice = add(Action.START_PUBLIC_NOTICE, (3, 10), actor=admin)
        steps[-1] = replace(notice, document_no=f"甬科公示〔{notice.on.year}〕{notice.on.timetuple().tm_yday}号")
        if scenario in (
            "objection_open",
            "objection_upheld",
            "notice_after_dismissal",
            "building_after_dismissal",
        ):
            add(Action.RAISE_OBJECTION, (1, 3), actor=admin, objection=self.rng.choice(_OBJECTIONS))
            if scenario != "objection_open":
                upheld = scenario == "objection_upheld"
                add(
                    Action.RESOLVE_OBJECTION,
                    (3, 6),
                    actor=admin,
                    outcome=Outcome.UPHELD if upheld else Outcome.DISMISSED,
                    reason="经核查，异议成立" if upheld else "经核查，相关情况属实说明充分，异议不成立",
                )
        if scenario in _ANCHORED_TO_AS_OF:
            delta = AS_OF - timedelta(days=_ANCHORED_TO_AS_OF[scenario]) - steps[-1].on
            return created_on + delta, [replace(s, on=s.on + delta) for s in steps]
        if scenario == "objection_upheld":
            return created_on, steps
        dismissed = steps[-1].on if steps[-1].action == Action.RESOLVE_OBJECTION else None
        t.at_least(public_notice_end(self.ningbo, notice.on, last_dismissal=dismissed))
        if scenario == "launch_declined":
            add(Action.REJECT, (0, 6), actor=admin, reason="市政府研究决定暂缓启动建设，不予批复")
            return created_on, steps
        years = _SHORT_PERIOD_YEARS if scenario in _SHORT_PERIOD else self.ningbo.construction_period.normal_years
        approval = add(Action.APPROVE, (0, 6), actor=admin, construction_years=years)
        approved_on = approval.on
        end = construction_end(self.ningbo, approved_on, years)
        if scenario in ("to_provincial", "to_national"):
            add(
                Action.CHANGE_TIER,
                (300, 420),
                actor=admin,
                from_tier=tier,
                to_tier=Tier.PROVINCIAL_TIC,
                reason="获批省级技术创新中心",
            )
            if scenario == "to_national":
                add(
                    Action.CHANGE_TIER,
                    (400, 480),
                    actor=admin,
                    from_tier=Tier.PROVINCIAL_TIC,
                    to_tier=Tier.NATIONAL_TIC,
                    reason="获批国家技术创新中心",
                )
        if scenario in ("operating", "acceptance_failed"):
            t.at_least(end)
            passed = scenario == "operating"
            add(
                Action.COMPLETE_ACCEPTANCE,
                (10, 25),
                actor=service,
                outcome=Outcome.PASSED if passed else Outcome.FAILED,
                reason="验收通过" if passed else "未按约定完成中心建设任务，取消创建资格",
                evidence=(str(uuid.uuid5(_NAMESPACE, f"{key}/acceptance")),),
            )
        if scenario == "cancelled":
            add(
                Action.CANCEL,
                (700, 800),
                actor=admin,
                reason="依托单位主要投入长期未到位，未按约定推进建设任务，取消创建资格",
            )
        if scenario == "delisted":
            t.at_least(date(2026, 4, 10))
            add(
                Action.DELIST,
                (0, 30),
                actor=service,
                reason="连续两次年度绩效评价不合格，予以摘牌",
                evidence=tuple(str(uuid.uuid5(_NAMESPACE, f"{key}/evaluation/{y}")) for y in (2024, 2025)),
            )
        return created_on, steps

    def _review(self, *, passed: bool) -> ExpertReview:
        experts = tuple(self._person()[0] for _ in range(self.rng.choice((5, 7, 9))))
        if passed:
            return ExpertReview(True, self.rng.randint(78, 94), self.rng.choice(_REVIEW_OPINIONS_PASSED), experts)
        return ExpertReview(False, self.rng.randint(52, 68), self.rng.choice(_REVIEW_OPINIONS_FAILED), experts)

    # -- helpers --

    def _date_between(self, low: date, high: date) -> date:
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def _unused(self, names: Iterable[str]) -> str:
        return self.rng.choice([n for n in names if n not in self.used_names])


class _Clock:
    """Dates moving forward by random gaps."""

    def __init__(self, start: date, rng: random.Random) -> None:
        self.today = start
        self.rng = rng

    def advance(self, low: int, high: int) -> date:
        self.today += timedelta(days=self.rng.randint(low, high))
        return self.today

    def at_least(self, day: date) -> None:
        self.today = max(self.today, day)


def _meeting_ref(day: date) -> str:
    # The executive meeting sits about every other week: number it by the fortnight of the year.
    return f"{day.year}年市政府第{day.timetuple().tm_yday // 14 + 1}次常务会议"


def _organisation_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (positions 9–16 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _number_documents(centers: list[DemoCenter]) -> list[DemoCenter]:
    """Give launch (甬政发) and tier documents numbers in date order within each year."""
    found = sorted(
        (s.on, ci, si)
        for ci, c in enumerate(centers)
        for si, s in enumerate(c.steps)
        if s.action in (Action.APPROVE, Action.CHANGE_TIER)
    )
    counters: dict[tuple[str, int], int] = {}
    patched: dict[int, list[DemoStep]] = {}
    for on, ci, si in found:
        step = centers[ci].steps[si]
        prefix = "甬政发"
        if step.action == Action.CHANGE_TIER:
            prefix = "国科发区" if step.to_tier == Tier.NATIONAL_TIC else "浙科发高"
        number = counters.get((prefix, on.year), 3 + ci % 5) + 1 + si % 4
        counters[(prefix, on.year)] = number
        patched.setdefault(ci, list(centers[ci].steps))[si] = replace(
            step, document_no=f"{prefix}〔{on.year}〕{number}号"
        )
    return [replace(c, steps=tuple(patched[i])) if i in patched else c for i, c in enumerate(centers)]
