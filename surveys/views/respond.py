"""The customer's side of a survey, no account: /r/<token>/ to answer, /u/<token>/ to unsubscribe.

The middleware has found the organisation from the token's hash (or set none: the unknown-link page). A GET never
records or consumes anything — mail scanners open links — not even with a score chosen in the email (?s=8). The
answer is recorded on POST: each page's answers are kept (a closed tab loses nothing; the customer resumes where
they stopped) and the submission is recorded once. The page speaks the contact's language, or the one they
choose among the survey's complete translations, and every word on it comes from the survey's texts.

The link is the credential, so these forms carry no CSRF token: a customer's browser may refuse cookies, and the
one-click unsubscribe (RFC 8058) is a POST from the mail provider itself.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from axes.helpers import get_client_ip_address
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Contact
from customers.services.customers import contact_opt_out
from qms.tenancy.public_links import address_hash, unknown_link
from qms.tenancy.requests import LinkRequest
from surveys.forms.respond import FIELD_PREFIX, ResponseForm
from surveys.models import Invitation, Question, Survey, SurveyVersion
from surveys.questionnaire import Questionnaire, version_questions
from surveys.selectors.links import invitation_for_token, public_survey_for_token
from surveys.services.answering import LinkState, invitation_state, response_progress_save, response_submit
from surveys.services.public_link import PublicLinkRateLimited
from surveys.texts import Texts, base, missing_texts

CARRIED_SALT = "surveys.public-link.answers"
STATE_STATUS = {LinkState.ANSWERED: 200, LinkState.EXPIRED: 410, LinkState.REVOKED: 410, LinkState.CLOSED: 410}


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def offered_languages(version: SurveyVersion, questions: list[Question]) -> list[str]:
    """The default language and every complete translation: what a respondent may switch to."""
    complete = [lang for lang in version.translations if not missing_texts(version, lang, questions)]
    return [version.survey.default_language, *sorted(set(complete) - {version.survey.default_language})]


def _language(asked: str, wanted: str, offered: list[str]) -> str:
    for candidate in (asked, wanted):
        for code in offered:
            if candidate and (candidate == code or base(candidate) == base(code)):
                return code
    return offered[0]


def _language_name(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_local"]).capitalize()
    except KeyError:
        return code


class Respondent:
    """One visit to a survey link: the version, its questions and texts in the chosen language, and the answers
    so far (held against the invitation, or carried signed in the form for a public link)."""

    preview_note: dict[str, str] | None = None  # a Preview says so on every page, in the member's language
    method = "post"  # how the page's form is sent

    def __init__(self, request: HttpRequest, *, version: SurveyVersion, invitation: Invitation | None, token: str):
        self.request, self.version, self.invitation, self.token = request, version, invitation, token
        self.questions = list(version_questions(version))
        self.questionnaire = Questionnaire.of(self.questions)
        partial = getattr(invitation, "partial", None) if invitation else None
        self.partial = partial if partial is not None and partial.version_id == version.pk else None
        self.offered = self.languages()
        params = request.POST if request.method == "POST" else request.GET
        wanted = self.partial.language if self.partial else (invitation.language if invitation else "")
        self.language = _language(params.get("lang", ""), wanted or request.LANGUAGE_CODE, self.offered)
        self.answers: dict[str, Any] = dict(self.partial.answers) if self.partial else self._carried(params)

    @cached_property
    def texts(self) -> Texts:
        """The page's words in the chosen language (a submission that is recorded shows none)."""
        return Texts(self.version, self.language, self.questions)

    def languages(self) -> list[str]:
        return offered_languages(self.version, self.questions)

    @property
    def organization(self) -> Any:
        return self.request.organization  # type: ignore[attr-defined]  # the version's: a link's or a member's request

    @property
    def pages(self) -> int:
        return len(self.questionnaire.pages)

    @property
    def url(self) -> str:
        return reverse("links:survey_response", kwargs={"token": self.token})

    def _carried(self, params: QueryDict) -> dict[str, Any]:
        try:
            carried = signing.loads(params.get("carried", ""), salt=CARRIED_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            return {}
        return carried.get("a", {}) if carried.get("v") == self.version.pk else {}

    def carry(self, answers: dict[str, Any]) -> str:
        if self.invitation is not None:
            return ""
        return signing.dumps({"v": self.version.pk, "a": answers}, salt=CARRIED_SALT)

    def page_data(self, page: int) -> QueryDict:
        """The answers so far to a page's questions, as the page's form would post them."""
        data = QueryDict(mutable=True)
        for question in self.questionnaire.page(page):
            value = self.answers.get(question.code)
            if value is not None:
                data.setlist(
                    FIELD_PREFIX + question.code, [str(v) for v in value] if isinstance(value, list) else [str(value)]
                )
        return data

    def form(self, page: int, data: Any = None, initial: dict[str, Any] | None = None) -> ResponseForm:
        return ResponseForm(
            data,
            version=self.version,
            questionnaire=self.questionnaire,
            texts=self.texts,
            page=page,
            answers=self.answers,
            initial_answers=initial,
        )

    def render_page(self, form: ResponseForm, *, status: int = 200) -> HttpResponse:
        texts, page = self.texts, form.page
        query = "?lang={}"
        languages = [(code, _language_name(code), self.url + query.format(code)) for code in self.offered]
        context = {
            "org": self.organization,
            "texts": texts,
            "form": form,
            "questions": form.shown_questions(),
            "page": page,
            "pages": self.pages,
            "title": texts.get("email.subject") or self.version.survey.name,
            "intro": texts.get("intro") if page == 0 else "",
            "page_of": texts.ui("ui.page_of", page=str(page + 1), pages=str(self.pages)),
            "languages": languages,
            "language_label": texts.ui("ui.language"),
            "errors_title": texts.ui("ui.errors"),
            "back_label": texts.ui("ui.back"),
            "next_label": texts.ui("ui.next"),
            "submit_label": texts.ui("ui.submit"),
            "saved_note": texts.ui("ui.saved") if self.invitation is not None and (page or self.answers) else "",
            "action": self.url,
            "method": self.method,
            "carried": self.carry(self.answers),
            "preview_note": self.preview_note,
        }
        return _private(render(self.request, "surveys/respond/page.html", context, status=status))

    def message(self, key: str, *, status: int = 200, link: str = "") -> HttpResponse:
        context = {
            "org": self.organization,
            "texts": self.texts,
            "heading": self.texts.ui(f"{key}.title") if key.startswith("ui.") else self.texts.get("thanks.title"),
            "message": self.texts.ui(f"{key}.body") if key.startswith("ui.") else self.texts.get("thanks.body"),
            "link": link,
            "link_label": link,
            "preview_note": self.preview_note,
        }
        return _private(render(self.request, "surveys/respond/message.html", context, status=status))

    def thanks(self) -> HttpResponse:
        return self.message("thanks", link=self.version.survey.thank_you_url)

    def record(self, request: HttpRequest) -> bool:
        """Record the answers once (False: they already were); a public link's answer may be refused as too many
        from one address (PublicLinkRateLimited)."""
        return response_submit(
            organization=self.organization,
            version=self.version,
            questionnaire=self.questionnaire,
            language=self.language,
            answers=self.answers,
            invitation=self.invitation,
            address=address_hash(get_client_ip_address(request)),
        )


class Preview(Respondent):
    """The survey exactly as its customers see it, for the members designing it: the same page and questions, every
    language it has (complete or not), display logic that works; answers travel in the page's links (GET, like a
    public link's in its form) and nothing is ever recorded."""

    method = "get"

    def __init__(self, request: HttpRequest, *, version: SurveyVersion, url: str, note: dict[str, str]):
        self.preview_url, self.preview_note = url, note
        super().__init__(request, version=version, invitation=None, token="")

    def languages(self) -> list[str]:
        return list(self.version.languages)

    @property
    def url(self) -> str:
        return self.preview_url

    def record(self, request: HttpRequest) -> bool:
        return True  # a preview records nothing


def _scale_choice(respondent: Respondent, raw: str) -> dict[str, Any]:
    """The score chosen by a click in the email (?s=8), shown selected on the first question: nothing recorded."""
    first = respondent.questionnaire.first
    if first is None or first.kind not in Question.SCORED or not raw:
        return {}
    low, high = first.scale or (0, 0)
    try:
        score = int(raw)
    except ValueError:
        return {}
    return {first.code: score} if low <= score <= high else {}


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_response(request: LinkRequest, token: str) -> HttpResponse:
    organization = request.organization
    if organization is None:
        return unknown_link(request)
    invitation = invitation_for_token(organization=organization, token=token)
    survey = invitation.survey if invitation else public_survey_for_token(organization=organization, token=token)
    if survey is None:
        return unknown_link(request)
    version = (
        invitation.version
        if invitation
        else survey.versions.filter(locked_at__isnull=False).order_by("-number").first()
    )
    if version is None:
        return unknown_link(request)
    version.survey = survey  # read with the invitation (or it is the public link's): not read again
    respondent = Respondent(request, version=version, invitation=invitation, token=token)
    if invitation is not None:
        state = invitation_state(invitation)
        if state == LinkState.ANSWERED and request.GET.get("done"):
            return respondent.thanks()
        if state != LinkState.OPEN:
            return respondent.message(f"ui.{state.value}", status=STATE_STATUS[state])
    elif survey.status == Survey.Status.CLOSED:
        return respondent.message("ui.closed", status=410)
    if request.method == "GET":
        page = respondent.partial.page if respondent.partial else 0
        initial = _scale_choice(respondent, request.GET.get("s", "")) if page == 0 else {}
        return respondent.render_page(respondent.form(min(page, respondent.pages - 1), initial=initial))
    return respondent_step(respondent, request, request.POST)


def _page_number(raw: str, pages: int) -> int:
    try:
        return max(0, min(int(raw), pages - 1))
    except ValueError:
        return 0


def respondent_step(respondent: Respondent, request: HttpRequest, data: QueryDict) -> HttpResponse:
    """One press of back, next or submit on a page whose answers are `data`: the page kept, the next one shown, or
    the answers recorded once all required ones are given."""
    page = _page_number(data.get("page", "0"), respondent.pages)
    form = respondent.form(page, data=data)
    form.is_valid()  # every field is optional to Django: a bad value is cleaned away, required ones checked below
    given = form.page_answers()
    on_page = {q.code for q in form.page_questions}
    respondent.answers = {**{k: v for k, v in respondent.answers.items() if k not in on_page}, **given}
    action = data.get("action", "next")
    if action == "back":
        return _go(respondent, page - 1 if page > 0 else 0)
    if not form.check_required():
        return respondent.render_page(form, status=422)
    if action != "submit" or page + 1 < respondent.pages:
        return _go(respondent, page + 1)
    missing = respondent.questionnaire.missing_required(respondent.answers)
    if missing:  # a required answer of an earlier page went missing (the back button, an edited form)
        first_page = next(i for i, qs in enumerate(respondent.questionnaire.pages) if missing[0] in qs)
        if respondent.invitation is not None:  # what they did answer is kept, and shown on that page
            response_progress_save(
                invitation=respondent.invitation, page=first_page, language=respondent.language,
                answers=respondent.answers,
            )  # fmt: skip
        retry = respondent.form(first_page, data=respondent.page_data(first_page))
        retry.is_valid()
        retry.check_required()
        return respondent.render_page(retry, status=422)
    try:
        recorded = respondent.record(request)
    except PublicLinkRateLimited:  # the answers stay in the form, to be sent again later
        form.add_error(None, respondent.texts.ui("ui.busy"))
        return respondent.render_page(form, status=429)
    if not recorded:
        return respondent.message("ui.answered")
    if respondent.invitation is not None:
        return _private(HttpResponseRedirect(f"{respondent.url}?done=1&lang={respondent.language}"))
    return respondent.thanks()


def _go(respondent: Respondent, page: int) -> HttpResponse:
    """Keep the answers so far and show `page`: after a redirect for an invitation (a reload resends nothing), at
    once for a public link, whose answers travel in the form."""
    if respondent.invitation is None:
        return respondent.render_page(respondent.form(page))
    response_progress_save(
        invitation=respondent.invitation, page=page, language=respondent.language, answers=respondent.answers
    )
    return _private(HttpResponseRedirect(f"{respondent.url}?lang={respondent.language}"))


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: LinkRequest, token: str) -> HttpResponse:
    """GET asks (a mail scanner changes nothing); POST unsubscribes at once, from the page or as RFC 8058's
    one-click POST (body `List-Unsubscribe=One-Click`) that the mail provider sends without a page."""
    organization = request.organization
    invitation = invitation_for_token(organization=organization, token=token) if organization else None
    if invitation is None:
        return unknown_link(request)
    texts = Texts(invitation.version, invitation.language)
    names = {"organization": organization.name if organization else ""}
    context = {"org": organization, "texts": texts, "heading": texts.ui("ui.unsubscribe")}
    if request.method == "GET":
        action = reverse("links:survey_unsubscribe", kwargs={"token": token})
        context |= {
            "action": action,
            "question": texts.ui("ui.unsubscribe.question", **names),
            "confirm": texts.ui("ui.unsubscribe.confirm"),
        }
        return _private(render(request, "surveys/respond/unsubscribe.html", context))
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    source = Contact.ConsentSource.ONE_CLICK if one_click else Contact.ConsentSource.UNSUBSCRIBE_PAGE
    contact_opt_out(contact=invitation.contact, source=source)
    context |= {"message": texts.ui("ui.unsubscribe.done", **names), "link": ""}
    return _private(render(request, "surveys/respond/message.html", context))


link_urlpatterns = [
    path("r/<str:token>/", survey_response, name="survey_response"),
    path("u/<str:token>/", unsubscribe, name="survey_unsubscribe"),
]
