from django.db import migrations, models
from django.utils import timezone


def revoke_all_but_newest_pending(apps, schema_editor):
    """Links sent before this rule: of each person's pending invitations only the newest keeps working."""
    Invitation = apps.get_model("accounts", "Invitation")
    newest_by_user = {}
    pending = Invitation.objects.filter(user__isnull=False, accepted_at=None, revoked_at=None)
    for invitation in pending.order_by("user_id", "-created_at", "-id"):
        if invitation.user_id in newest_by_user:
            Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
        else:
            newest_by_user[invitation.user_id] = invitation.pk


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens_replace_shared_tokens"),
    ]

    operations = [
        migrations.RunPython(revoke_all_but_newest_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)),
                fields=("user",),
                name="one_pending_invitation_per_user",
            ),
        ),
    ]
