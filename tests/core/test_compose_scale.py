"""The compose file's scale profile: two web servers behind one proxy, a worker per need, one beat, a replica.
(`docker compose --profile scale config -q` validates the file itself where Docker is installed.)"""

from pathlib import Path

import yaml
from django.conf import settings

COMPOSE = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "web-2", "worker", "worker-reminders", "beat")


def _command(name: str) -> str:
    command = SERVICES[name].get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def test_the_proxy_sends_requests_to_both_web_servers():
    assert "gunicorn" in _command("web") and "gunicorn" in _command("web-2")
    assert "--to web:8000 --to web-2:8000" in _command("proxy")
    assert {"web-2", "proxy", "worker-reminders", "worker-records", "db-replica"} == {
        name for name, service in SERVICES.items() if "scale" in service.get("profiles", [])
    }


def test_every_queue_has_a_reader_and_one_beat_runs():
    assert "-Q" not in _command("worker"), "the general worker reads every queue"
    assert _command("worker-reminders").endswith("-Q reminders")
    assert _command("worker-records").endswith("-Q records")
    assert [name for name in SERVICES if "celery -A clinic beat" in _command(name)] == ["beat"]


def test_app_containers_share_the_uploads_and_the_secrets():
    for name in APP_SERVICES:
        assert "media:/var/lib/clinic/media" in SERVICES[name]["volumes"], name
        assert SERVICES[name]["environment"]["CLINIC_MEDIA_ROOT"] == "/var/lib/clinic/media", name
        # The record PDFs a worker prepares, which a web server sends: shared too, and apart from the uploads.
        assert "private:/var/lib/clinic/private" in SERVICES[name]["volumes"], name
        assert SERVICES[name]["environment"]["CLINIC_PRIVATE_ROOT"] == "/var/lib/clinic/private", name
    assert "media" in COMPOSE["volumes"] and "private" in COMPOSE["volumes"]


def test_the_replica_is_a_base_backup_of_the_database_that_follows_it():
    command = _command("db-replica")
    assert "pg_basebackup -h db" in command and "-R -X stream" in command and "hot_standby=on" in command
    hba = (Path(settings.BASE_DIR) / "deploy/postgres/pg_hba.conf").read_text()
    assert "host    replication  postgres  all           scram-sha-256" in hba
