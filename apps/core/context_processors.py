import clinic


def release(request) -> dict:
    """The running release, for the staff page footer. Patients and visitors are not told it: a version number
    helps whoever looks for a known weakness more than it helps them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_clinic_staff:
        return {}
    return {"clinic_version": clinic.__version__}
