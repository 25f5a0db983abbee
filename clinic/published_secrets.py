"""Every secret value this repository has ever published, in one place.

Development and the test suite use the first three so they run without setup; anything else that is public
(the old docker compose defaults, values in tests and the image build) is listed too. A deploy check refuses a
production configuration that uses any of them (apps/core/checks.py), and the payment webhook refuses the published
webhook secrets outside the test settings (apps/billing/payments.py): a signature made with a public secret proves
nothing.
"""

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
DEVELOPMENT_ENCRYPTION_KEY = "ZGV2LW9ubHktbm90ZS1rZXktZG8tbm90LXVzZS0wMDA="
DEVELOPMENT_WEBHOOK_SECRET = "whsec_dev_only_offline_secret"

BUILD_ONLY = "build-only"  # the image build's collectstatic runs the production settings with this placeholder

PUBLISHED = {
    "SECRET_KEY": frozenset(
        {
            DEVELOPMENT_SECRET_KEY,
            "compose-demo-secret-change-me-0123456789abcdefghij",
            "production-test-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            BUILD_ONLY,
        }
    ),
    "CLINIC_ENCRYPTION_KEYS": frozenset({DEVELOPMENT_ENCRYPTION_KEY, BUILD_ONLY}),
    "STRIPE_WEBHOOK_SECRET": frozenset(
        {
            DEVELOPMENT_WEBHOOK_SECRET,
            "whsec_compose_demo_offline_secret",
            "whsec_test_clinic",
            "whsec_production_test",
            BUILD_ONLY,
        }
    ),
    "STRIPE_SECRET_KEY": frozenset({"sk_test_clinic", "sk_test_1"}),
}
