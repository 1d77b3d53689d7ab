"""After a run: is every acknowledged write in the database, and every submission there exactly once?"""

import hashlib
from dataclasses import dataclass, field

import psycopg

from benchmarks.load.scenario import Ledger


@dataclass
class Verdict:
    acknowledged_submissions: int = 0
    stored_submissions: int = 0
    missing: list[str] = field(default_factory=list)
    """Acknowledged writes the database lacks, or holds with other text or an older version."""
    duplicates: list[str] = field(default_factory=list)
    """(item, author) pairs with more than one finished edit."""
    unacknowledged: int = 0
    """Submissions stored whose reply never arrived (possible only when a fault cut a reply off)."""
    drafts_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicates

    def lines(self) -> list[str]:
        out = [
            f"acknowledged submissions: {self.acknowledged_submissions}; finished edits stored: "
            f"{self.stored_submissions}; stored without an acknowledgement: {self.unacknowledged}",
            f"acknowledged drafts checked: {self.drafts_checked}; lost or stale writes: {len(self.missing)}; "
            f"items submitted twice by one annotator: {len(self.duplicates)}",
        ]
        out += [f"  LOST: {m}" for m in self.missing[:10]]
        out += [f"  DUPLICATE: {d}" for d in self.duplicates[:10]]
        return out


def _dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


def verify(database_url: str, ledger: Ledger, annotator_ids: list[int]) -> Verdict:
    """Compare the ledger (acknowledged writes, by annotator index) with the edits stored."""
    v = Verdict(acknowledged_submissions=len(ledger.submissions))
    with psycopg.connect(_dsn(database_url)) as conn:
        rows = conn.execute(
            "SELECT id, item_id, author_id, status, version, edited_text FROM edits WHERE author_id = ANY(%s)",
            (annotator_ids,),
        ).fetchall()
    by_id = {r[0]: r for r in rows}
    by_pair: dict[tuple[int, int], list[tuple]] = {}
    for r in rows:
        by_pair.setdefault((r[1], r[2]), []).append(r)
    finished = [r for r in rows if r[3] != "draft"]
    v.stored_submissions = len(finished)
    for item_id, author_id in {(r[1], r[2]) for r in finished}:
        count = sum(1 for r in by_pair[(item_id, author_id)] if r[3] != "draft")
        if count != 1:
            v.duplicates.append(f"item {item_id} author {author_id}: {count} finished edits")
    acked_ids = set()
    for ack in ledger.submissions:
        row = by_id.get(ack.edit_id)
        acked_ids.add(ack.edit_id)
        where = f"submission edit {ack.edit_id} (item {ack.item_id}, v{ack.version})"
        if row is None:
            v.missing.append(f"{where}: no such row")
        elif row[2] != annotator_ids[ack.user] or row[1] != ack.item_id:
            v.missing.append(f"{where}: stored for another item or author")
        elif row[3] not in ("submitted", "accepted"):
            v.missing.append(f"{where}: status {row[3]}")
        elif hashlib.sha256(row[5].encode()).hexdigest() != ack.text_sha or row[4] != ack.version:
            v.missing.append(f"{where}: stored text or version differs (v{row[4]})")
    v.unacknowledged = sum(1 for r in finished if r[0] not in acked_ids)
    for (user, item_id), ack in ledger.last_draft.items():
        v.drafts_checked += 1
        row = by_id.get(ack.edit_id)
        if row is None or row[4] < ack.version:
            v.missing.append(f"draft of item {item_id} by annotator {user}: acknowledged v{ack.version}, "
                             f"stored {'nothing' if row is None else f'v{row[4]}'}")
        elif row[4] == ack.version and hashlib.sha256(row[5].encode()).hexdigest() != ack.text_sha:
            v.missing.append(f"draft of item {item_id} v{ack.version}: stored text differs")
    return v
