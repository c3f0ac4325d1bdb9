"""Background jobs (việc chạy nền): the queue's model, the handler protocol, the runner.

`vault.jobs.model` says what a job is and how it lives; `vault.jobs.handler` what a package
implements for its kind and what a running job is given; `vault.jobs.runner` the loop that
claims and runs jobs. Which handlers a process has is decided by the composition root (the
API's), never here.
"""

from vault.jobs.handler import (
    FailureOutcome,
    JobContext,
    JobHandler,
    JobInterrupted,
    JobRegistry,
    LeaseLost,
    describe_error,
)
from vault.jobs.model import (
    OCR_KIND,
    Job,
    JobPolicy,
    JobStatus,
    JobSubject,
    PermanentJobError,
    SubjectType,
    backoff_seconds,
)
from vault.jobs.runner import BackgroundRunner, JobRunner, embedded_worker_wanted

__all__ = [
    "OCR_KIND",
    "BackgroundRunner",
    "FailureOutcome",
    "Job",
    "JobContext",
    "JobHandler",
    "JobInterrupted",
    "JobPolicy",
    "JobRegistry",
    "JobRunner",
    "JobStatus",
    "JobSubject",
    "LeaseLost",
    "PermanentJobError",
    "SubjectType",
    "backoff_seconds",
    "describe_error",
    "embedded_worker_wanted",
]
