"""Who a request is signed in as, and with which verified device (and the user's therapist profile), read in one
query.

Django's AuthenticationMiddleware reads the session's user and django-otp's OTPMiddleware then reads the device the
session passed MFA with: two queries on every request of signed-in staff. SessionUserMiddleware (in OTPMiddleware's
place, after Django's) reads the device with its user in one, when the session names a TOTP device, and accepts the
pair only when Django and django-otp would both accept it without changing the session: the session's backend is
allowed and loads users as ModelBackend does, the user may sign in (is active), the session's auth hash matches
(User.get_session_auth_hash: the password's, with the account's sessions generation once its sessions were ended),
and the device is confirmed and the user's. Anything else (a device deleted or moved to another user, a password
changed or the account's sessions ended, a deactivated account, a session with no device yet) takes Django's and
django-otp's own paths, which refuse or clean the session as they always did. Nothing is cached: both rows are read
on every request, so a change takes effect on the next one.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

_TOTP_PREFIX = f"{TOTPDevice._meta.label_lower}/"


def _accepted_device(request) -> TOTPDevice | None:
    """The session's confirmed TOTP device, its user read with it, when Django and django-otp would accept both as
    they stand; else None."""
    session = request.session
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    persistent_id = OTPMiddleware._normalize_persistent_id(persistent_id)
    backend_path = session.get(BACKEND_SESSION_KEY)
    session_hash = session.get(HASH_SESSION_KEY)
    if (
        not persistent_id.startswith(_TOTP_PREFIX)
        or not session_hash
        or backend_path not in settings.AUTHENTICATION_BACKENDS
    ):
        return None
    backend = load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user:
        return None  # a backend that loads its users its own way is left to do so
    try:
        device_id = int(persistent_id.removeprefix(_TOTP_PREFIX))
        user_id = User._meta.pk.to_python(session.get(SESSION_KEY))
    except (ValueError, ValidationError):
        return None
    # The user's therapist profile comes with them (none for other staff): whether they are a psychotherapist or a
    # bodywork provider decides what most of a therapist's pages show, so it would otherwise be read by every one.
    device = (
        TOTPDevice.objects.select_related("user", "user__therapist_profile")
        .filter(pk=device_id, user_id=user_id, confirmed=True)
        .first()
    )
    if device is None:
        return None
    user = device.user
    if not backend.user_can_authenticate(user) or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return device


class SessionUserMiddleware(OTPMiddleware):
    """django-otp's middleware, with the session's device and user read together (see the module)."""

    def _verify_user_sync(self, request, user):
        device = _accepted_device(request)
        if device is None:
            return super()._verify_user_sync(request, user)
        # Django's lazy request.user answers from this from now on, as if it had read the row itself.
        request._cached_user = device.user
        self._init_user_fields(device.user)
        device.user.otp_device = device
        return device.user
