"""A role's name as people read it ("Front desk"), where pages list a user's groups."""

from django import template

from apps.accounts.roles import Role

register = template.Library()


@register.filter
def role_label(name: str) -> str:
    return Role(name).label if name in Role.values else name
