"""Who sees the front desk's day on the staff home: the people who run the schedule."""

import rules

from apps.accounts.rules import is_admin, is_front_desk

rules.add_perm("frontdesk.view_day", is_admin | is_front_desk)
