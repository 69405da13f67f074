"""Row encodings: reasons and features survive the round trip, whichever encoder wrote them."""

import json
import math

from detectors.events import CreditFeature
from detectors.reasons import Reason, ReasonCode
from service.storage.records import (
    features_from_json,
    features_to_json,
    reasons_from_json,
    reasons_to_json,
)


def test_reasons_round_trip_including_text_that_needs_escaping():
    reasons = (Reason(ReasonCode.NEW_DEVICE, 'a "new" device — ünïcode\n', 0.1234567890123),
               Reason(ReasonCode.AMOUNT_SPIKE, "", 1.0))
    assert reasons_from_json(reasons_to_json(reasons)) == reasons
    assert reasons_from_json(reasons_to_json(())) == ()


def test_a_non_finite_weight_is_kept_not_turned_into_null():
    [back] = reasons_from_json(reasons_to_json([Reason(ReasonCode.NEW_DEVICE, "x", math.inf)]))
    assert back.weight == math.inf


def test_rows_written_by_the_standard_library_still_read():
    old = json.dumps([["NEW_DEVICE", "new device", 0.5]])  # how earlier versions wrote them
    assert reasons_from_json(old) == (Reason(ReasonCode.NEW_DEVICE, "new device", 0.5),)
    features = (CreditFeature.PAYMENT, CreditFeature.TRANSFER_OUT)
    assert features_from_json(features_to_json(features)) == features
    assert features_from_json(json.dumps(["PAYMENT"])) == (CreditFeature.PAYMENT,)
