from .models import AccessLog


def access_log_list(*, patient_id: int | None = None, actor_id: int | None = None):
    qs = AccessLog.objects.select_related("actor")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    return qs
