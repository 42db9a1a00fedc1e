"""Issue 16: the count sheet saves each line when it changes, refuses what is not a count with a
message next to the line, shows progress, and keeps the value after a reload."""

from __future__ import annotations

import pytest

from portal.errors import ValidationError
from portal.extensions import db
from portal.services import supplies


@pytest.fixture
def count(app, back_office, catalogue):
    c = supplies.start_count(actor=back_office)
    db.session.commit()
    return c


def test_negative_and_non_numbers_are_refused(app, count, back_office):
    line = supplies.count_lines(count)[0]
    with pytest.raises(ValidationError) as err:
        supplies.set_counted(line, counted="-3", actor=back_office)
    assert err.value.field == "counted" and "negative" in err.value.message
    with pytest.raises(ValidationError) as err:
        supplies.set_counted(line, counted="doze", actor=back_office)
    assert err.value.field == "counted"
    assert line.counted is None


def test_progress_counts_lines(app, count, back_office):
    lines = supplies.count_lines(count)
    assert supplies.count_progress(count) == (0, len(lines))
    supplies.set_counted(lines[0], counted="4", actor=back_office)
    supplies.set_counted(lines[1], counted="0", actor=back_office)
    db.session.commit()
    assert supplies.count_progress(count) == (2, len(lines))
