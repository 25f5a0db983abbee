"""Who may see the message log and send a failed message again: the front desk and admins."""

import rules

from apps.accounts.rules import is_admin, is_front_desk

rules.add_perm("notifications.view_messages", is_admin | is_front_desk)
rules.add_perm("notifications.resend_message", is_admin | is_front_desk)
