"""The annual report a center files (dynamic monitoring): the figures the quantitative indicators read.

Money is integer fen. A figure the center did not report is None, never 0. Flows (investment, projects,
results, spin-offs, enterprises served) are figures for the report's year; stocks (team, bases, close
partners) are figures at the end of that year.
"""

from collections.abc import Iterable
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tic_shared.bounds import MAX_COUNT, MAX_FEN

# Strict: money and head counts are whole numbers; "12" or 1.5 is refused, not coerced.
# Bounded (tic_shared.bounds): a figure past int64 would reach the database and overflow the first sum.
Fen = Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]


def _sum_if_all_reported(parts: Iterable[int | None]) -> int | None:
    # A total over a figure that was not reported is itself not known.
    values = list(parts)
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Investment(_Section):
    """Investment of the year by source, in fen (indicator group 5)."""

    lead_unit_fen: Fen | None = None
    co_builders_fen: Fen | None = None
    municipal_fiscal_fen: Fen | None = None
    district_fiscal_fen: Fen | None = None
    national_funds_fen: Fen | None = None
    social_capital_fen: Fen | None = None

    @property
    def local_fiscal_fen(self) -> int | None:
        """地方财政投入: municipal plus district fiscal funds."""
        return _sum_if_all_reported((self.municipal_fiscal_fen, self.district_fiscal_fen))

    @property
    def total_fen(self) -> int | None:
        """All sources together."""
        return _sum_if_all_reported(
            (
                self.lead_unit_fen,
                self.co_builders_fen,
                self.municipal_fiscal_fen,
                self.district_fiscal_fen,
                self.national_funds_fen,
                self.social_capital_fen,
            )
        )


class Team(_Section):
    """The team at the end of the year (indicator group 6)."""

    total: Count | None = None
    full_time_researchers: Count | None = None
    high_level_teams: Count | None = None
    top_talents: Count | None = None
    young_talents: Count | None = None
    non_rd_staff: Count | None = None


class Projects(_Section):
    """Major projects undertaken in the year (indicator group 7)."""

    national_major: Count | None = None
    provincial_major: Count | None = None
    municipal_major: Count | None = None

    @property
    def major_total(self) -> int | None:
        """国家和省市各类重大项目: national, provincial and municipal together."""
        return _sum_if_all_reported((self.national_major, self.provincial_major, self.municipal_major))


class Results(_Section):
    """Results of the year (indicator group 8)."""

    breakthroughs: Count | None = None
    import_substitution: Count | None = None
    standards: Count | None = None
    patents: Count | None = None


class Ecosystem(_Section):
    """Bases and partners at the end of the year; spin-offs and enterprises served in the year (group 10)."""

    bases: Count | None = None
    close_partners: Count | None = None
    spin_offs: Count | None = None
    enterprises_served: Count | None = None


class AnnualReport(BaseModel):
    """年度报告: one center's figures for one year. Unknown fields and negative figures are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: Annotated[int, Field(strict=True)]
    investment: Investment = Field(default_factory=Investment)
    team: Team = Field(default_factory=Team)
    projects: Projects = Field(default_factory=Projects)
    results: Results = Field(default_factory=Results)
    ecosystem: Ecosystem = Field(default_factory=Ecosystem)


_SECTIONS: dict[str, type[_Section]] = {
    "investment": Investment,
    "team": Team,
    "projects": Projects,
    "results": Results,
    "ecosystem": Ecosystem,
}


@cache
def report_field_paths() -> frozenset[str]:
    """Every `section.figure` an indicator or a milestone may read: reported figures and derived totals."""
    paths: set[str] = set()
    for section, model in _SECTIONS.items():
        paths.update(f"{section}.{name}" for name in model.model_fields)
        paths.update(f"{section}.{name}" for name, member in vars(model).items() if isinstance(member, property))
    return frozenset(paths)


def is_report_field(path: str) -> bool:
    """Whether `path` names a figure of the annual report."""
    return path in report_field_paths()


def read_figure(report: AnnualReport, path: str) -> int | None:
    """The figure at `section.figure` (None when not reported); an unknown path raises KeyError."""
    if not is_report_field(path):
        raise KeyError(f"the annual report has no figure {path!r}")
    section, name = path.split(".", 1)
    value: int | None = getattr(getattr(report, section), name)
    return value


def is_derived_field(path: str) -> bool:
    """Whether `path` is a total over reported figures (unknown when any part is missing)."""
    if not is_report_field(path):
        return False
    section, name = path.split(".", 1)
    return isinstance(getattr(_SECTIONS[section], name, None), property)
