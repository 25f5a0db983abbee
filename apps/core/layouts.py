def layout_for(user) -> str:
    """The base template a page shared by every role (the 403, the end of a form) extends: the staff layout for
    staff, the portal's for a patient (its menu and brand lead back into the portal), the plain one otherwise.
    Someone who is both is staff here, as the home page treats them."""
    if user is None or not user.is_authenticated:
        return "base.html"
    if user.is_clinic_staff:
        return "staff_base.html"
    return "portal/base.html" if user.is_patient else "base.html"
