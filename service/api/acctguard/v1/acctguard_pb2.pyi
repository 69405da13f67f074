import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AccountChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_CHANGE_KIND_UNSPECIFIED: _ClassVar[AccountChangeKind]
    PASSWORD: _ClassVar[AccountChangeKind]
    PHONE: _ClassVar[AccountChangeKind]
    EMAIL: _ClassVar[AccountChangeKind]
    DEVICE_BINDING: _ClassVar[AccountChangeKind]
    MFA: _ClassVar[AccountChangeKind]
    ADDRESS: _ClassVar[AccountChangeKind]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    ALLOW: _ClassVar[Decision]
    CHALLENGE: _ClassVar[Decision]
    FREEZE: _ClassVar[Decision]

class ReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_CODE_UNSPECIFIED: _ClassVar[ReasonCode]
    NEW_DEVICE: _ClassVar[ReasonCode]
    NEW_COUNTRY: _ClassVar[ReasonCode]
    NEW_NETWORK: _ClassVar[ReasonCode]
    IMPOSSIBLE_TRAVEL: _ClassVar[ReasonCode]
    FAILED_LOGIN_BURST: _ClassVar[ReasonCode]
    UNUSUAL_HOUR: _ClassVar[ReasonCode]
    AMOUNT_SPIKE: _ClassVar[ReasonCode]
    NEW_PAYEE: _ClassVar[ReasonCode]
    RAPID_TRANSACTIONS: _ClassVar[ReasonCode]
    CREDENTIAL_CHANGE_THEN_PAYOUT: _ClassVar[ReasonCode]
    DORMANT_ACCOUNT: _ClassVar[ReasonCode]
    RAPID_ACCOUNT_CHANGES: _ClassVar[ReasonCode]
    LOGIN_VELOCITY: _ClassVar[ReasonCode]
    FEATURE_FROZEN: _ClassVar[ReasonCode]
    NEW_ACCOUNT: _ClassVar[ReasonCode]
    UNUSUAL_PATTERN: _ClassVar[ReasonCode]
    OPERATOR_FREEZE: _ClassVar[ReasonCode]
    TINY_AMOUNT: _ClassVar[ReasonCode]
    RISK_STORE_UNAVAILABLE: _ClassVar[ReasonCode]
    REPORTED_FRAUD: _ClassVar[ReasonCode]
    FAILED_STEP_UP: _ClassVar[ReasonCode]
    NOT_SCORED_IN_TIME: _ClassVar[ReasonCode]

class CreditFeature(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_FEATURE_UNSPECIFIED: _ClassVar[CreditFeature]
    CREDIT_LINE: _ClassVar[CreditFeature]
    INSTALLMENT_LOAN: _ClassVar[CreditFeature]
    TRANSFER_OUT: _ClassVar[CreditFeature]
    PAYMENT: _ClassVar[CreditFeature]
    CASH_WITHDRAWAL: _ClassVar[CreditFeature]

class FreezeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FREEZE_STATE_UNSPECIFIED: _ClassVar[FreezeState]
    ACTIVE: _ClassVar[FreezeState]
    LIFTED_VERIFIED: _ClassVar[FreezeState]
    LIFTED_ADMIN: _ClassVar[FreezeState]
    EXPIRED: _ClassVar[FreezeState]
    LIFTED_OUTCOME: _ClassVar[FreezeState]

class TrustState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUST_STATE_UNSPECIFIED: _ClassVar[TrustState]
    TRUSTED: _ClassVar[TrustState]
    PENDING: _ClassVar[TrustState]
    UNTRUSTED: _ClassVar[TrustState]

class VerificationMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_METHOD_UNSPECIFIED: _ClassVar[VerificationMethod]
    ONE_TIME_CODE: _ClassVar[VerificationMethod]
    TOTP: _ClassVar[VerificationMethod]

class CodeDelivery(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CODE_DELIVERY_UNSPECIFIED: _ClassVar[CodeDelivery]
    WEBHOOK: _ClassVar[CodeDelivery]
    CALLER: _ClassVar[CodeDelivery]
    AUTHENTICATOR_APP: _ClassVar[CodeDelivery]

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    CONFIRMED_FRAUD: _ClassVar[Outcome]
    CONFIRMED_LEGITIMATE: _ClassVar[Outcome]

class ChallengeResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHALLENGE_RESULT_UNSPECIFIED: _ClassVar[ChallengeResult]
    CHALLENGE_PASSED: _ClassVar[ChallengeResult]
    CHALLENGE_FAILED: _ClassVar[ChallengeResult]
    CHALLENGE_ABANDONED: _ClassVar[ChallengeResult]
ACCOUNT_CHANGE_KIND_UNSPECIFIED: AccountChangeKind
PASSWORD: AccountChangeKind
PHONE: AccountChangeKind
EMAIL: AccountChangeKind
DEVICE_BINDING: AccountChangeKind
MFA: AccountChangeKind
ADDRESS: AccountChangeKind
DECISION_UNSPECIFIED: Decision
ALLOW: Decision
CHALLENGE: Decision
FREEZE: Decision
REASON_CODE_UNSPECIFIED: ReasonCode
NEW_DEVICE: ReasonCode
NEW_COUNTRY: ReasonCode
NEW_NETWORK: ReasonCode
IMPOSSIBLE_TRAVEL: ReasonCode
FAILED_LOGIN_BURST: ReasonCode
UNUSUAL_HOUR: ReasonCode
AMOUNT_SPIKE: ReasonCode
NEW_PAYEE: ReasonCode
RAPID_TRANSACTIONS: ReasonCode
CREDENTIAL_CHANGE_THEN_PAYOUT: ReasonCode
DORMANT_ACCOUNT: ReasonCode
RAPID_ACCOUNT_CHANGES: ReasonCode
LOGIN_VELOCITY: ReasonCode
FEATURE_FROZEN: ReasonCode
NEW_ACCOUNT: ReasonCode
UNUSUAL_PATTERN: ReasonCode
OPERATOR_FREEZE: ReasonCode
TINY_AMOUNT: ReasonCode
RISK_STORE_UNAVAILABLE: ReasonCode
REPORTED_FRAUD: ReasonCode
FAILED_STEP_UP: ReasonCode
NOT_SCORED_IN_TIME: ReasonCode
CREDIT_FEATURE_UNSPECIFIED: CreditFeature
CREDIT_LINE: CreditFeature
INSTALLMENT_LOAN: CreditFeature
TRANSFER_OUT: CreditFeature
PAYMENT: CreditFeature
CASH_WITHDRAWAL: CreditFeature
FREEZE_STATE_UNSPECIFIED: FreezeState
ACTIVE: FreezeState
LIFTED_VERIFIED: FreezeState
LIFTED_ADMIN: FreezeState
EXPIRED: FreezeState
LIFTED_OUTCOME: FreezeState
TRUST_STATE_UNSPECIFIED: TrustState
TRUSTED: TrustState
PENDING: TrustState
UNTRUSTED: TrustState
VERIFICATION_METHOD_UNSPECIFIED: VerificationMethod
ONE_TIME_CODE: VerificationMethod
TOTP: VerificationMethod
CODE_DELIVERY_UNSPECIFIED: CodeDelivery
WEBHOOK: CodeDelivery
CALLER: CodeDelivery
AUTHENTICATOR_APP: CodeDelivery
OUTCOME_UNSPECIFIED: Outcome
CONFIRMED_FRAUD: Outcome
CONFIRMED_LEGITIMATE: Outcome
CHALLENGE_RESULT_UNSPECIFIED: ChallengeResult
CHALLENGE_PASSED: ChallengeResult
CHALLENGE_FAILED: ChallengeResult
CHALLENGE_ABANDONED: ChallengeResult

class ScoreRequest(_message.Message):
    __slots__ = ("login", "transaction", "account_change")
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_CHANGE_FIELD_NUMBER: _ClassVar[int]
    login: LoginEvent
    transaction: TransactionEvent
    account_change: AccountChangeEvent
    def __init__(self, login: _Optional[_Union[LoginEvent, _Mapping]] = ..., transaction: _Optional[_Union[TransactionEvent, _Mapping]] = ..., account_change: _Optional[_Union[AccountChangeEvent, _Mapping]] = ...) -> None: ...

class LoginEvent(_message.Message):
    __slots__ = ("event_id", "account_id", "occurred_at", "ip", "device_id", "user_agent", "country", "latitude", "longitude", "asn", "success", "auth_method")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    ASN_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    AUTH_METHOD_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    account_id: str
    occurred_at: _timestamp_pb2.Timestamp
    ip: str
    device_id: str
    user_agent: str
    country: str
    latitude: float
    longitude: float
    asn: int
    success: bool
    auth_method: str
    def __init__(self, event_id: _Optional[str] = ..., account_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ip: _Optional[str] = ..., device_id: _Optional[str] = ..., user_agent: _Optional[str] = ..., country: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., asn: _Optional[int] = ..., success: _Optional[bool] = ..., auth_method: _Optional[str] = ...) -> None: ...

class TransactionEvent(_message.Message):
    __slots__ = ("event_id", "account_id", "occurred_at", "amount_minor", "currency", "payee_id", "feature", "channel", "device_id", "ip", "country")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PAYEE_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    account_id: str
    occurred_at: _timestamp_pb2.Timestamp
    amount_minor: int
    currency: str
    payee_id: str
    feature: CreditFeature
    channel: str
    device_id: str
    ip: str
    country: str
    def __init__(self, event_id: _Optional[str] = ..., account_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., payee_id: _Optional[str] = ..., feature: _Optional[_Union[CreditFeature, str]] = ..., channel: _Optional[str] = ..., device_id: _Optional[str] = ..., ip: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class AccountChangeEvent(_message.Message):
    __slots__ = ("event_id", "account_id", "occurred_at", "change", "device_id", "ip")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    account_id: str
    occurred_at: _timestamp_pb2.Timestamp
    change: AccountChangeKind
    device_id: str
    ip: str
    def __init__(self, event_id: _Optional[str] = ..., account_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change: _Optional[_Union[AccountChangeKind, str]] = ..., device_id: _Optional[str] = ..., ip: _Optional[str] = ...) -> None: ...

class ScoreBatchRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ScoreRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ScoreRequest, _Mapping]]] = ...) -> None: ...

class ScoreBatchResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[ScoreResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[ScoreResponse, _Mapping]]] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "message", "weight")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    code: ReasonCode
    message: str
    weight: float
    def __init__(self, code: _Optional[_Union[ReasonCode, str]] = ..., message: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class ScoreResponse(_message.Message):
    __slots__ = ("event_id", "risk", "decision", "reasons", "frozen_features", "freeze_id", "model_version", "would_decision")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FEATURES_FIELD_NUMBER: _ClassVar[int]
    FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WOULD_DECISION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    risk: float
    decision: Decision
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    frozen_features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    freeze_id: str
    model_version: str
    would_decision: Decision
    def __init__(self, event_id: _Optional[str] = ..., risk: _Optional[float] = ..., decision: _Optional[_Union[Decision, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., frozen_features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ..., freeze_id: _Optional[str] = ..., model_version: _Optional[str] = ..., would_decision: _Optional[_Union[Decision, str]] = ...) -> None: ...

class Freeze(_message.Message):
    __slots__ = ("freeze_id", "features", "reasons", "risk", "event_id", "created_at", "expires_at", "state", "account_id", "lifted_at", "lifted_by", "lift_reason", "placed_by")
    FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    LIFTED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFTED_BY_FIELD_NUMBER: _ClassVar[int]
    LIFT_REASON_FIELD_NUMBER: _ClassVar[int]
    PLACED_BY_FIELD_NUMBER: _ClassVar[int]
    freeze_id: str
    features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    risk: float
    event_id: str
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    state: FreezeState
    account_id: str
    lifted_at: _timestamp_pb2.Timestamp
    lifted_by: str
    lift_reason: str
    placed_by: str
    def __init__(self, freeze_id: _Optional[str] = ..., features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., risk: _Optional[float] = ..., event_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[FreezeState, str]] = ..., account_id: _Optional[str] = ..., lifted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifted_by: _Optional[str] = ..., lift_reason: _Optional[str] = ..., placed_by: _Optional[str] = ...) -> None: ...

class GetAccountStatusRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class AccountStatus(_message.Message):
    __slots__ = ("account_id", "freezes", "frozen_features", "open_challenges", "verification_locked_until", "authenticator_enrolled", "devices", "pending_event_ids")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FREEZES_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FEATURES_FIELD_NUMBER: _ClassVar[int]
    OPEN_CHALLENGES_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATOR_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    PENDING_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    freezes: _containers.RepeatedCompositeFieldContainer[Freeze]
    frozen_features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    open_challenges: _containers.RepeatedCompositeFieldContainer[Challenge]
    verification_locked_until: _timestamp_pb2.Timestamp
    authenticator_enrolled: bool
    devices: _containers.RepeatedCompositeFieldContainer[DeviceTrust]
    pending_event_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, account_id: _Optional[str] = ..., freezes: _Optional[_Iterable[_Union[Freeze, _Mapping]]] = ..., frozen_features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ..., open_challenges: _Optional[_Iterable[_Union[Challenge, _Mapping]]] = ..., verification_locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., authenticator_enrolled: _Optional[bool] = ..., devices: _Optional[_Iterable[_Union[DeviceTrust, _Mapping]]] = ..., pending_event_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeviceTrust(_message.Message):
    __slots__ = ("device_id", "state", "until", "reason")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    state: TrustState
    until: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, device_id: _Optional[str] = ..., state: _Optional[_Union[TrustState, str]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class Challenge(_message.Message):
    __slots__ = ("challenge_id", "method", "created_at", "expires_at", "attempts_left", "verified")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    challenge_id: str
    method: VerificationMethod
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    attempts_left: int
    verified: bool
    def __init__(self, challenge_id: _Optional[str] = ..., method: _Optional[_Union[VerificationMethod, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts_left: _Optional[int] = ..., verified: _Optional[bool] = ...) -> None: ...

class StartVerificationRequest(_message.Message):
    __slots__ = ("account_id", "method", "device_id", "ip")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    method: VerificationMethod
    device_id: str
    ip: str
    def __init__(self, account_id: _Optional[str] = ..., method: _Optional[_Union[VerificationMethod, str]] = ..., device_id: _Optional[str] = ..., ip: _Optional[str] = ...) -> None: ...

class StartVerificationResponse(_message.Message):
    __slots__ = ("challenge_id", "expires_at", "attempts_allowed", "delivered_code", "delivery")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_CODE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    challenge_id: str
    expires_at: _timestamp_pb2.Timestamp
    attempts_allowed: int
    delivered_code: str
    delivery: CodeDelivery
    def __init__(self, challenge_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts_allowed: _Optional[int] = ..., delivered_code: _Optional[str] = ..., delivery: _Optional[_Union[CodeDelivery, str]] = ...) -> None: ...

class CompleteVerificationRequest(_message.Message):
    __slots__ = ("challenge_id", "code")
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    challenge_id: str
    code: str
    def __init__(self, challenge_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class CompleteVerificationResponse(_message.Message):
    __slots__ = ("verified", "attempts_left")
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    verified: bool
    attempts_left: int
    def __init__(self, verified: _Optional[bool] = ..., attempts_left: _Optional[int] = ...) -> None: ...

class UnfreezeRequest(_message.Message):
    __slots__ = ("account_id", "challenge_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    challenge_id: str
    def __init__(self, account_id: _Optional[str] = ..., challenge_id: _Optional[str] = ...) -> None: ...

class UnfreezeResponse(_message.Message):
    __slots__ = ("restored_features",)
    RESTORED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    restored_features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    def __init__(self, restored_features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ...) -> None: ...

class ReportOutcomeRequest(_message.Message):
    __slots__ = ("event_id", "outcome")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    outcome: Outcome
    def __init__(self, event_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ...) -> None: ...

class ReportOutcomeResponse(_message.Message):
    __slots__ = ("lifted_freeze_id", "placed_freeze_id")
    LIFTED_FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    PLACED_FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    lifted_freeze_id: str
    placed_freeze_id: str
    def __init__(self, lifted_freeze_id: _Optional[str] = ..., placed_freeze_id: _Optional[str] = ...) -> None: ...

class ReportChallengeResultRequest(_message.Message):
    __slots__ = ("event_id", "result", "method")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    result: ChallengeResult
    method: str
    def __init__(self, event_id: _Optional[str] = ..., result: _Optional[_Union[ChallengeResult, str]] = ..., method: _Optional[str] = ...) -> None: ...

class ReportChallengeResultResponse(_message.Message):
    __slots__ = ("learned",)
    LEARNED_FIELD_NUMBER: _ClassVar[int]
    learned: bool
    def __init__(self, learned: _Optional[bool] = ...) -> None: ...

class EnrollAuthenticatorRequest(_message.Message):
    __slots__ = ("account_id", "issuer")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    issuer: str
    def __init__(self, account_id: _Optional[str] = ..., issuer: _Optional[str] = ...) -> None: ...

class EnrollAuthenticatorResponse(_message.Message):
    __slots__ = ("secret", "otpauth_uri")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OTPAUTH_URI_FIELD_NUMBER: _ClassVar[int]
    secret: str
    otpauth_uri: str
    def __init__(self, secret: _Optional[str] = ..., otpauth_uri: _Optional[str] = ...) -> None: ...

class FreezeAccountRequest(_message.Message):
    __slots__ = ("account_id", "features", "reason", "ttl_seconds")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    reason: str
    ttl_seconds: int
    def __init__(self, account_id: _Optional[str] = ..., features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ..., reason: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class LiftFreezeRequest(_message.Message):
    __slots__ = ("freeze_id", "reason")
    FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    freeze_id: str
    reason: str
    def __init__(self, freeze_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListFrozenAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class FrozenAccount(_message.Message):
    __slots__ = ("account_id", "frozen_features", "active_freezes", "last_frozen_at")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FEATURES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FREEZES_FIELD_NUMBER: _ClassVar[int]
    LAST_FROZEN_AT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    frozen_features: _containers.RepeatedScalarFieldContainer[CreditFeature]
    active_freezes: int
    last_frozen_at: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., frozen_features: _Optional[_Iterable[_Union[CreditFeature, str]]] = ..., active_freezes: _Optional[int] = ..., last_frozen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFrozenAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[FrozenAccount]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[FrozenAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAuditTrailRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("sequence", "at", "actor", "action", "account_id", "subject_id", "detail", "hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    account_id: str
    subject_id: str
    detail: str
    hash: str
    def __init__(self, sequence: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., account_id: _Optional[str] = ..., subject_id: _Optional[str] = ..., detail: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class GetAuditTrailResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("version", "detectors", "challenge_threshold", "freeze_threshold", "trained_at", "source", "trained_kinds", "base_kinds", "base_model_version")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DETECTORS_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FREEZE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    TRAINED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TRAINED_KINDS_FIELD_NUMBER: _ClassVar[int]
    BASE_KINDS_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    detectors: _containers.RepeatedScalarFieldContainer[str]
    challenge_threshold: float
    freeze_threshold: float
    trained_at: _timestamp_pb2.Timestamp
    source: str
    trained_kinds: _containers.RepeatedScalarFieldContainer[str]
    base_kinds: _containers.RepeatedScalarFieldContainer[str]
    base_model_version: str
    def __init__(self, version: _Optional[str] = ..., detectors: _Optional[_Iterable[str]] = ..., challenge_threshold: _Optional[float] = ..., freeze_threshold: _Optional[float] = ..., trained_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., trained_kinds: _Optional[_Iterable[str]] = ..., base_kinds: _Optional[_Iterable[str]] = ..., base_model_version: _Optional[str] = ...) -> None: ...

class VerifyAuditChainRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReloadModelRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ForgetAccountRequest(_message.Message):
    __slots__ = ("account_id", "reason")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    reason: str
    def __init__(self, account_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ForgetAccountResponse(_message.Message):
    __slots__ = ("profiles_erased", "events_erased", "audit_entries_redacted")
    PROFILES_ERASED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_ERASED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ENTRIES_REDACTED_FIELD_NUMBER: _ClassVar[int]
    profiles_erased: int
    events_erased: int
    audit_entries_redacted: int
    def __init__(self, profiles_erased: _Optional[int] = ..., events_erased: _Optional[int] = ..., audit_entries_redacted: _Optional[int] = ...) -> None: ...

class GetDecisionSummaryRequest(_message.Message):
    __slots__ = ("hours",)
    HOURS_FIELD_NUMBER: _ClassVar[int]
    hours: int
    def __init__(self, hours: _Optional[int] = ...) -> None: ...

class DecisionCount(_message.Message):
    __slots__ = ("hour", "allow", "challenge", "freeze")
    HOUR_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    FREEZE_FIELD_NUMBER: _ClassVar[int]
    hour: _timestamp_pb2.Timestamp
    allow: int
    challenge: int
    freeze: int
    def __init__(self, hour: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., allow: _Optional[int] = ..., challenge: _Optional[int] = ..., freeze: _Optional[int] = ...) -> None: ...

class DecisionSummary(_message.Message):
    __slots__ = ("hours",)
    HOURS_FIELD_NUMBER: _ClassVar[int]
    hours: _containers.RepeatedCompositeFieldContainer[DecisionCount]
    def __init__(self, hours: _Optional[_Iterable[_Union[DecisionCount, _Mapping]]] = ...) -> None: ...

class VerifyAuditChainResponse(_message.Message):
    __slots__ = ("intact", "entries", "first_bad_sequence")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    entries: int
    first_bad_sequence: int
    def __init__(self, intact: _Optional[bool] = ..., entries: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ...) -> None: ...

class ListAccountEventsRequest(_message.Message):
    __slots__ = ("account_id", "page_size", "page_token")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page_size: int
    page_token: str
    def __init__(self, account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AccountEvent(_message.Message):
    __slots__ = ("event_id", "kind", "occurred_at", "scored_at", "risk", "decision", "reasons", "model_version", "would_decision", "freeze_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SCORED_AT_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WOULD_DECISION_FIELD_NUMBER: _ClassVar[int]
    FREEZE_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: str
    occurred_at: _timestamp_pb2.Timestamp
    scored_at: _timestamp_pb2.Timestamp
    risk: float
    decision: Decision
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    model_version: str
    would_decision: Decision
    freeze_id: str
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scored_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., risk: _Optional[float] = ..., decision: _Optional[_Union[Decision, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., model_version: _Optional[str] = ..., would_decision: _Optional[_Union[Decision, str]] = ..., freeze_id: _Optional[str] = ...) -> None: ...

class ListAccountEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AccountEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[AccountEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
