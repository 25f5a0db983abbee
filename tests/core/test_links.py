"""One way to build an absolute link (apps.core.links), and domain code puts no bare portal path in a message."""

import ast
from pathlib import Path

import pytest

from apps.core.links import absolute_url, site_host

APPS = Path(__file__).resolve().parents[2] / "apps"


@pytest.mark.parametrize("site", ["https://clinic.example.org", "https://clinic.example.org/"])
def test_an_absolute_link_is_on_the_public_address_whatever_its_trailing_slash(settings, site):
    settings.SITE_URL = site
    assert absolute_url("/portal/") == "https://clinic.example.org/portal/"


def test_the_site_host_keeps_the_port_calendar_uids_already_carry(settings):
    settings.SITE_URL = "http://localhost:8000"
    assert site_host() == "localhost:8000"
    settings.SITE_URL = "https://clinic.example.org/"
    assert site_host() == "clinic.example.org"


def _bare_portal_reverses(tree: ast.AST) -> list[int]:
    """Lines where reverse("portal:…") is not the argument of absolute_url(…)."""
    wrapped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "absolute_url":
            wrapped |= {id(arg) for arg in ast.walk(node)}
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "reverse"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and str(node.args[0].value).startswith("portal:")
        and id(node) not in wrapped
    ]


def test_domain_code_links_the_portal_only_through_the_one_helper():
    """Services, tasks and payments run outside a request: a bare path in an email or a text is a dead link."""
    kinds = {"services", "tasks", "payments", "reminders"}
    domain = [p for p in APPS.rglob("*.py") if p.stem in kinds or p.parent.name == "services"]
    assert domain
    bare = {
        str(path.relative_to(APPS)): lines
        for path in domain
        if (lines := _bare_portal_reverses(ast.parse(path.read_text())))
    }
    assert bare == {}
