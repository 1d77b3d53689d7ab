"""Typed SQLAlchemy 2 models; importing this package registers every table."""

from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.batches import AutoEditBatch, AutoEditTask
from app.models.datasets import Dataset, Item
from app.models.edits import Edit, EditStatus, Lease, Skip, TokenLabels
from app.models.exports import Export
from app.models.jobs import TrainingJob
from app.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken", "AuditEvent", "AutoEditBatch", "AutoEditTask", "Base", "Dataset", "Edit", "EditStatus",
    "Export", "Item", "Lease", "Role", "Skip", "TokenLabels", "TrainingJob", "User",
]
