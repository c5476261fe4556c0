"""Axe (axe-core, bundled by axe-playwright-python) on the page a browser test has open: what it finds against
WCAG 2.0 and 2.1, levels A and AA. The accessibility, page-sweep and survey-journey tests all ask it this way."""

from axe_playwright_python.sync_playwright import Axe

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page) -> str:
    """Axe's report of the page's violations, or "" when it finds none. It waits for the page to have loaded, so
    that a navigation still under way does not leave axe without a document."""
    page.wait_for_load_state("load")
    results = Axe().run(page, options=WCAG)
    return results.generate_report() if results.violations_count else ""
