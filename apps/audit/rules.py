import rules

from apps.accounts.rules import is_admin

rules.add_perm("audit.view_access_log", is_admin)
