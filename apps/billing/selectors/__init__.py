"""Every read of billing that is more than a get, a module per subject: `configuration` (its history),
`assessments`, `reduced_fee_cap`, `ledger` (balances, lines, statements), `reports` (aging, sliding scale),
`diagnoses`, `superbill`, `plans`, `estimates` (Good Faith Estimates) and `packages` (session packages)."""
