"""The whole schema: the one place that registers every mapped class on the shared metadata.

Table modules import only models (for Base and the column types), never each other's registry, so there is no
import circle; whatever needs every table at once (Alembic, the check that migrations match the models, the tests'
truncation) reads `metadata` from here. A new table module is added to the imports below.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from queue_server.storage import accounts  # noqa: F401 - WebSession, LoginFailure, PairingCode
from queue_server.storage import alerts  # noqa: F401 - Alert, AlertLimits
from queue_server.storage import catalogue  # noqa: F401 - GuideItem, DisclosureDocument
from queue_server.storage import issue_keys  # noqa: F401 - IssueKey
from queue_server.storage import ratings  # noqa: F401 - Rating, EvaluationCase, CaseAction
from queue_server.storage.models import Base

metadata: MetaData = Base.metadata
