#!/bin/sh
# docker compose entrypoint for web, worker and beat: the secrets come from the environment if set there, otherwise
# from a file in the shared `secrets` volume, generated on the first start. Nothing secret is in the repository.
set -eu

SECRETS_DIR="${CLINIC_SECRETS_DIR:-/var/lib/clinic/secrets}"
SECRETS_FILE="$SECRETS_DIR/clinic.env"

if [ ! -s "$SECRETS_FILE" ]; then
  umask 077
  draft="$(mktemp "$SECRETS_DIR/.clinic.env.XXXXXX")"
  python - > "$draft" <<'PY'
import base64
import os
import secrets

print(f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"CLINIC_ENCRYPTION_KEYS={base64.urlsafe_b64encode(os.urandom(32)).decode()}")
print(f"STRIPE_WEBHOOK_SECRET=whsec_{secrets.token_hex(24)}")
PY
  # web, worker and beat start together: the first complete file linked into place wins and every container uses it
  # (a link fails if the name exists, so no one overwrites the keys another container already encrypts with).
  ln "$draft" "$SECRETS_FILE" 2>/dev/null || true
  rm -f "$draft"
fi

while IFS='=' read -r name value; do
  eval "given=\${$name:-}"
  if [ -z "$given" ]; then
    export "$name=$value"
  fi
done < "$SECRETS_FILE"

exec "$@"
