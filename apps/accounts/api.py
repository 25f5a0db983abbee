from rest_framework import serializers, viewsets

from .api_permissions import permissions_with
from .disciplines import Discipline
from .models import User
from .roles import Role


class TherapistOutput(serializers.ModelSerializer):
    credentials = serializers.CharField(source="therapist_profile.credentials", default="")
    npi = serializers.CharField(source="therapist_profile.npi", default="")
    is_prelicensed = serializers.BooleanField(source="therapist_profile.is_prelicensed", default=False)
    supervisor = serializers.IntegerField(source="therapist_profile.supervisor_id", default=None, allow_null=True)
    discipline = serializers.CharField(source="therapist_profile.discipline", default=Discipline.PSYCHOTHERAPY)

    class Meta:
        model = User
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "credentials",
            "npi",
            "is_prelicensed",
            "supervisor",
            "discipline",
        ]


class TherapistViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TherapistOutput
    permission_classes = permissions_with("accounts.view_therapists")

    def get_queryset(self):
        return (
            User.objects.filter(groups__name=Role.THERAPIST, is_active=True)
            .select_related("therapist_profile")
            .order_by("last_name", "first_name")
        )


def register(router) -> None:
    router.register("therapists", TherapistViewSet, basename="therapist")
