"""Background jobs: their status and progress, and cancelling them."""

from __future__ import annotations

import uuid

from vault_client._request import Call, api, parse_as, segment
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.jobs import Job


def _get(job_id: uuid.UUID | str) -> Call[Job]:
    return Call("GET", api(f"/jobs/{segment(str(job_id))}"), parse_as(Job), idempotent=True)


def _cancel(job_id: uuid.UUID | str) -> Call[Job]:
    # Not retried by itself: a second request for a job the first one ended answers 409.
    return Call("POST", api(f"/jobs/{segment(str(job_id))}/cancel"), parse_as(Job))


class Jobs(SyncResource):
    def get(self, job_id: uuid.UUID | str) -> Job:
        """A job you asked for (administrators: any job); NotFoundError if there is none."""
        return self._client.execute(_get(job_id))

    def cancel(self, job_id: uuid.UUID | str) -> Job:
        """Asks the job to stop: a pending one is cancelled at once, a running one at its
        next step. Returns the job as it stands; ConflictError if it has already ended."""
        return self._client.execute(_cancel(job_id))


class AsyncJobs(AsyncResource):
    async def get(self, job_id: uuid.UUID | str) -> Job:
        """A job you asked for (administrators: any job); NotFoundError if there is none."""
        return await self._client.execute(_get(job_id))

    async def cancel(self, job_id: uuid.UUID | str) -> Job:
        """Asks the job to stop: a pending one is cancelled at once, a running one at its
        next step. Returns the job as it stands; ConflictError if it has already ended."""
        return await self._client.execute(_cancel(job_id))
