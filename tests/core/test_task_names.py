"""Every task of the clinic's apps is declared with its name (name=...), never named after the module it lives in:
moving a task to another module would otherwise rename it, and the messages already queued under the old name (a beat
tick, a reminder asked for a moment before a deploy) would be dropped by the new workers as unregistered."""

from celery import Celery

from clinic.celery import app


class _NamesWhatItIsNotGiven(Celery):
    """A Celery app that names a task declared without a name recognisably, instead of after its module."""

    def gen_task_name(self, name, module):
        return f"declared without a name: {module}.{name}"


def _apps_tasks(registry) -> dict[str, object]:
    return {name: task for name, task in registry.items() if task.__module__.startswith("apps.")}


def test_every_task_of_the_apps_is_declared_with_its_name():
    app.loader.import_default_modules()
    registered = _apps_tasks(app.tasks)
    assert len(registered) > 15
    # A shared task is declared once and given to every Celery app as it is finalized, with the options its decorator
    # was given: a new app sees the decorator's own arguments, whatever name the clinic's app gave it.
    probe = _NamesWhatItIsNotGiven("probe", set_as_current=False)
    probe.finalize(auto=True)
    declared = _apps_tasks(probe.tasks)
    unnamed = sorted(name for name in declared if name.startswith("declared without a name"))
    assert not unnamed, "Give each of these tasks name= (the name it is registered under now):\n" + "\n".join(unnamed)
    # Every task of the apps is a shared task (so the probe saw its decorator), under the same name in both.
    assert set(registered) <= set(declared), sorted(set(registered) - set(declared))


def test_the_probe_tells_a_task_declared_without_a_name():
    """The check above would pass vacuously if the probe never saw a decorator's missing name."""
    from celery import shared_task

    probe = _NamesWhatItIsNotGiven("probe", set_as_current=False)

    @shared_task
    def forgotten() -> None:  # pragma: no cover (never run, only declared)
        pass

    @shared_task(name="tests.core.test_task_names.remembered")
    def remembered() -> None:  # pragma: no cover
        pass

    probe.finalize(auto=True)
    assert f"declared without a name: {__name__}.forgotten" in probe.tasks
    assert "tests.core.test_task_names.remembered" in probe.tasks
