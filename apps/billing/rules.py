"""Who may see and change billing data.

Billing sees incomes and ledgers; the front desk records payments and sees balances but never income
figures; a therapist sees a patient's class, not their income; a patient sees only their own.
"""

import rules

from apps.accounts.rules import is_admin, is_billing, is_front_desk
from apps.patients.rules import is_own_record, is_treating_therapist

is_billing_office = is_admin | is_billing

rules.add_perm("billing.manage_config", is_billing_office)
rules.add_perm("billing.review_assessment", is_billing_office)
rules.add_perm("billing.view_income", is_billing_office)
rules.add_perm("billing.view_patient_income", is_billing_office | is_own_record)
rules.add_perm("billing.apply_assessment", is_billing_office | is_own_record)
rules.add_perm("billing.view_class", is_billing_office | is_front_desk | is_treating_therapist | is_own_record)
rules.add_perm("billing.list_balances", is_billing_office | is_front_desk)
rules.add_perm("billing.view_ledger", is_billing_office | is_front_desk | is_own_record)
rules.add_perm("billing.record_payment", is_billing_office | is_front_desk)
rules.add_perm("billing.post_adjustment", is_billing_office)
rules.add_perm("billing.refund_payment", is_billing_office)
rules.add_perm("billing.manage_plan", is_billing_office | is_front_desk)
rules.add_perm("billing.sell_package", is_billing_office | is_front_desk)
# Refunding a package gives money back, as refunding a payment does.
rules.add_perm("billing.refund_package", is_billing_office)
rules.add_perm("billing.pay_online", is_own_record)
rules.add_perm("billing.view_reports", is_billing_office)
rules.add_perm("billing.issue_statement", is_billing_office)
rules.add_perm("billing.edit_diagnoses", is_billing_office | is_treating_therapist)
# The diagnosis codes billing holds for superbills (confirmed, and proposed from the intake note).
rules.add_perm("billing.view_diagnoses", is_billing_office)
# A superbill carries those codes, so staff issue one where they may read them; a patient downloads their own.
rules.add_perm("billing.issue_superbill", is_billing_office)
# Good Faith Estimates of any patient: the staff who see ledgers. A patient reads their own in the portal.
rules.add_perm("billing.view_estimates", is_billing_office | is_front_desk)
# Issuing one when a patient asks is a desk task, as reading them is; it posts nothing to the ledger.
rules.add_perm("billing.issue_estimate", is_billing_office | is_front_desk)
