"""What every page shares: the templates, the per-request language and formatting, the navigation, the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from dashboard import i18n
from dashboard.auth import SESSION_USER, User, csrf_token
from dashboard.clients import Answer, Api
from dashboard.i18n import N_
from dashboard.refusals import fields_in_words

LOCALE_COOKIE = "tic_lang"
templates = Jinja2Templates(directory=str(__import__("pathlib").Path(__file__).parent / "templates"))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


@dataclass(frozen=True)
class Section:
    """A part of the console in the navigation: shown to those who hold one of its scopes."""

    path: str
    label: str  # an English msgid, translated when shown
    scopes: tuple[str, ...]


SECTIONS = (
    Section("/", N_("Overview"), ("registry:read",)),
    Section("/centers", N_("Centers"), ("registry:read",)),
    Section("/applications/new", N_("New application"), ("registry:write",)),
    Section("/evaluation", N_("Evaluation"), ("evaluation:read",)),
    Section("/plans", N_("Plans"), ("plans:read",)),
    Section("/funding", N_("Funding"), ("funding:read",)),
    Section("/operations", N_("Operations"), ("ops:read",)),
    Section("/import", N_("Import"), ("registry:write",)),
)


ROLE_NAMES = {
    "bureau_admin": N_("Bureau administrator"),
    "bureau_reviewer": N_("Bureau reviewer"),
    "district_officer": N_("District officer"),
    "center_user": N_("Center staff"),
    "expert": N_("Expert"),
    "department_officer": N_("Department officer"),
}


def locale_of(request: Request) -> str:
    settings = request.app.state.settings
    return i18n.pick_locale(request.cookies.get(LOCALE_COOKIE), settings.default_locale)


def api_for(request: Request, user: User | None) -> Api:
    return Api(request.app.state.clients, user.token if user else None)


class Formats:
    """Money, dates and numbers in the reader's locale, for the templates."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def money(self, fen: Any) -> str:
        return i18n.money(fen, self.locale)

    def day(self, value: Any) -> str:
        return i18n.day(value, self.locale)

    def moment(self, value: Any) -> str:
        return i18n.moment(value, self.locale)

    def month_day(self, value: str | None) -> str:
        return i18n.month_day(value, self.locale)

    def number(self, value: Any) -> str:
        return i18n.number(value, self.locale)

    def figure(self, value: Any, unit: str | None) -> str:
        return i18n.figure(value, unit, self.locale)

    def unit(self, unit: str | None) -> str:
        return i18n.unit_name(unit, self.locale)

    def center_name(self, center: Any) -> str:
        """A center's name as the reader reads: the official (named) one once it has it, in English where the
        center has an English name and the reader chose English."""
        return center_name(center, self.locale)


def center_name(center: Any, locale: str) -> str:
    if locale == "en":
        english = center.get("official_name_en") or center.get("name_en")
        if english:
            return str(english)
    return str(center.get("official_name_zh") or center.get("name_zh") or "")


def render(
    request: Request, template: str, *, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the reader's language, with the navigation their scopes allow and the session's CSRF token."""
    locale = locale_of(request)
    catalog = i18n.translations(locale)
    gettext: Callable[[str], str] = catalog.gettext
    visible = [s for s in SECTIONS if user is not None and any(user.can(scope) for scope in s.scopes)]
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "locale": locale,
            "locales": i18n.NAMES,
            "_": gettext,
            "_n": catalog.ngettext,  # a phrase that counts: its singular, its plural and the count
            "fmt": Formats(locale),
            "csrf": csrf_token(request),
            "sections": visible,
            "path": request.url.path,
            "label": lambda kind, code: Markup.escape(label(gettext, kind, code)),
            "failure": lambda error: Markup.escape(failure(gettext, error)),
            "role_names": ROLE_NAMES,
            **context,
        },
        status_code=status_code,
    )


class SectionRefused(Exception):
    """The signed-in person's role has none of the scopes of the section they asked for."""


def section_of(path: str) -> Section | None:
    """The navigation section a path belongs to (the longest prefix; the overview only for `/` itself)."""
    matches = [s for s in SECTIONS if path == s.path or (s.path != "/" and path.startswith(s.path.rstrip("/") + "/"))]
    return max(matches, key=lambda s: len(s.path), default=None)


def section_allowed(request: Request) -> None:
    """Every page of a section asks for what its navigation entry asks for: a role that cannot see the entry
    gets a 403 page for a typed-in address too, before any API is called."""
    data = request.session.get(SESSION_USER)
    section = section_of(request.url.path)
    if not data or section is None:
        return
    user = User.from_session(data)
    if not any(user.can(scope) for scope in section.scopes):
        raise SectionRefused


def refusal(
    request: Request, user: User | None, title: str, answer: Answer, status_code: int | None = None
) -> HTMLResponse:
    """A page saying, in words, why an API refused or could not answer (its status, unless told otherwise)."""
    gettext = i18n.translations(locale_of(request)).gettext
    return render(
        request,
        "pages/message.html",
        user=user,
        title=title,
        message=problem_text(answer, gettext, locale_of(request)),
        status_code=status_code or answer.status,
    )


def problem_text(answer: Answer, gettext: Callable[[str], str], locale: str | None = None) -> str:
    """An API's refusal in words: what kind of refusal it was, then why — in the reader's language where the
    problem says it in facts (a date the record cannot hold, an act the center's status does not allow), else the
    service's own detail. `locale` formats the dates it names (ISO without it)."""
    kinds = {
        400: gettext("The request was not understood"),
        401: gettext("Your sign-in has expired"),
        403: gettext("You may not do this"),
        404: gettext("Not found, or not yours to see"),
        409: gettext("Not possible now"),
        412: gettext("Someone changed this since you opened it"),
        422: gettext("Please check what you entered"),
        503: gettext("The service is unavailable"),
    }
    kind = kinds.get(answer.status, gettext("Something went wrong"))
    problem = answer.problem or {}
    if str(problem.get("type", "")).endswith(":not-found"):
        return kind  # "not found, or not yours to see" is all its detail says, in English
    why = _refusal_in_words(problem, gettext, locale) or answer.detail
    return gettext("%(kind)s: %(why)s") % {"kind": kind, "why": why} if why else kind


def _refusal_in_words(problem: Mapping[str, Any], gettext: Callable[[str], str], locale: str | None) -> str | None:
    """A refusal's facts as a sentence: the service's own reason where it gives it in both languages, a date refused,
    money finer than a fen, an act the record's state does not allow, a conflict with the record (by its slug), the
    fields a form got wrong; None for any other problem."""

    def day(value: str) -> str:
        return i18n.day(value, locale) if locale else value

    slug = str(problem.get("type", "")).rpartition(":")[2]
    said = problem.get("reason")
    if isinstance(said, Mapping) and locale in i18n.LOCALES and said.get("zh") and said.get("en"):
        return str(said["en"] if locale == "en" else said["zh"])  # the service says it in both languages itself
    conflict = problem.get("conflicts_with") or {}
    rule = problem.get("rule")
    if slug == "act-date-refused" and rule in _DATE_RULES:
        if rule == "in_future" and problem.get("today"):
            return gettext(_DATE_RULES[rule]) % {"day": day(str(problem["today"]))}
        if conflict.get("act") and conflict.get("on"):
            return gettext(_DATE_RULES[rule]) % {"act": dated_act(gettext, conflict["act"]), "day": day(conflict["on"])}
    if slug == "money-in-whole-fen":
        return gettext("an amount of money goes down to the fen (0.01 yuan), no further")
    state, allowed = problem.get("current_state"), problem.get("allowed_actions")
    about_a_center = "/centers/" in str(problem.get("instance", ""))  # a delivery can be "cancelled" too
    if (
        about_a_center
        and state in LABELS["status"]
        and isinstance(allowed, list)
        and set(allowed) <= set(LABELS["action"])
    ):
        actions = gettext(", ").join(label(gettext, "action", action) for action in allowed)
        now = (
            gettext("possible now: %(actions)s") % {"actions": actions}
            if allowed
            else gettext("nothing can be done now")
        )
        return gettext("the center is “%(state)s”; %(now)s") % {"state": label(gettext, "status", state), "now": now}
    for path, (kind, refused) in _STATE_REFUSED.items():
        if slug == "transition-refused" and path in str(problem.get("instance", "")) and state in LABELS[kind]:
            return gettext(refused) % {"state": label(gettext, kind, state)}
    sentence = _NAME_TAKEN[bool(problem.get("field"))] if slug == "name-taken" else SLUG_SENTENCES.get(slug)
    if sentence is not None:
        facts = {
            key: i18n.money(value, locale) if key.endswith("_fen") and locale and isinstance(value, int) else value
            for key, value in problem.items()
        }
        try:
            return gettext(sentence) % facts
        except (KeyError, TypeError, ValueError):  # a problem without the fact its sentence names: its own words
            return None
    errors = problem.get("errors")
    if isinstance(errors, list) and all(isinstance(error, Mapping) for error in errors):
        return fields_in_words(errors, gettext, locale)
    return None


# A grant's or an evaluation's act refused in the state it is in (`transition-refused`), by the record the
# refused request was about: the kind of its states' names, and the sentence.
_STATE_REFUSED = {
    "/grants/": ("grant_status", N_("the grant is “%(state)s”: this cannot be done with it now")),
    "/evaluations/": ("evaluation_status", N_("the evaluation is “%(state)s”: this cannot be done with it now")),
}
# Refusals said by their slug: the record's state or a rule of the use case; `%(…)s` are facts the problem
# carries (an amount in fen said as money).
SLUG_SENTENCES: dict[str, str] = {
    "objection-resolved": N_("this objection has been resolved already"),
    "overpayment": N_("the repayment is more than the %(owed_fen)s still owed"),
    "clawback-settled": N_("this clawback is settled: nothing is owed"),
    "budget-exceeded": N_(
        "the year's budget is %(budget_fen)s, of which %(committed_fen)s is committed: %(requested_fen)s more does "
        "not fit"
    ),
    "ledger-closed": N_("a clawback was ordered and the center's account is closed: only repayments are recorded now"),
    "grant-exists": N_("the center has this grant already"),
    "grants-stopped": N_("the center was delisted or cancelled: its grants have stopped"),
    "center-not-approved": N_("the center has not been approved: no grant can be opened for it"),
    "report-decided": N_("this figure is no longer awaiting the bureau: it was accepted, returned or superseded"),
    "round-exists": N_("the evaluation round of %(year)s is open already"),
    "derived-indicator": N_("the platform counts this indicator from its own records: nobody reports it"),
    "not-dead-lettered": N_("only a delivery that gave up can be sent again"),
    "subscription-paused": N_("the subscription is paused: resume it first"),
    "subscription-deleted": N_("the subscription was deleted"),
    "year-in-future": N_("the year %(year)s has not begun: figures are for years under way or past"),
    "year-outside-plan": N_(
        "the plan takes figures for %(first_year)s–%(last_year)s (the first of them its base year), not for %(year)s"
    ),
    "correction-needs-reason": N_("the figure of this year was accepted already: a correction must give its reason"),
    "investment-required": N_("the verified investment is required under this policy"),
    "score-out-of-range": N_("a score lies within %(score_min)s–%(score_max)s"),
    "not-assigned": N_("these indicators are not assigned to you"),
}
# A name held by another live center: at approval (the problem names the domain field to change), or at a
# reinstatement.
_NAME_TAKEN = {
    True: N_("the name is held by the live center %(held_by)s: give the domain that tells this center apart"),
    False: N_("the name has been given to the live center %(held_by)s since: rename one of the two first"),
}


# How a refused date is said (`rule` of the registry's and funding's `act-date-refused`).
_DATE_RULES = {
    "in_future": N_("the date cannot be later than today (%(day)s)"),
    "before": N_("the date cannot be earlier than the %(act)s (%(day)s)"),
    "not_before": N_("the date must be earlier than the %(act)s (%(day)s)"),
}


def dated_act(gettext: Callable[[str], str], name: str) -> str:
    """The act a refused date collides with, as the registry names it (`decision`, `end of the public notice`, a
    policy taking effect), in the reader's language; a name the console does not know as it is."""
    if name.startswith("policy "):
        return gettext("policy %(name)s taking effect") % {"name": name.removeprefix("policy ")}
    found = LABELS["dated_act"].get(name)
    return gettext(found) if found else name


# Vocabulary codes the APIs return, as people read them (msgids, translated per locale).
LABELS: dict[str, dict[str, str]] = {
    "plan_status": {
        "met": N_("Met"),
        "on_track": N_("On track"),
        "behind": N_("Behind"),
        "no_data": N_("No data"),
    },
    "report_status": {
        "reported": N_("Awaiting the bureau"),
        "accepted": N_("Accepted"),
        "returned": N_("Returned"),
        "superseded": N_("Superseded"),
    },
    "event": {
        "AcceptanceCompleted": N_("acceptance completed"),
        "EvaluationCompleted": N_("evaluation completed"),
        "EvaluationExcellent": N_("evaluated excellent"),
        "EvaluationFailed": N_("evaluated unqualified"),
        "MilestoneChecked": N_("milestone checked"),
        "BudgetExceeded": N_("budget exceeded"),
        "ClawbackOrdered": N_("clawback ordered"),
        "ClawbackReversed": N_("clawback reversed"),
        "SubsidyApproved": N_("subsidy approved"),
        "SubsidyCalculated": N_("subsidy calculated"),
        "SubsidyDisbursed": N_("subsidy disbursed"),
        "DeliveryDeadLettered": N_("a delivery failed for good"),
        "CenterAccepted": N_("acceptance recorded"),
        "CenterApproved": N_("approved for construction"),
        "CenterCancelled": N_("cancelled"),
        "CenterDelisted": N_("delisted"),
        "CenterObjectionRaised": N_("objection raised"),
        "CenterPublicNoticeStarted": N_("public notice started"),
        "CenterReinstated": N_("reinstated"),
        "CenterRejected": N_("rejected"),
        "CenterReviewCompleted": N_("expert review completed"),
        "CenterSubmitted": N_("application submitted"),
        "CenterTierChanged": N_("tier changed"),
        "CenterWithdrawn": N_("withdrawn"),
        "IndicatorReported": N_("plan figure reported"),
        "IndicatorAccepted": N_("plan figure accepted"),
        "TargetAtRisk": N_("plan target falling behind"),
    },
    "channel": {"inbox": N_("inbox"), "email": N_("email"), "webhook": N_("webhook")},
    "source": {
        "registry": N_("Registry"),
        "evaluation": N_("Evaluation"),
        "funding": N_("Funding"),
        "notification": N_("Notifications"),
    },
    "outcome": {
        "approved": N_("approved"),
        "passed": N_("passed"),
        "failed": N_("failed"),
        "rejected": N_("not approved"),
        "upheld": N_("upheld"),
        "dismissed": N_("dismissed"),
    },
    "service": {
        "registry": N_("the registry service"),
        "evaluation": N_("the evaluation service"),
        "funding": N_("the funding service"),
        "notification": N_("the notification service"),
    },
    "status": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "under_review": N_("Under review"),
        "reviewed": N_("Reviewed"),
        "decided": N_("Decided"),
        "public_notice": N_("Public notice"),
        "objection_review": N_("Objection under review"),
        "building": N_("Under construction"),
        "operating": N_("Operating"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
        "cancelled": N_("Cancelled"),
        "delisted": N_("Delisted"),
    },
    "tier": {
        "national_tic": N_("National TIC"),
        "provincial_tic": N_("Provincial TIC"),
        "municipal_tic": N_("Municipal TIC"),
        "key_enterprise_institute": N_("Key enterprise research institute"),
        "enterprise_rd_center": N_("Enterprise R&D center"),
    },
    "field": {
        "new_materials": N_("New materials"),
        "industrial_internet": N_("Industrial internet"),
        "key_core_components": N_("Key core components"),
    },
    "grade": {
        "excellent": N_("Excellent"),
        "good": N_("Good"),
        "qualified": N_("Qualified"),
        "unqualified": N_("Unqualified"),
    },
    "action": {
        "submit": N_("Submit"),
        "start_review": N_("Start the review"),
        "review": N_("Record the review"),
        "decide": N_("Record the decision"),
        "start_public_notice": N_("Start the public notice"),
        "raise_objection": N_("Record an objection"),
        "resolve_objection": N_("Resolve the objection"),
        "approve": N_("Approve"),
        "reject": N_("Reject"),
        "withdraw": N_("Withdraw"),
        "change_tier": N_("Change the tier"),
        "complete_acceptance": N_("Record the acceptance"),
        "cancel": N_("Cancel the qualification"),
        "delist": N_("Delist"),
        "change_governance": N_("Record a governance change"),
        "reinstate": N_("Reinstate"),
    },
    "grant_status": {
        "awaiting_investment": N_("Awaiting the investment"),
        "calculated": N_("Calculated"),
        "approved": N_("Approved"),
        "disbursed": N_("Disbursed"),
        "stopped": N_("Stopped"),
    },
    "clawback_status": {
        "outstanding": N_("Outstanding"),
        "repaid": N_("Repaid"),
        "nothing_due": N_("Nothing due"),
        "reversed": N_("Reversed"),
    },
    # The acts a date must fit between, as the registry and funding name them in a refusal (`conflicts_with.act`).
    "dated_act": {
        "submission": N_("submission"),
        "start of the expert review": N_("start of the expert review"),
        "expert review": N_("expert review"),
        "decision": N_("decision"),
        "start of the public notice": N_("start of the public notice"),
        "end of the public notice": N_("end of the public notice"),
        "objection": N_("objection"),
        "objection resolution": N_("objection resolution"),
        "approval": N_("approval"),
        "approval of the center": N_("approval"),
        "rejection": N_("rejection"),
        "withdrawal": N_("withdrawal"),
        "tier change": N_("tier change"),
        "acceptance": N_("acceptance"),
        "cancellation": N_("cancellation"),
        "delisting": N_("delisting"),
        "governance change": N_("governance change"),
        "reinstatement": N_("reinstatement"),
        "end of the construction period": N_("end of the construction period"),
        "the last act": N_("last act on the record"),
    },
    "evaluation_action": {
        "submit_report": N_("report submitted"),
        "record_not_submitted": N_("recorded as not submitted"),
        "assign_expert": N_("expert assigned"),
        "score": N_("scored"),
        "finalize": N_("finalized"),
        "reopen": N_("reopened for a correction"),
    },
    "evaluation_status": {
        "awaiting_report": N_("Awaiting the report"),
        "reported": N_("Reported"),
        "finalized": N_("Finalized"),
    },
    "kind": {"annual": N_("Annual evaluation"), "acceptance": N_("Acceptance")},
    "body": {
        "council": N_("Council"),
        "board": N_("Board"),
        "director": N_("Director"),
        "chief_scientist": N_("Chief scientist"),
        "expert_committee": N_("Expert advisory committee"),
    },
    "member_role": {
        "chair": N_("Chair"),
        "vice_chair": N_("Vice chair"),
        "member": N_("Member"),
        "director": N_("Director"),
        "deputy_director": N_("Deputy director"),
        "chief_scientist": N_("Chief scientist"),
    },
    "delivery_status": {
        "pending": N_("Pending"),
        "sending": N_("Sending"),
        "retrying": N_("Failed, will retry"),
        "delivered": N_("Delivered"),
        "dead": N_("Failed for good"),
        "skipped": N_("Skipped"),
        "cancelled": N_("Called off"),
    },
    # What a failed delivery's error says, by its kind (the start of the text: `failure_kind`).
    "delivery_error": {
        "ConnectTimeout": N_("Could not connect in time"),
        "ConnectError": N_("Could not connect to the receiver"),
        "ReadTimeout": N_("The receiver did not answer in time"),
        "ProtocolError": N_("The receiver hung up or did not answer in HTTP"),
        "NetworkError": N_("Network error"),
        "UnsupportedProtocol": N_("Not an http(s) address"),
        "InvalidURL": N_("Not a valid address"),
        "HTTP": N_("The receiver answered with an error"),
        "internal error": N_("Internal error"),
        "email channel disabled": N_("No mail server is set up"),
        "the subscription is gone": N_("The subscription was deleted"),
        "SMTPRecipientsRefused": N_("The mail server refused the address"),
        "SMTPAuthenticationError": N_("The mail server refused our sign-in"),
        "SMTPServerDisconnected": N_("The mail server hung up"),
        "ConnectionRefusedError": N_("Could not connect to the mail server"),
        "TimeoutError": N_("The mail server did not answer in time"),
    },
}


def failure_kind(error: str) -> str:
    """The kind a delivery's error text starts with: `ConnectError: …` → ConnectError, `HTTP 503` → HTTP."""
    kind = error.split(":", 1)[0].strip()
    return "HTTP" if kind.startswith("HTTP ") else kind


def failure(gettext: Callable[[str], str], error: str | None) -> str:
    """A delivery's error as an officer reads it: its kind named in their language, then the text as recorded."""
    if not error:
        return ""
    name = LABELS["delivery_error"].get(failure_kind(error))
    return f"{gettext(name)} · {error}" if name else error


def event_pattern(gettext: Callable[[str], str], pattern: str) -> str:
    """What a subscription's event type says: `tic.funding.*` → every event of the funding service,
    `tic.registry.CenterApproved.v1` → that event by its name."""
    parts = pattern.split(".")
    if pattern in ("*", "tic.*", "tic.>"):
        return gettext("every event")
    if len(parts) == 3 and parts[2] in ("*", ">"):
        service = LABELS["service"].get(parts[1])
        return gettext("every event of %(service)s") % {"service": gettext(service)} if service else pattern
    if len(parts) >= 3:
        return label(gettext, "event", parts[2])
    return pattern


def district_names(reference: Answer, locale: str = "zh_CN") -> dict[str, str]:
    """District code -> its name in the reader's language, from the registry's reference data (empty when it is
    unavailable: the pages then show the code)."""
    if not reference.ok:
        return {}
    language = "en" if locale == "en" else "zh"
    return {d["code"]: d.get(language) or d["zh"] for d in reference.data.get("districts", [])}


@dataclass(frozen=True)
class Names:
    """What a page calls the codes and ids the APIs return: a center by its name, a district, jurisdiction or
    policy by its title in the reader's language. Anything unknown (a service that did not answer, a center out of
    the reader's scope) falls back to the code, shortened for an id."""

    locale: str
    centers: dict[str, str]
    districts: dict[str, str]
    policies: dict[str, str]
    departments: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        locale: str,
        *,
        reference: Answer | None = None,
        centers: Answer | Iterable[Answer] | None = None,
        policies: Answer | None = None,
        departments: Answer | None = None,
        subscriptions: Answer | None = None,
    ) -> Names:
        """The names the answers give: `centers` a page of centers or single centers' answers, `departments`
        the plan departments, `subscriptions` a page of webhook subscriptions (each called by its address)."""
        english = locale == "en"
        if isinstance(centers, Answer):
            center_rows = centers.data.get("items", []) if centers.ok else []
        else:
            center_rows = [answer.data for answer in centers or () if answer.ok]
        policy_names = {
            p["code"]: p["title_en"] if english else p["title_zh"]
            for p in (policies.data if policies and policies.ok else [])
        }
        department_names = {
            d["code"]: d["en"] if english else d["zh"]
            for d in (departments.data if departments and departments.ok else [])
        }
        webhooks = {
            s["id"]: s["url"]
            for s in (subscriptions.data.get("items", []) if subscriptions and subscriptions.ok else [])
        }
        return cls(
            locale,
            {c["id"]: center_name(c, locale) for c in center_rows},
            district_names(reference, locale) if reference else {},
            policy_names,
            department_names,
            webhooks,
        )

    def center(self, center_id: Any) -> str:
        return self.centers.get(str(center_id)) or str(center_id)[:8]

    def district(self, code: Any) -> str:
        if not code:
            return ""
        return self.districts.get(str(code), str(code))

    def jurisdiction(self, code: Any) -> str:
        from tic_shared.jurisdictions import jurisdictions

        found = jurisdictions().by_code.get(str(code))
        if found is None:
            return str(code)
        return found.name_en if self.locale == "en" else found.name_zh

    def policy(self, code: Any) -> str:
        return self.policies.get(str(code), str(code))

    def department(self, code: Any) -> str:
        return self.departments.get(str(code), str(code))

    def recipient(self, gettext: Callable[[str], str], key: str) -> str:
        """Who a delivery went to, as an officer reads it: an address as it is, a webhook subscription by its
        receiver's address, an inbox audience as its role narrowed to a district, center or department by name
        (`role:district_officer/district:haishu` → "District officer · Haishu District")."""
        kind, _, rest = key.partition(":")
        if kind == "subscription":
            return self.webhooks.get(rest) or gettext("Webhook subscription %(id)s") % {"id": rest[:8]}
        if kind == "user":
            return gettext("User %(name)s") % {"name": rest}
        if kind != "role":
            return key
        role, *narrowed = rest.split("/")
        words = [gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role]
        by_kind: dict[str, Callable[[str], str]] = {
            "district": self.district,
            "center": self.center,
            "department": self.department,
        }
        for part in narrowed:
            what, _, code = part.partition(":")
            words.append(by_kind[what](code) if what in by_kind else part)
        return " · ".join(words)


def label(gettext: Callable[[str], str], kind: str, code: Any) -> str:
    """The name of a code in the reader's language; the code itself if the console does not know it."""
    if code is None:
        return "—"
    text = LABELS.get(kind, {}).get(str(code))
    return gettext(text) if text else str(code)
