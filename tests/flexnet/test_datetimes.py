"""xsd:dateTime values as FNO writes them, read the same on every supported Python."""

from datetime import datetime, timedelta, timezone

import pytest
from flexnet_client.xmlutil import to_datetime

from flexnet_simulator.services import _stamp_of
from flexnet_simulator.wire import BadRequest

UTC = timezone.utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01T18:26:57.189Z", datetime(2026, 12, 1, 18, 26, 57, 189000, tzinfo=UTC)),
        ("2026-12-01T18:26:57Z", datetime(2026, 12, 1, 18, 26, 57, tzinfo=UTC)),
        (" 2026-12-01T18:26:57.189Z\n", datetime(2026, 12, 1, 18, 26, 57, 189000, tzinfo=UTC)),
        ("2026-12-01T18:26:57", datetime(2026, 12, 1, 18, 26, 57, tzinfo=UTC)),  # naive: UTC
        ("2026-12-01T18:26:57.1+02:00", datetime(2026, 12, 1, 16, 26, 57, 100000, tzinfo=UTC)),
        ("2026-12-01T18:26:57.1234567-05:30", datetime(2026, 12, 1, 23, 56, 57, 123456, tzinfo=UTC)),
    ],
)
def test_client_reads_every_xsd_datetime_form(text, expected):
    value = to_datetime(text)
    assert value == expected
    assert value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text", ["2026-12-01", "yesterday", "2026-12-01T18:26:57.189ZZ", "2026-02-30T18:26:57.189Z"]
)
def test_client_refuses_what_is_not_a_datetime(text):
    with pytest.raises(ValueError):
        to_datetime(text)


def test_simulator_reads_z_and_any_fraction():
    assert _stamp_of("2026-12-01T18:26:57.189Z") == "2026-12-01T18:26:57.189Z"
    assert _stamp_of("2026-12-01T18:26:57.1+02:00") == "2026-12-01T16:26:57.100Z"
    with pytest.raises(BadRequest):
        _stamp_of("not a time")
