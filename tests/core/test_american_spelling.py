"""What staff and patients read is in American spelling, as the clinic is in the United States: "license", not
"licence", on the staff pages as on the superbill. Checked where such words get in: every template's visible text
(and the attributes a screen reader or a tooltip says), every string of prose in the apps' code (labels, help,
messages, email subjects), every model's and form's labels, help and choices. Comments, docstrings and names in
code (fields, URL names, stored values) may keep another spelling: nobody reads them on a page."""

import importlib
import io
import pkgutil
import re
import tokenize
from pathlib import Path

from django import forms
from django.apps import apps
from django.conf import settings
from django.forms.utils import pretty_name

import apps as project_apps

# The British spellings this product has used, each with its American form in the same places; "licence" in any
# form (licences, sublicence), the others as words begin with them (colours, instalments).
BRITISH = re.compile(r"licence|\b(?:organisation|colour|instalment)", re.I)

APPS_DIR = Path(project_apps.__file__).parent
TEMPLATE_NOISE = re.compile(
    r"<(style|script)\b.*?</\1>|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|{%.*?%}|{{.*?}}", re.S
)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
# What a tag says out loud or shows: a screen reader's name, a tooltip, a placeholder, an image's words.
SAID_ATTRIBUTE = re.compile(r"""\b(?:aria-label|title|placeholder|alt)\s*=\s*(["'])(.*?)\1""", re.S)
F_STRING_EXPRESSION = re.compile(r"{[^{}]*}")


def _british(text: str) -> list[str]:
    return sorted(set(BRITISH.findall(text)))


def _template_files():
    roots = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    roots += [Path(config.path) / "templates" for config in apps.get_app_configs() if config.name.startswith("apps.")]
    for root in roots:
        yield from (path for path in root.rglob("*") if path.is_file())


def _visible_text(template: str) -> str:
    """A template as a reader meets it: its words between tags, and what its tags say, without the template's own
    code (tags, variables, comments) or the HTML's (ids, classes, data attributes, URLs)."""
    text = TEMPLATE_NOISE.sub(" ", template)
    said = " ".join(match.group(2) for match in SAID_ATTRIBUTE.finditer(text))
    return f"{HTML_TAG.sub(' ', text)} {said}"


def _prose_strings(source: str):
    """The string literals of a module that are prose (they have a space), not docstrings, with an f-string's
    expressions left out (they are names in code)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for index, token in enumerate(tokens):
        if token.type != tokenize.STRING:
            continue
        before = next((t for t in reversed(tokens[:index]) if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        after = next((t for t in tokens[index + 1 :] if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        statement_start = before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        if statement_start and after is not None and after.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            continue  # a docstring, or a string standing alone as one
        text = token.string
        prefix = text[: len(text) - len(text.lstrip("rbfuRBFU"))]
        if "f" in prefix.lower():
            text = F_STRING_EXPRESSION.sub(" ", text)
        if " " in text:
            yield token.start[0], text


def _code_files():
    for path in APPS_DIR.rglob("*.py"):
        if "migrations" not in path.parts:
            yield path


def _form_classes():
    for module in pkgutil.walk_packages([str(APPS_DIR)], prefix="apps."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    seen, waiting = set(), [forms.BaseForm]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            if subclass not in seen:
                seen.add(subclass)
                waiting.append(subclass)
    return [form for form in seen if form.__module__.startswith("apps.")]


def test_no_template_says_licence_or_another_british_spelling():
    found = {}
    for path in _template_files():
        words = _british(_visible_text(path.read_text(encoding="utf-8")))
        if words:
            found[str(path)] = words
    assert found == {}


def test_no_prose_in_the_apps_code_says_licence_or_another_british_spelling():
    found = {}
    for path in _code_files():
        for line, text in _prose_strings(path.read_text(encoding="utf-8")):
            words = _british(text)
            if words:
                found[f"{path.relative_to(APPS_DIR.parent)}:{line}"] = words
    assert found == {}


def test_models_label_help_and_choices_in_american_spelling():
    found = {}
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        meta = model._meta
        said = [str(meta.verbose_name), str(meta.verbose_name_plural)]
        for field in meta.get_fields():
            said += [str(getattr(field, "verbose_name", "")), str(getattr(field, "help_text", ""))]
            said += [str(label) for _, label in getattr(field, "flatchoices", None) or []]
        words = _british(" ".join(said))
        if words:
            found[meta.label] = words
    assert found == {}


def test_forms_label_help_and_choices_in_american_spelling():
    found = {}
    for form in _form_classes():
        said = []
        for name, field in form.base_fields.items():
            said += [str(field.label or pretty_name(name)), str(field.help_text or "")]
            if not isinstance(field, forms.ModelChoiceField):  # a model choice's words are rows, typed by people
                choices = getattr(field, "choices", None) or []
                said += [str(label) for _, label in choices if not isinstance(label, list)]
        words = _british(" ".join(said))
        if words:
            found[f"{form.__module__}.{form.__qualname__}"] = words
    assert found == {}


def test_the_guard_finds_licence_where_people_read_it():
    """The checks above would pass on nothing at all; this shows they see what they look for."""
    assert _british(_visible_text("<label>Licence type</label>")) == ["Licence"]
    assert _british(_visible_text('<a aria-label="Licence number" href="{% url \'licence\' %}">x</a>')) == ["Licence"]
    assert _british(_visible_text("{# the licence #}<p>{{ form.licence_number }} License</p>")) == []
    assert _british(_visible_text('<tr data-row="plan-instalment"><td>Next installment</td></tr>')) == []
    source = '"""The licence."""\nLABELS = {"license_type": "Licence type", "key": "licence_type"}\n'
    assert [text for _, text in _prose_strings(source)] == ['"Licence type"']
    assert [text for _, text in _prose_strings('said = f"split into {instalments} installments"\n')] == [
        'f"split into   installments"'
    ]
