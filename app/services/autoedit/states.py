"""The states of a batch and of its per-item tasks, in one place."""

# Task: pending -> queued (message sent) -> running (call in flight) -> done | failed | cancelled;
# running -> retrying (a retry is scheduled) -> running; a lost queued/running task goes back to queued.
PENDING, QUEUED, RUNNING, RETRYING = "pending", "queued", "running", "retrying"
DONE, FAILED, CANCELLED = "done", "failed", "cancelled"
TASK_ACTIVE = (PENDING, QUEUED, RUNNING, RETRYING)
TASK_CLAIMABLE = (PENDING, QUEUED, RETRYING)

# Batch: queued (batches mode, before submission) -> running -> succeeded | failed | cancelled | stopped;
# cancelling: batches mode, waiting for the remote batch to wind down and hand back what it finished.
B_QUEUED, B_RUNNING, B_CANCELLING = "queued", "running", "cancelling"
B_SUCCEEDED, B_FAILED, B_CANCELLED, B_STOPPED = "succeeded", "failed", "cancelled", "stopped"
BATCH_ACTIVE = (B_QUEUED, B_RUNNING, B_CANCELLING)
BATCH_FINAL = (B_SUCCEEDED, B_FAILED, B_CANCELLED, B_STOPPED)
