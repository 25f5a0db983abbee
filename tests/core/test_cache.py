"""The cache keeps one Redis client per connection pool and still reads, writes and fails over as Django's does."""

from django.core.cache import cache, caches

from apps.core.cache import ClinicRedisCache


def test_the_cache_is_the_clinics_and_reuses_one_client_per_pool():
    assert isinstance(caches["default"], ClinicRedisCache)
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.set("cache-test-key", {"fee": "80.00"}, 30)
    assert cache.get("cache-test-key") == {"fee": "80.00"}
    assert cache.get_many(["cache-test-key", "cache-test-missing"]) == {"cache-test-key": {"fee": "80.00"}}
    assert cache._cache.get_client() is client


def test_an_unreachable_cache_still_raises_as_djangos_does(settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    down = caches.create_connection("default")
    try:
        down.get("anything")
    except Exception as exc:  # the callers' own fallbacks (roles, fees) catch this
        assert "Connection" in type(exc).__name__ or "Connection" in str(exc)
    else:
        raise AssertionError("an unreachable Redis answered")
