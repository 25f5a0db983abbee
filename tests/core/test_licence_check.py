"""The dependency licence check in `make lint`: deny by default, pass only what AGPL-3.0-or-later can include."""

import pytest

from scripts.check_licenses import is_compatible, licence_of, verdicts


def record(name="somepackage", *, expression="UNKNOWN", metadata="UNKNOWN", classifiers="UNKNOWN"):
    """A package as pip-licenses --from=all describes it."""
    return {
        "Name": name,
        "Version": "1.0",
        "License-Expression": expression,
        "License-Metadata": metadata,
        "License-Classifier": classifiers,
    }


@pytest.mark.parametrize(
    "expression",
    [
        "MIT",
        "BSD-3-Clause",
        "Apache-2.0",
        "MPL-2.0",
        "LGPL-3.0-only",
        "GPL-2.0-or-later",
        "AGPL-3.0-or-later",
        "Apache-2.0 OR BSD-3-Clause",
        "MIT AND PSF-2.0",
        "GPL-2.0-only OR MIT",
        "(GPL-2.0-only OR Apache-2.0) AND MIT",
    ],
)
def test_compatible_licences_pass(expression):
    assert is_compatible(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "GPL-2.0-only",
        "SSPL-1.0",
        "BUSL-1.1",
        "CC-BY-NC-4.0",
        "MPL-1.1",
        "MPL-2.0-no-copyleft-exception",
        "BSD-4-Clause",
        "Apache-1.1",
        "EPL-1.0",
        "CDDL-1.0",
        "LicenseRef-Proprietary",
        "UNKNOWN",
        "",
        "MIT AND GPL-2.0-only",
        "(GPL-2.0-only OR SSPL-1.0) AND MIT",
        "MIT OR",
        "(MIT",
        "MIT)",
    ],
)
def test_incompatible_unknown_or_unreadable_licences_fail(expression):
    assert not is_compatible(expression)


def test_the_spdx_expression_wins_over_older_fields():
    package = record(expression="LGPL-3.0-only", classifiers="MIT License")
    assert licence_of(package) == "LGPL-3.0-only"


def test_a_licence_field_that_reads_as_spdx_is_used():
    assert licence_of(record(metadata="BSD 3-Clause OR Apache-2.0")) == "BSD-3-Clause OR Apache-2.0"
    assert is_compatible(licence_of(record(metadata="Apache 2.0")))


def test_free_text_falls_back_to_the_classifiers():
    package = record(metadata="Dual License", classifiers="Apache Software License; BSD License")
    assert licence_of(package) == "(Apache-2.0) AND (BSD)"
    assert is_compatible(licence_of(package))


def test_several_classifiers_must_all_be_compatible():
    assert not is_compatible(licence_of(record(classifiers="MIT License; GNU General Public License v2 (GPLv2)")))
    assert not is_compatible(licence_of(record(classifiers="BSD License; Some Custom Licence")))


@pytest.mark.parametrize(
    "package",
    [
        record(metadata="Apache License 2.0 with Commons Clause", classifiers="Apache Software License"),
        record(classifiers="MIT License; Other/Proprietary License"),
        record(metadata="Free for non-commercial use", classifiers="MIT License"),
        record(metadata="Server Side Public License", classifiers="OSI Approved"),
        record(expression="Elastic-2.0"),
    ],
)
def test_a_restrictive_term_in_any_licence_field_refuses_the_package(package):
    assert not is_compatible(licence_of(package))


def test_a_package_with_no_licence_in_its_metadata_fails():
    assert licence_of(record()) == "UNKNOWN"
    assert not is_compatible(licence_of(record()))


def test_an_override_states_the_verified_licence():
    # pyphen's classifiers are three alternatives; read as all at once, MPL 1.1 would refuse it.
    classifiers = (
        "GNU General Public License v2 or later (GPLv2+); GNU Lesser General Public License v2 or later (LGPLv2+); "
        "Mozilla Public License 1.1 (MPL 1.1)"
    )
    assert not is_compatible(licence_of(record("not-pyphen", classifiers=classifiers)))
    assert is_compatible(licence_of(record("Pyphen", classifiers=classifiers)))


def test_verdicts_name_each_refused_package():
    found = verdicts([record("good", expression="MIT"), record("bad", expression="SSPL-1.0")])
    assert [(verdict.package, verdict.compatible) for verdict in found] == [("good", True), ("bad", False)]
