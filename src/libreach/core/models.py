from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job (see core.periodic) was last put on the task queue.

    One row per registered job; workers claim the row with a row lock before enqueuing,
    so several workers never enqueue the same job twice in one interval.
    """

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (last {self.last_enqueued_at})"
