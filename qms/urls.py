from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from qms.accounts import urls as accounts_urls
from qms.accounts import views as accounts_views
from qms.audit import urls as audit_urls
from qms.outbox import urls as outbox_urls
from qms.tenancy import public as tenancy_public
from qms.tenancy import urls as tenancy_urls

from . import errors, health
from .modules import url_patterns

# Everything under /o/<org_slug>/ and /api/v1/o/<org_slug>/ is resolved to an organisation by
# qms.tenancy.middleware.TenantMiddleware and covered by tests/tenancy/test_isolation_sweep.py. Each installed
# module (qms/modules.py) adds its staff routes as namespace <label>, its API as <label>_api, its public
# routes to the shared namespace `public` and its token links (/r/<token>/ …) to the shared namespace `links`.
organization_patterns = [
    path("", include((tenancy_urls.urlpatterns, "tenancy"))),
    path("", include((audit_urls.urlpatterns, "audit"))),
    path("", include((outbox_urls.urlpatterns, "outbox"))),
    path("", include((accounts_urls.org_urlpatterns, "tokens"))),
    *(path("", include((patterns, module.label))) for module, patterns in url_patterns("urlpatterns")),
]

api_patterns = [
    path("", include((tenancy_urls.api_urlpatterns, "tenancy_api"))),
    path("", include((audit_urls.api_urlpatterns, "audit_api"))),
    *(path("", include((patterns, f"{module.label}_api"))) for module, patterns in url_patterns("api_urlpatterns")),
]

public_patterns = [
    *tenancy_public.public_urlpatterns,  # the organisation's logo and accent colour
    *(pattern for _, patterns in url_patterns("public_urlpatterns") for pattern in patterns),
]

# Webhooks of a module's providers (/hooks/<org_slug>/…), no account: the view enters the organisation itself,
# after it proved the request is that organisation's (customers' mail events).
hook_patterns = [pattern for _, patterns in url_patterns("hook_urlpatterns") for pattern in patterns]

# Public links found by their token (/r/<token>/ …), at the root: the middleware finds their organisation.
link_patterns = [pattern for _, patterns in url_patterns("link_urlpatterns") for pattern in patterns]

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("accounts/", include(accounts_urls)),
    path("i/<str:token>/", accounts_views.invitation_accept_view, name="invitation_accept"),
    path("o/<slug:org_slug>/", include(organization_patterns)),
    path("api/v1/o/<slug:org_slug>/", include(api_patterns)),
    path("p/<slug:org_slug>/", include((public_patterns, "public"))),
    path("hooks/<slug:org_slug>/", include((hook_patterns, "hooks"))),
    path("", include((link_patterns, "links"))),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script), so the page needs nothing inline.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="api/swagger_ui.html", permission_classes=[], authentication_classes=[]
        ),
        name="api_docs",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include(outbox_urls.dev_urlpatterns)),
    path("admin/", admin.site.urls),
]

# Under /api/ every error is JSON like DRF's own ({"detail": "…"}); elsewhere Django's pages (qms/errors.py).
handler400, handler403 = errors.bad_request, errors.permission_denied
handler404, handler500 = errors.page_not_found, errors.server_error
