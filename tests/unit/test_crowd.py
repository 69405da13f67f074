from detectors.crowd import NetworkFailures
from detectors.events import EventKind, LoginEvent, TransactionEvent
from detectors.features import extract_features, feature_schema
from detectors.profile import AccountProfile

START = 1_767_225_600.0


def _fail(n: int, at: float, ip: str = "203.0.113.7") -> LoginEvent:
    return LoginEvent(f"f{n}", f"acct-{n}", at, ip=ip, success=False)


def test_counts_failures_of_a_network_across_accounts_for_an_hour():
    crowd = NetworkFailures()
    for n in range(30):
        crowd.record(_fail(n, START + n))
    crowd.record(_fail(0, START + 40))  # an account failing twice counts once
    probe = LoginEvent("p", "victim", START + 60, ip="203.0.113.200", success=False)
    assert crowd.signals(probe).network_failed_accounts_1h == 30
    own = LoginEvent("p", "acct-3", START + 60, ip="203.0.113.200", success=False)
    assert crowd.signals(own).network_failed_accounts_1h == 29  # only the other accounts
    other = LoginEvent("o", "victim", START + 60, ip="198.51.100.1", success=False)
    assert crowd.signals(other).network_failed_accounts_1h == 0
    later = LoginEvent("l", "victim", START + 3700, ip="203.0.113.9", success=False)
    assert crowd.signals(later).network_failed_accounts_1h == 0


def test_recording_the_same_event_again_changes_nothing():
    """A batch that fails to commit is scored again one event at a time, recording its failed
    sign-ins a second time: the signal must not move."""
    crowd = NetworkFailures()
    for n in range(5):
        crowd.record(_fail(n, START + n))
    probe = LoginEvent("p", "victim", START + 60, ip="203.0.113.200", success=False)
    before = crowd.signals(probe)
    for n in range(5):
        crowd.record(_fail(n, START + n))
    assert crowd.signals(probe) == before
    assert crowd.entries() == 5


def test_successes_and_other_kinds_are_not_counted():
    crowd = NetworkFailures()
    crowd.record(LoginEvent("s", "a", START, ip="203.0.113.7", success=True))
    crowd.record(TransactionEvent("t", "a", START, amount_minor=1, ip="203.0.113.7"))
    assert crowd.signals(_fail(1, START + 1)).network_failed_accounts_1h == 0


def test_memory_is_bounded_in_networks_and_accounts():
    crowd = NetworkFailures(max_networks=10, max_accounts=8)
    for n in range(100):
        crowd.record(_fail(n, START + n, ip=f"10.0.{n}.1"))
        crowd.record(_fail(1000 + n, START + n, ip="10.9.9.9"))
    assert len(crowd) == 10
    assert crowd.entries() <= 10 * 8


def test_one_account_failing_many_times_cannot_flush_the_others():
    crowd = NetworkFailures()
    for n in range(40):
        crowd.record(_fail(n, START + n))
    for n in range(2000):
        crowd.record(LoginEvent(f"d{n}", "decoy", START + 50 + n * 0.01, ip="203.0.113.7",
                                success=False))
    probe = LoginEvent("p", "victim", START + 100, ip="203.0.113.8", success=False)
    assert crowd.signals(probe).network_failed_accounts_1h == 41


def test_failures_after_a_late_event_do_not_count_for_it():
    crowd = NetworkFailures()
    for n in range(20):
        crowd.record(_fail(n, START + 7200 + n))
    late = LoginEvent("late", "victim", START, ip="203.0.113.8", success=False)
    assert crowd.signals(late).network_failed_accounts_1h == 0


def test_stuffed_network_shows_in_the_login_features():
    crowd = NetworkFailures()
    for n in range(50):
        crowd.record(_fail(n, START + n))
    probe = _fail(99, START + 100)
    vector = extract_features(probe, AccountProfile.new("acct-99"), crowd.signals(probe))
    values = dict(zip(feature_schema(EventKind.LOGIN), vector.values, strict=True))
    assert values["network_failed_accounts_1h_log"] > 3.8  # log1p(50 - 2)
    assert vector.context["network_failed_accounts_1h"] == 50
