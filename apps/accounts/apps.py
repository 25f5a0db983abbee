from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_delete


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        from . import access
        from .models import User

        # The cached roles and permissions (apps/accounts/access.py) are forgotten whenever they may have changed.
        m2m_changed.connect(access.user_groups_changed, sender=User.groups.through)
        m2m_changed.connect(access.user_permissions_changed, sender=User.user_permissions.through)
        m2m_changed.connect(access.group_permissions_changed, sender=Group.permissions.through)
        post_save.connect(access.group_changed, sender=Group)
        pre_delete.connect(access.group_changed, sender=Group)
        post_migrate.connect(access.access_forget_everyone, sender=self)
