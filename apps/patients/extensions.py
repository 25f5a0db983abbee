"""What the apps above patients do when a chart is opened, without patients importing them.

Programs links a member of the public who registered for lectures with the same email to the new chart, so the
person is linked, not duplicated. Each app appends its reaction in its AppConfig.ready(); they run in the
transaction that opens the chart, in registration order.
"""

from collections.abc import Callable

# Each is called with keyword arguments: actor, patient.
chart_opened: list[Callable[..., None]] = []


def chart_opened_register(reaction: Callable[..., None]) -> None:
    if reaction not in chart_opened:
        chart_opened.append(reaction)
