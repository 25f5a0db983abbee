from .navigation import navigation_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    # A user the OTP middleware did not set up (an API token's, authenticated by DRF) has no is_verified: the token
    # stands for the second factor there, as StaffVerifiedMFA says.
    is_verified = getattr(user, "is_verified", None)
    if user.requires_mfa and is_verified is not None and not is_verified():
        # Past the password but not the second factor (the challenge and enrolment pages): the menu's links lead
        # nowhere yet, and its counts (unread messages, referrals waiting) are the clinic's to tell after both.
        return {"nav_items": []}
    return {"nav_items": navigation_for(user)}
