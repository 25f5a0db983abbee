FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=clinic.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only CLINIC_ENCRYPTION_KEYS=build-only STRIPE_WEBHOOK_SECRET=build-only \
    CLINIC_NO_ONLINE_CARD_PAYMENTS=1 CLINIC_SMS_BACKEND=console python manage.py collectstatic --noinput
# docker compose keeps its generated secrets and the uploads here (a named volume takes its directory's owner).
RUN useradd --create-home clinic && chown -R clinic /app \
    && mkdir -p /var/lib/clinic/secrets /var/lib/clinic/media /var/lib/clinic/private \
    && chown clinic /var/lib/clinic/secrets /var/lib/clinic/media /var/lib/clinic/private \
    && chmod 700 /var/lib/clinic/secrets
USER clinic
EXPOSE 8000
CMD ["gunicorn", "clinic.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
