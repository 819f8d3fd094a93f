"""The demo centers (示例数据), made from the data files: the same seed gives the same centers, names, people,
documents and dates; every act sequence is one the lifecycle allows."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from registry.demo import script
from registry.demo.data import DemoData, Spec, demo_data
from registry.demo.model import (
    Base,
    Contact,
    DemoCenter,
    EndTargets,
    ExpertReview,
    GovernanceBody,
    Member,
    PlanItem,
    PlanSection,
    Recommender,
    ResponsibilityTargets,
    Unit,
)
from registry.domain.credit_code import check_character
from registry.domain.lifecycle import Action
from registry.domain.naming import Domain, add_years, official_names
from registry.domain.policy import District, Field, LeadUnitType, Milestone, Origin, Tier, plan_outline, registry_policy
from tic_shared.jurisdictions import jurisdictions

TICS = (Tier.MUNICIPAL_TIC, Tier.PROVINCIAL_TIC, Tier.NATIONAL_TIC)


def generate_demo_centers(seed: int | None = None) -> list[DemoCenter]:
    """About 40 demo centers across districts, tiers and lifecycle stages; same seed, same centers."""
    data = demo_data()
    return _Generator(data, data.seed if seed is None else seed).centers()


class _Generator:
    def __init__(self, data: DemoData, seed: int) -> None:
        self.data = data
        self.words = data.words
        self.rng = random.Random(seed)
        self.policy = registry_policy()
        # The demo registry is Ningbo's: its centers are all in Ningbo's districts (see the data file).
        self.ningbo = jurisdictions()["ningbo"]
        self.used_emails: set[str] = set()
        self.used_brands: list[tuple[str, str]] = list(self.words.brands)
        self.rng.shuffle(self.used_brands)
        self.used_names: set[str] = set()

    def centers(self) -> list[DemoCenter]:
        centers = [self._center(i, spec) for i, spec in enumerate(self.data.specs, start=1)]
        return script.number_documents(centers)

    # -- one center --

    def _center(self, index: int, spec: Spec) -> DemoCenter:
        district = self.policy.districts[spec.district]
        key = f"demo-{index:02d}"
        brand = self.used_brands[(index - 1) % len(self.used_brands)]
        lead = self._lead_unit(brand, spec.field, spec.lead_type, district)
        domain = Domain(spec.domain_zh, spec.domain_en)
        name_zh, name_en = self._names(spec.tier, spec.field, domain, brand)
        co_builders = self._co_builders(lead, spec.field)
        scenario = self.data.scenarios[spec.scenario]
        created_on, steps = script.steps(
            self.rng,
            self.data,
            self.ningbo,
            self._review,
            scenario=spec.scenario,
            created_on=self._date_between(scenario.created_from, scenario.created_to),
            tier=spec.tier,
            key=key,
        )
        governance_start = next((s.on for s in steps if s.action == Action.APPROVE), created_on)
        return DemoCenter(
            id=uuid.uuid5(script.NAMESPACE, key),
            key=key,
            name_zh=name_zh,
            name_en=name_en,
            domain=domain,
            field=spec.field,
            industrial_chain=spec.industrial_chain,
            tier=spec.tier,
            district=district.code,
            origin=spec.origin,
            recommender=self._recommender(spec.origin, spec.lead_type, spec.field, district),
            lead_unit=lead,
            co_builders=co_builders,
            contacts=self._contacts(lead),
            plan=self._plan(spec.domain_zh, spec.industrial_chain, lead, co_builders),
            targets=self._targets(spec.tier),
            governance=self._governance(lead, co_builders, governance_start),
            bases=self._bases(name_zh, lead, co_builders),
            independent_legal_person=spec.scenario != "building_short" and self.rng.random() < 0.5,
            created_on=created_on,
            steps=tuple(steps),
            final_state=scenario.ends_in,
        )

    def _names(self, tier: Tier, field: Field, domain: Domain, brand: tuple[str, str]) -> tuple[str, str]:
        if tier in TICS:
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
        words = self.words
        if unit_type == LeadUnitType.ENTERPRISE:
            name = f"宁波{brand[0]}{self.rng.choice(words.industries[field])}{self.rng.choice(words.company_suffixes)}"
        elif unit_type == LeadUnitType.UNIVERSITY:
            name = self._unused(u for u, _web in words.universities)
        elif unit_type == LeadUnitType.RESEARCH_INSTITUTE:
            name = f"宁波{brand[0]}{self.rng.choice(words.institutes[field])}"
        else:
            name = f"宁波市{brand[0]}产业技术创新联盟"
        self.used_names.add(name)
        return Unit(name, self._credit_code(unit_type, district), unit_type, district.code)

    def _co_builders(self, lead: Unit, field: Field) -> tuple[Unit, ...]:
        words = self.words
        units: list[Unit] = []
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.choice((LeadUnitType.ENTERPRISE, LeadUnitType.UNIVERSITY, LeadUnitType.RESEARCH_INSTITUTE))
            where = self.policy.districts[self.rng.choice(self.data.districts)]
            brand = self.rng.choice(words.brands)
            if kind == LeadUnitType.UNIVERSITY:
                name = self.rng.choice(words.universities)[0]
            elif kind == LeadUnitType.RESEARCH_INSTITUTE:
                name = f"宁波{brand[0]}{self.rng.choice(words.institutes[field])}"
            else:
                industry = self.rng.choice([w for industry in words.industries.values() for w in industry])
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
            self.rng.choice(self.words.surnames),
            [self.rng.choice(self.words.given_names) for _ in range(self.rng.randint(1, 2))],
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
        for name, web in self.words.universities:
            if unit.name == name:
                return web
        for brand, pinyin in self.words.brands:
            if brand in unit.name:
                return f"{pinyin}.com.cn" if unit.type == LeadUnitType.ENTERPRISE else f"{pinyin}.org.cn"
        return "example.cn"

    def _recommender(
        self, origin: Origin, lead_type: LeadUnitType, field: Field, district: District
    ) -> Recommender | None:
        if origin not in self.policy.recommender_required:
            return None
        departments = self.words.municipal_departments
        if lead_type == LeadUnitType.UNIVERSITY:
            return Recommender("municipal_department", departments[2], None)
        if field == Field.INDUSTRIAL_INTERNET and self.rng.random() < 0.3:
            return Recommender("municipal_department", departments[0], None)
        if district.kind == "functional_zone":
            return Recommender("district_government", f"{district.zh}管理委员会", district.code)
        return Recommender("district_government", f"{district.zh}人民政府", district.code)

    def _review(self, passed: bool) -> ExpertReview:
        experts = tuple(self._person()[0] for _ in range(self.rng.choice((5, 7, 9))))
        # The score is drawn before the opinion: the order of draws is what makes a seed's demo the same.
        if passed:
            score = self.rng.randint(78, 94)
            return ExpertReview(True, score, self.rng.choice(self.words.review_opinions_passed), experts)
        score = self.rng.randint(52, 68)
        return ExpertReview(False, score, self.rng.choice(self.words.review_opinions_failed), experts)

    # -- content --

    def _plan(self, domain: str, chain: str, lead: Unit, co: tuple[Unit, ...]) -> tuple[PlanSection, ...]:
        fill = {
            "domain": domain,
            "chain": chain,
            "lead": lead.name,
            "partners": "、".join(u.name for u in co) or "产业链上下游单位",
        }
        sections, items = self.words.plan_sections, self.words.plan_items
        return tuple(
            PlanSection(
                s.number,
                s.code,
                s.zh,
                sections[s.code].format(**fill),
                tuple(PlanItem(i.code, i.zh, items[i.code].format(**fill)) for i in s.items),
            )
            for s in plan_outline()
        )

    def _targets(self, tier: Tier) -> ResponsibilityTargets:
        # Enterprise R&D bodies carry lighter letters than a TIC; TICs often commit beyond the guide.
        scale = 1.0 if tier in TICS else 0.2
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
        title = self.rng.choice(self.words.academic_titles if is_academic else self.words.business_titles)
        return Member(name, title, self.rng.choice(affiliations), role)

    def _governance(self, lead: Unit, co: tuple[Unit, ...], start: date) -> tuple[GovernanceBody, ...]:
        units = [lead.name, *(u.name for u in co)]
        outside = [n for n, _web in self.words.universities] + [
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
        roads = self.words.roads
        bases = [
            Base(
                "core",
                f"{center_name}（核心区）",
                lead.district,
                f"{districts[lead.district].zh}{self.rng.choice(roads)}{self.rng.randint(1, 999)}号",
                lead.name,
            )
        ]
        for unit in co[: self.rng.randint(0, min(3, len(co)))]:
            bases.append(
                Base(
                    "base",
                    f"{center_name}{districts[unit.district].zh}基地",
                    unit.district,
                    f"{districts[unit.district].zh}{self.rng.choice(roads)}{self.rng.randint(1, 999)}号",
                    unit.name,
                )
            )
        return tuple(bases)

    # -- helpers --

    def _date_between(self, low: date, high: date) -> date:
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def _unused(self, names: Iterable[str]) -> str:
        return self.rng.choice([n for n in names if n not in self.used_names])


def _organisation_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (positions 9–16 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))
