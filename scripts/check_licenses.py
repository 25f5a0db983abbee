"""Fail when an installed Python package's licence cannot be combined with Clinic's AGPL-3.0-or-later.

`make lint` runs it over the project's virtualenv (runtime and development packages alike). Deny by default:
a package passes only when its licence, read as an SPDX expression, is satisfied by COMPATIBLE. A package whose
metadata names no licence, or names it so that it cannot be read, fails until OVERRIDES says what its licence is.

    .venv/bin/python scripts/check_licenses.py
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass

# SPDX ids whose terms allow the combined work to be conveyed under the AGPL-3.0-or-later.
COMPATIBLE = frozenset(
    {
        # Permissive licences: notice and disclaimer only.
        "0BSD",
        "MIT",
        "MIT-0",
        "MIT-CMU",
        "ISC",
        "BSD-2-Clause",
        "BSD-3-Clause",
        # The "BSD License" trove classifier names no variant. Only the four-clause one (advertising clause) is
        # incompatible; a package under it must be listed in OVERRIDES as BSD-4-Clause.
        "BSD",
        "Apache-2.0",
        "PSF-2.0",
        "Python-2.0",
        "HPND",
        "Zlib",
        "Unlicense",
        "CC0-1.0",
        # Weak copyleft that allows a GPL-family combination: MPL 2.0 through its "Secondary Licenses" clause
        # (not the no-copyleft-exception variant), the LGPLs because they may be upgraded to a later GPL.
        "MPL-2.0",
        "LGPL-2.0-only",
        "LGPL-2.0-or-later",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        # Strong copyleft of version 3 (section 13 of the AGPL allows combining with the GPLv3), or upgradable to it.
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
    }
)

# How package metadata spells licences (trove classifiers, free-text License fields), as SPDX ids. A name that is
# neither here nor an SPDX id stays as it is and fails.
ALIASES = {
    "MIT License": "MIT",
    "BSD License": "BSD",
    "New BSD": "BSD-3-Clause",
    "BSD 3-Clause": "BSD-3-Clause",
    "Apache 2.0": "Apache-2.0",
    # Apache 1.x is not GPL-compatible, but no maintained Python package uses it and its classifier is the same.
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "The Unlicense (Unlicense)": "Unlicense",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "zlib/libpng License": "Zlib",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Server Side Public License (SSPL)": "SSPL-1.0",
    "Other/Proprietary License": "LicenseRef-Proprietary",
}

# Packages whose metadata misreads their licence, each checked against the licence files the package ships.
OVERRIDES = {
    # Its three classifiers are alternatives (LICENSE: "the GPL 2.0+/LGPL 2.1+/MPL 1.1 tri-license"), not three
    # licences at once; we take the LGPL. Checked in pyphen 0.18.1 (a WeasyPrint dependency).
    "pyphen": "GPL-2.0-or-later OR LGPL-2.1-or-later OR MPL-1.1",
    # LICENSE holds the three-clause BSD licence and the MIT licence of the code ported from pyqrnative; nothing
    # in it is proprietary (its only other words are about the "QR Code" trademark). Checked in qrcode 8.2.
    "qrcode": "BSD-3-Clause AND MIT",
}

UNKNOWN = "UNKNOWN"
_LICENCE_FIELDS = ("License-Expression", "License-Metadata", "License-Classifier")
_REFUSED_TERMS = re.compile(
    r"commons clause|proprietary|non-?commercial|\bNC\b|server side public|SSPL|business source|BUSL|elastic license",
    re.IGNORECASE,
)
_OPERATORS = frozenset({"(", ")", "AND", "OR"})
_SPDX_ID = re.compile(r"[A-Za-z0-9.+-]+")


@dataclass(frozen=True)
class Verdict:
    package: str
    version: str
    licence: str
    compatible: bool


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _tokens(expression: str) -> list[str]:
    """Operators, parentheses and the licence names between them (which may contain spaces)."""
    return [token.strip() for token in re.split(r"(\(|\)|\bAND\b|\bOR\b)", expression) if token.strip()]


def spdx_from_classifiers(classifiers: str) -> str:
    """pip-licenses joins a package's licence classifiers with "; ". Read them as all applying at once: where they
    are alternatives the package needs an OVERRIDES entry, which is the safe way round."""
    spdx_ids = [ALIASES.get(name.strip(), name.strip()) for name in classifiers.split(";") if name.strip()]
    return spdx_ids[0] if len(spdx_ids) == 1 else " AND ".join(f"({spdx_id})" for spdx_id in spdx_ids)


def spdx_from_metadata(text: str) -> str | None:
    """A free-text License field, when it reads as an SPDX expression (after ALIASES); else None."""
    for name, spdx_id in ALIASES.items():
        text = text.replace(name, spdx_id)
    tokens = _tokens(text)
    if not tokens or text.strip() == UNKNOWN:
        return None
    return text.strip() if all(token in _OPERATORS or _SPDX_ID.fullmatch(token) for token in tokens) else None


def licence_of(record: dict) -> str:
    """The package's licence as an SPDX expression, from the most precise source it has. Terms that no allowed
    licence has (a Commons Clause, a non-commercial or proprietary term), named in any of its licence fields,
    refuse the package whatever else it names."""
    override = OVERRIDES.get(normalise_name(record["Name"]))
    if override:
        return override
    for field in _LICENCE_FIELDS:
        refused = _REFUSED_TERMS.search(record.get(field) or "")
        if refused:
            return f"{refused.group(0)} (in {field})"
    expression = record.get("License-Expression", UNKNOWN)
    if expression and expression != UNKNOWN:
        return expression
    from_metadata = spdx_from_metadata(record.get("License-Metadata", UNKNOWN))
    if from_metadata:
        return from_metadata
    classifiers = record.get("License-Classifier", UNKNOWN)
    if classifiers and classifiers != UNKNOWN:
        return spdx_from_classifiers(classifiers)
    return UNKNOWN


def is_compatible(expression: str) -> bool:
    """Whether an SPDX expression (AND binds tighter than OR, parentheses group) is satisfied by COMPATIBLE.
    Anything that does not parse is incompatible."""
    tokens = _tokens(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def any_of() -> bool:
        result = all_of()
        while peek() == "OR":
            take()
            result = all_of() or result
        return result

    def all_of() -> bool:
        result = one()
        while peek() == "AND":
            take()
            result = one() and result
        return result

    def one() -> bool:
        token = take()  # IndexError when an operator has nothing after it
        if token in {")", "AND", "OR"}:
            raise ValueError(expression)
        if token == "(":
            result = any_of()
            if take() != ")":
                raise ValueError(expression)
            return result
        return token in COMPATIBLE

    try:
        result = any_of()
    except (IndexError, ValueError):
        return False
    return result and position == len(tokens)


def verdicts(records: list[dict]) -> list[Verdict]:
    found = []
    for record in records:
        licence = licence_of(record)
        found.append(Verdict(record["Name"], record["Version"], licence, is_compatible(licence)))
    return found


def installed_packages() -> list[dict]:
    # pip-licenses in this interpreter's environment; --with-system includes pip-licenses itself and its own needs.
    output = subprocess.run(
        [sys.executable, "-m", "piplicenses", "--from=all", "--with-system", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> int:
    found = verdicts(installed_packages())
    refused = [verdict for verdict in found if not verdict.compatible]
    for verdict in refused:
        print(f"{verdict.package} {verdict.version}: {verdict.licence} is not compatible with AGPL-3.0-or-later")
    if refused:
        print(
            "Replace the package, or if its metadata is wrong, add its verified licence to OVERRIDES in "
            "scripts/check_licenses.py."
        )
        return 1
    print(f"Licences: {len(found)} installed packages, all compatible with AGPL-3.0-or-later.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
