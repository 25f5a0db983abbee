"""The files a clinic or a contributor looks for first: licence, security policy, guide, changelog."""

import hashlib
import re
from pathlib import Path

import clinic

ROOT = Path(__file__).resolve().parents[2]
# SHA-256 of the GNU AGPL version 3 exactly as the Free Software Foundation publishes it (agpl-3.0.txt).
AGPL_3_SHA256 = "57c8ff33c9c0cfc3ef00e650a1cc910d7ee479a8bc509f6c9209a7c2a11399d6"


def test_the_licence_is_the_agpl_text_verbatim_after_the_copyright_notice():
    text = (ROOT / "LICENSE").read_text()
    notice, separator, licence = text.partition("                    GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert separator
    assert "Copyright (C) 2026 The Clinic contributors" in notice
    assert "either version 3 of the\nLicense, or (at your option) any later version" in notice
    assert "SPDX-License-Identifier: AGPL-3.0-or-later" in notice
    assert hashlib.sha256((separator + licence).encode()).hexdigest() == AGPL_3_SHA256


def test_the_readme_links_the_licence_security_policy_guide_and_changelog():
    readme = (ROOT / "README.md").read_text()
    for name in ["LICENSE", "SECURITY.md", "CONTRIBUTING.md", "CHANGELOG.md", "static/vendor/README.md"]:
        assert f"]({name})" in readme, name
        assert (ROOT / name).is_file(), name


def test_the_changelog_has_an_unreleased_section_and_one_for_the_running_release():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(clinic.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE)


def test_every_vendored_front_end_file_is_listed_with_its_licence():
    vendored = sorted(path.name for path in (ROOT / "static/vendor").glob("*.js"))
    listing = (ROOT / "static/vendor/README.md").read_text()
    assert vendored
    for name in vendored:
        row = next((line for line in listing.splitlines() if line.startswith(f"| {name} |")), None)
        assert row, name
        assert re.search(r"\| (MIT|0BSD|MPL-2\.0) \|", row), row
