"""A task's former name. Celery finds a task by the name its message carries: a task renamed or moved to another app
would leave the messages queued under its old name before a deploy (a beat tick, a job asked for a moment before)
dropped by the new workers as unregistered. The old name is kept registered, handing its message to the task that
does that work now."""

from celery import Task, shared_task


def former_name(name: str, *, now: Task) -> Task:
    """Register `name` as a task that sends its arguments on to `now` (its queue, its retries), unchanged."""

    @shared_task(name=name, ignore_result=True)
    def sent_on(*args, **kwargs) -> None:
        now.apply_async(args=args, kwargs=kwargs)

    return sent_on
