import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.events import AccountChangeEvent, AccountChangeKind, LoginEvent, TransactionEvent
from service.domain.errors import InvalidArgument
from service.domain.validation import validate_event

NOW = 1_800_000_000.0


def _login(**changes):
    base = {"event_id": "e1", "account_id": "a1", "occurred_at": NOW - 10, "ip": "10.0.0.1",
            "country": "DE", "latitude": 52.5, "longitude": 13.4}
    return LoginEvent(**{**base, **changes})


@pytest.mark.parametrize(("event", "field"), [
    (_login(event_id=""), "login.event_id"),
    (_login(account_id=""), "login.account_id"),
    (_login(account_id="x" * 129), "login.account_id"),
    (_login(account_id="has space"), "login.account_id"),
    (_login(occurred_at=0.0), "login.occurred_at"),
    (_login(occurred_at=NOW + 3600), "login.occurred_at"),
    (_login(latitude=91.0), "login.latitude"),
    (_login(latitude=float("nan")), "login.latitude"),
    (_login(longitude=-181.0), "login.longitude"),
    (_login(country="Germany"), "login.country"),
    (_login(ip="999.1.1.1"), "login.ip"),
    (_login(user_agent="x" * 5000), "login.user_agent"),
    (TransactionEvent("t", "a", NOW, amount_minor=-1), "transaction.amount_minor"),
    (TransactionEvent("t", "a", NOW, amount_minor=1, currency="euro"), "transaction.currency"),
    (TransactionEvent("t", "a", NOW, amount_minor=1, payee_id="p" * 300), "transaction.payee_id"),
    (AccountChangeEvent("c", "a", NOW, AccountChangeKind.PHONE, device_id="d" * 300),
     "account_change.device_id"),
])
def test_bad_events_name_the_field(event, field):
    with pytest.raises(InvalidArgument) as raised:
        validate_event(event, NOW, 300)
    assert raised.value.field == field


def test_good_event_passes():
    validate_event(_login(), NOW, 300)
    validate_event(_login(ip="2001:db8::1", country=""), NOW, 300)


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True,
                                                                   allow_infinity=True))
def test_coordinates_are_accepted_only_in_range(lat, lon):
    ok = -90 <= lat <= 90 and -180 <= lon <= 180
    try:
        validate_event(_login(latitude=lat, longitude=lon), NOW, 300)
    except InvalidArgument:
        assert not ok
    else:
        assert ok


@pytest.mark.parametrize(("event", "field"), [
    (_login(event_id="e1\n"), "login.event_id"),
    (_login(account_id="alice\n"), "login.account_id"),
    (_login(country="DE\n"), "login.country"),
    (TransactionEvent("t", "a", NOW, amount_minor=1, currency="EUR\n"), "transaction.currency"),
])
def test_trailing_newlines_are_refused(event, field):
    with pytest.raises(InvalidArgument) as raised:
        validate_event(event, NOW, 300)
    assert raised.value.field == field
