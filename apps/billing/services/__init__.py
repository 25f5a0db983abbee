"""Every write to billing, a module per job: `configuration` (fees, guidelines, the class table), `assessments`,
`diagnoses`, `charges`, `payments` (payments, refunds, adjustments), `plans`, `checkout` (online card payments
and the provider's events), `statements`, `estimates` (Good Faith Estimates), `reduced_fee_cap` and `packages`
(session packages: selling, covering sessions, refunding).

Ledger rows are only ever inserted. Services that depend on the current state of a patient's ledger lock the
patient row first (always the patient, then the ledger row), so two cashiers cannot overspend a refund or
double-post the same outcome.
"""
