"""API list pages: `limit` and `offset` within bounds, or a 400 saying which bound (never a database error)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_PAGE_SIZE = 200
# Far past any list this clinic will hold, and well inside the database's 64-bit OFFSET.
MAX_OFFSET = 1_000_000_000


def _query_int(request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Enter a whole number."]}) from None
    if not minimum <= value <= maximum:
        raise ValidationError({name: [f"Enter a number from {minimum} to {maximum}."]})
    return value


class ClinicPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request) -> int:
        return _query_int(
            request, self.limit_query_param, default=self.default_limit, minimum=1, maximum=self.max_limit
        )

    def get_offset(self, request) -> int:
        return _query_int(request, self.offset_query_param, default=0, minimum=0, maximum=MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, MAX_OFFSET)}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum, maximum = bounds[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": minimum, "maximum": maximum}
        return parameters
