"""The status a page answers with a form on it: 200 shown or accepted, 422 refused for what was typed, 409 refused
for a conflict with the records as they now stand; and a post with nothing in it is a form sent, checked as such."""

import pytest
from django import forms
from django.test import RequestFactory

from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.views import form_refusal, form_status, posted, refusal_status


class _NameForm(forms.Form):
    name = forms.CharField()


def test_an_empty_post_binds_the_form_and_is_refused_where_post_or_none_showed_it_blank():
    request = RequestFactory().post("/", {})
    assert not _NameForm(request.POST or None).is_bound  # what the pages did: the post taken for the form asked for
    form = _NameForm(posted(request))
    assert form.is_bound and not form.is_valid() and form_status(form) == 422


def test_a_get_leaves_the_form_unbound_and_the_page_answers_200():
    form = _NameForm(posted(RequestFactory().get("/")))
    assert not form.is_bound and form_status(form) == 200


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (ApplicationError("No."), 422),
        (Unprocessable("No."), 422),
        (Conflict("Taken meanwhile."), 409),
        (InvalidTransition("Already cancelled."), 409),
        (PermissionDenied("Not yours."), 403),
        (NotFound("Gone."), 404),
    ],
)
def test_a_services_refusal_on_the_form_answers_422_or_its_own_status_never_400(refusal, status):
    form = _NameForm({"name": "Ada"})
    assert form.is_valid()
    form_refusal(form, refusal)
    assert refusal_status(refusal) == status and form_status(form) == status
    assert form.non_field_errors() == [refusal.message]


def test_the_first_refused_form_of_a_page_gives_its_status():
    shown, conflicting = _NameForm(), _NameForm({"name": "Ada"})
    conflicting.is_valid()
    form_refusal(conflicting, Conflict("Taken meanwhile."))
    assert form_status(None, shown, conflicting) == 409
    assert form_status(None, shown) == 200
