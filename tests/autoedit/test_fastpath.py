"""The hot path's one-statement item state follows item_state.refresh_item_state exactly."""

import pytest
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item
from app.models.base import utcnow
from app.services.autoedit.fastpath import _REFRESH_STATE
from app.services.item_state import refresh_item_state

CASES = [  # (annotations_per_item, statuses of the item's edits, flag)
    (1, [], None), (1, ["submitted"], None), (1, ["accepted"], None), (1, ["rejected"], None),
    (2, ["submitted"], None), (2, ["submitted", "accepted"], None), (2, ["accepted", "accepted"], None),
    (1, ["draft", "superseded"], None), (1, ["accepted"], "unsafe"), (0, ["submitted"], None),
]


@pytest.mark.parametrize(("needed", "statuses", "flag"), CASES)
def test_the_sql_state_matches_the_python_rules(session: Session, marked_dataset, needed, statuses, flag) -> None:
    dataset, (item_id,) = marked_dataset(n=1, annotations_per_item=needed)
    for status in statuses:
        session.add(Edit(item_id=item_id, edited_text="x", status=EditStatus(status)))
    item = session.get(Item, item_id)
    item.flag = flag
    session.commit()
    expected = refresh_item_state(session, item)
    session.rollback()
    session.execute(_REFRESH_STATE, {"b_item_id": item_id, "b_now": utcnow()})
    session.commit()
    session.expire_all()
    assert session.get(Item, item_id).state == expected
