"""Construction milestones: the figures due 2 and 5 years after approval and at the end of construction."""

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from evaluation.domain.indicators import IndicatorSystem, LetterRefused, ResponsibilityLetter, apply_letter
from evaluation.domain.report import AnnualReport, read_figure
from evaluation.domain.rules import Aggregate, Checkpoint, EvaluationRules, MilestoneFigure, MilestoneRule
from evaluation.domain.text import Bilingual


class FigureCheck(BaseModel):
    """One construction target against what was reported."""

    model_config = ConfigDict(frozen=True)

    figure: str
    name_zh: str
    name_en: str
    actual: int | None  # None when nothing was reported
    target: int
    met: bool
    from_letter: bool  # the target is the center's responsibility letter's, not the default
    clause: str
    note: Bilingual | None = None


class MilestoneCheck(BaseModel):
    """The check of one checkpoint: each figure, its target, met or not."""

    model_config = ConfigDict(frozen=True)

    checkpoint: Checkpoint
    checkpoint_name_zh: str
    checkpoint_name_en: str
    due_year: int
    years_counted: tuple[int, ...]  # the report years the figures were drawn from
    clause: str
    figures: tuple[FigureCheck, ...]

    @property
    def met(self) -> bool:
        """Whether every figure is met."""
        return all(figure.met for figure in self.figures)


def due_year(*, approved_on: date, checkpoint: Checkpoint, rules: EvaluationRules) -> int:
    """The year whose evaluation checks `checkpoint` [default: the approval year + the milestone's years]."""
    return approved_on.year + rules.milestone(checkpoint).years_after_approval


def checkpoints_due(*, approved_on: date, year: int, rules: EvaluationRules) -> tuple[Checkpoint, ...]:
    """The checkpoints the evaluation of `year` checks for a center approved on `approved_on`."""
    return tuple(
        milestone.checkpoint
        for milestone in rules.milestones
        if approved_on.year + milestone.years_after_approval == year
    )


def milestone_targets(
    *, checkpoint: Checkpoint, rules: EvaluationRules, letter: ResponsibilityLetter | None = None
) -> dict[str, int]:
    """Each figure's target at `checkpoint`: the letter's where it sets one, else the rules' default.

    A letter naming a checkpoint or a figure the rules do not have is refused (`LetterRefused`).
    """
    milestone = rules.milestone(checkpoint)
    targets = {figure.figure: figure.target for figure in milestone.figures}
    if letter is None:
        return targets
    _check_letter_milestones(letter, rules)
    targets.update(letter.milestone_targets.get(str(checkpoint), {}))
    return targets


def _check_letter_milestones(letter: ResponsibilityLetter, rules: EvaluationRules) -> None:
    known = {str(milestone.checkpoint): milestone for milestone in rules.milestones}
    problems: list[str] = []
    for checkpoint, figures in letter.milestone_targets.items():
        if checkpoint not in known:
            problems.append(f"unknown checkpoint {checkpoint!r}")
            continue
        names = {figure.figure for figure in known[checkpoint].figures}
        problems.extend(f"{checkpoint}: unknown figure {name!r}" for name in figures if name not in names)
    if problems:
        raise LetterRefused(f"responsibility letter of center {letter.center_id} refused: " + "; ".join(problems))


def validate_letter(*, letter: ResponsibilityLetter, system: IndicatorSystem, rules: EvaluationRules) -> None:
    """Refuse (`LetterRefused`) a letter whose weights, targets or milestone figures cannot be applied."""
    apply_letter(system, letter)
    _check_letter_milestones(letter, rules)


def _in_window(reports: Sequence[AnnualReport], first: int, last: int) -> dict[int, AnnualReport]:
    years = [report.year for report in reports]
    if len(set(years)) != len(years):
        raise ValueError(f"more than one annual report for a year: {sorted(years)}")
    return {report.year: report for report in reports if first <= report.year <= last}


def _check_figure(
    figure: MilestoneFigure, target: int, from_letter: bool, window: dict[int, AnnualReport], last: int
) -> FigureCheck:
    missing: list[str] = []
    values: list[int] = []
    sources = [window[year] for year in sorted(window)] if figure.aggregate is Aggregate.SUM else []
    if figure.aggregate is Aggregate.LATEST:
        if last in window:
            sources = [window[last]]
        else:
            missing.append(f"{last}")
    for report in sources:
        for field in figure.report_fields:
            value = read_figure(report, field)
            if value is None:
                missing.append(f"{report.year} {field}")
            else:
                values.append(value)
    actual = sum(values) if values else None
    # Figures are never negative: what was reported is a floor, so a partial sum reaching the target meets it.
    met = actual is not None and actual >= target
    note: Bilingual | None = None
    if missing:
        where = "; ".join(missing)
        note = Bilingual(zh=f"未填报：{where}", en=f"not reported: {where}")
    return FigureCheck(
        figure=figure.figure,
        name_zh=figure.name_zh,
        name_en=figure.name_en,
        actual=actual,
        target=target,
        met=met,
        from_letter=from_letter,
        clause=figure.clause,
        note=note,
    )


def check_milestone(
    *,
    checkpoint: Checkpoint,
    approved_on: date,
    reports: Sequence[AnnualReport],
    rules: EvaluationRules,
    letter: ResponsibilityLetter | None = None,
    due: int | None = None,
) -> MilestoneCheck:
    """Check a center's construction targets at `checkpoint` from its annual reports (by year `due` when given:
    an acceptance checks its final targets in the year construction actually ends).

    Summed figures add up the reports from the approval year to the due year [default]; head counts, bases
    and partners are read from the due year's report. Reports outside that window are ignored.
    """
    milestone: MilestoneRule = rules.milestone(checkpoint)
    last = due if due is not None else due_year(approved_on=approved_on, checkpoint=checkpoint, rules=rules)
    window = _in_window(reports, approved_on.year, last)
    targets = milestone_targets(checkpoint=checkpoint, rules=rules, letter=letter)
    overridden = letter.milestone_targets.get(str(checkpoint), {}) if letter else {}
    return MilestoneCheck(
        checkpoint=checkpoint,
        checkpoint_name_zh=milestone.name_zh,
        checkpoint_name_en=milestone.name_en,
        due_year=last,
        years_counted=tuple(sorted(window)),
        clause=milestone.clause,
        figures=tuple(
            _check_figure(figure, targets[figure.figure], figure.figure in overridden, window, last)
            for figure in milestone.figures
        ),
    )
