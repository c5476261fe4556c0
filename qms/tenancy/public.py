"""The organisation's branding served to people without an account, under /p/<org_slug>/: its logo and a style
sheet with its accent colour, which every public page and survey page links (templates/public/_layout.html).
The middleware has already resolved the slug (unknown → 404). A style sheet rather than an inline style: the
Content-Security-Policy allows no inline styles."""

from pathlib import PurePosixPath

from django.http import FileResponse, Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .branding import palette
from .requests import OrganizationRequest

LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
CACHE = "public, max-age=3600"


@require_GET
def logo(request: OrganizationRequest, org_slug: str) -> FileResponse:
    image = request.organization.logo
    content_type = LOGO_TYPES.get(PurePosixPath(image.name or "").suffix.lower())
    if not image or content_type is None:
        raise Http404(_("This organisation has no logo."))
    try:
        handle = image.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("This organisation has no logo.")) from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = CACHE
    return response


@require_GET
def brand_css(request: OrganizationRequest, org_slug: str) -> HttpResponse:
    """The accent and its shades as the custom properties the site's CSS reads (linked with ?v=<colour>, so a
    changed colour is fetched at once despite the cache)."""
    css = render_to_string("public/brand.css", palette(request.organization))
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = CACHE
    return response


public_urlpatterns = [
    path("logo", logo, name="logo"),
    path("brand.css", brand_css, name="brand_css"),
]
