"""The release number lives in clinic/__init__.py alone; staff see it in the page footer, patients never do."""

import tomllib
from pathlib import Path

import pytest
from django.conf import settings

import clinic

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "9.8.7"


@pytest.fixture
def release(monkeypatch):
    # A number that appears nowhere else, so a page can only show it by reading clinic.__version__.
    monkeypatch.setattr(clinic, "__version__", RELEASE)
    return f"Clinic {RELEASE}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "path"),
    [("front_desk", "/"), ("front_desk", "/patients/"), ("therapist", "/schedule/"), ("billing", "/billing/")],
)
def test_staff_pages_show_the_running_release_in_the_footer(personas, login, release, persona, path):
    response = login(getattr(personas, persona)).get(path)
    assert response.status_code == 200
    assert release in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/portal/", "/portal/billing/", "/portal/sessions/", "/portal/settings/"])
def test_patient_portal_pages_do_not_show_the_release(personas, login, release, path):
    response = login(personas.patient_user).get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert RELEASE not in page
    assert "site-release" not in page


@pytest.mark.django_db
def test_the_sign_in_page_does_not_show_the_release(client, release):
    page = client.get("/accounts/login/").content.decode()
    assert RELEASE not in page


def test_pyproject_reads_the_version_from_the_package_and_names_the_licence():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "clinic.__version__"}
    assert project["project"]["license"] == "AGPL-3.0-or-later"


def test_the_api_schema_carries_the_same_version():
    assert settings.SPECTACULAR_SETTINGS["VERSION"] == clinic.__version__
