"""The registry's acts as forms: what each asks for, and the API body a filled form becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from dashboard.i18n import N_


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # date | text | textarea | number | yesno | select | lines
    label: str  # an English msgid
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()  # (value, msgid)
    hint: str = ""


@dataclass(frozen=True)
class Act:
    """One act of the lifecycle: its API path, the scope it needs, what it asks, what it does."""

    name: str
    path: str
    scope: str
    explains: str  # an English msgid: what happens when it is confirmed
    fields: tuple[Field, ...] = field(default_factory=tuple)
    danger: bool = False


YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
TIERS = (
    ("national_tic", N_("National TIC")),
    ("provincial_tic", N_("Provincial TIC")),
    ("municipal_tic", N_("Municipal TIC")),
    ("key_enterprise_institute", N_("Key enterprise research institute")),
    ("enterprise_rd_center", N_("Enterprise R&D center")),
)
ON = Field("on", "date", N_("Date"), required=False, hint=N_("Today if left empty"))
REASON = Field("reason", "textarea", N_("Reason"))
DOCUMENT = Field("document_no", "text", N_("Document number"))

ACTS: dict[str, Act] = {
    act.name: act
    for act in (
        Act("submit", "submit", "registry:write", N_("The application is submitted to the bureau."), (ON,)),
        Act(
            "withdraw",
            "withdraw",
            "registry:write",
            N_("The application is withdrawn; it cannot be resumed."),
            (Field("reason", "textarea", N_("Reason"), required=False), ON),
            danger=True,
        ),
        Act("start_review", "start-review", "registry:review", N_("The expert review (论证) begins."), (ON,)),
        Act(
            "review",
            "review",
            "registry:review",
            N_("The expert panel's result is recorded; a failed review rejects the application."),
            (
                Field("passed", "yesno", N_("Passed"), options=YES_NO),
                Field("score", "number", N_("Score (0–100)")),
                Field("opinion", "textarea", N_("Opinion")),
                Field("experts", "lines", N_("Experts, one per line")),
                Field("reviewed_on", "date", N_("Reviewed on"), required=False, hint=N_("Today if left empty")),
            ),
        ),
        Act(
            "decide",
            "decision",
            "registry:review",
            N_("The executive meeting's ruling is recorded; a ruling not to approve rejects the application."),
            (
                Field("approved", "yesno", N_("Approved"), options=YES_NO),
                Field("meeting_ref", "text", N_("Meeting")),
                Field("decided_on", "date", N_("Decided on")),
                Field("reason", "textarea", N_("Reason (when not approved)"), required=False),
            ),
        ),
        Act(
            "start_public_notice",
            "public-notice",
            "registry:review",
            N_("The public notice (公示) begins; approval is possible once it has run."),
            (Field("starts_on", "date", N_("Starts on")),),
        ),
        Act(
            "raise_objection",
            "objections",
            "registry:review",
            N_("An objection raised during the notice is recorded; approval waits for its resolution."),
            (
                Field("summary", "textarea", N_("Objection")),
                Field("raised_by", "text", N_("Raised by")),
                Field("raised_on", "date", N_("Raised on")),
            ),
        ),
        Act(
            "resolve_objection",
            "resolution",
            "registry:review",
            N_("The objection is resolved: upheld rejects the application, dismissed returns it to the notice."),
            (
                Field("upheld", "yesno", N_("Upheld"), options=YES_NO),
                Field("note", "textarea", N_("Resolution")),
                Field("resolved_on", "date", N_("Resolved on")),
            ),
        ),
        Act(
            "approve",
            "approve",
            "registry:review",
            N_("Construction is launched: the center gets its official names, registry code and construction period."),
            (
                DOCUMENT,
                Field("approved_on", "date", N_("Approved on")),
                Field("domain_zh", "text", N_("Domain (Chinese), the ××× of 宁波市×××技术创新中心"), required=False),
                Field("domain_en", "text", N_("Domain (English)"), required=False),
                Field("construction_years", "number", N_("Construction period in years"), required=False),
            ),
        ),
        Act("reject", "reject", "registry:review", N_("The application is rejected."), (REASON, ON), danger=True),
        Act(
            "change_tier",
            "tier",
            "registry:review",
            N_("The center's tier changes (recognised as provincial or national)."),
            (
                Field("to_tier", "select", N_("New tier"), options=TIERS),
                DOCUMENT,
                Field("changed_on", "date", N_("Changed on")),
            ),
        ),
        Act(
            "complete_acceptance",
            "acceptance",
            "registry:review",
            N_("An acceptance concluded outside the platform is recorded: passed ⇒ operating, failed ⇒ cancelled."),
            (
                Field("passed", "yesno", N_("Passed"), options=YES_NO),
                Field("accepted_on", "date", N_("Accepted on")),
                Field("reasons", "lines", N_("Reasons (when failed), one per line"), required=False),
                Field("evaluation_ref", "text", N_("Acceptance report"), required=False),
            ),
        ),
        Act(
            "cancel",
            "cancel",
            "registry:review",
            N_("The creation qualification is cancelled; funding stops and the unspent subsidy is clawed back."),
            (REASON, DOCUMENT, Field("effective_on", "date", N_("Effective on"))),
            danger=True,
        ),
        Act(
            "delist",
            "delist",
            "registry:review",
            N_("The center is delisted; funding stops and the unspent subsidy is clawed back."),
            (REASON, DOCUMENT, Field("effective_on", "date", N_("Effective on"))),
            danger=True,
        ),
        Act(
            "change_governance",
            "governance",
            "registry:write",
            N_("A change of legal-entity status is recorded in the history, dated."),
            (
                Field("independent_legal_person", "yesno", N_("Independent legal person"), options=YES_NO),
                Field("effective_on", "date", N_("Effective on")),
                Field("document_no", "text", N_("Document number"), required=False),
                REASON,
            ),
        ),
        Act(
            "reinstate",
            "reinstate",
            "registry:review",
            N_("The ending is reversed: the center returns to where it was and its clawback is reversed."),
            (DOCUMENT, Field("decided_on", "date", N_("Decided on")), REASON),
        ),
    )
}


def _value(field: Field, raw: Any) -> Any:
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        return None
    if field.kind == "yesno":
        return text == "yes"
    if field.kind == "number":
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text  # the API names what is wrong with it
    if field.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    return text


def body_of(act: Act, form: FormData) -> tuple[dict[str, Any], str]:
    """The API body a filled form becomes (empty optional fields left out) and the path it is posted to."""
    body = {f.name: value for f in act.fields if (value := _value(f, form.get(f.name))) is not None}
    path = act.path
    if act.name == "resolve_objection":
        path = f"objections/{form.get('objection_id')}/resolution"
    return body, path
