"""The client's address: one rule for the access log, the sign-in lockout and the request limits."""

import pytest
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from apps.core.client_address import client_address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.2"),
        (0, "198.51.100.9", "10.0.0.2"),  # no proxy: a client's own header is ignored
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "192.0.2.1, 198.51.100.9", "198.51.100.9"),  # the left entry is the client's to forge
        (2, "192.0.2.1, 198.51.100.9, 10.0.0.7", "198.51.100.9"),
        (3, "198.51.100.9, 10.0.0.7", "198.51.100.9"),  # fewer entries than proxies: the leftmost
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_the_address_counted_behind_each_number_of_proxies(settings, proxies, forwarded, expected):
    settings.CLINIC_NUM_PROXIES = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra)

    assert client_address(request) == expected
    if forwarded != "not-an-address":  # the request limits (DRF's count) agree
        from rest_framework.settings import api_settings

        api_settings.reload()
        assert SimpleRateThrottle.__new__(SimpleRateThrottle).get_ident(request) == expected


@pytest.mark.django_db
def test_the_access_log_records_the_forwarded_address(settings, personas, login):
    from apps.audit.models import AccessLog

    settings.CLINIC_NUM_PROXIES = 1
    client = login(personas.therapist)
    client.get(f"/patients/{personas.patient.pk}/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert AccessLog.objects.filter(actor=personas.therapist).latest("at").ip_address == "198.51.100.9"
