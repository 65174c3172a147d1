"""The modeled AWS exceptions, one class per error shape, plus the unmodeled ones we must answer with; and
TaskFailed, the failure a job records on its resource rather than answers."""


class ServiceError(Exception):
    """An error the client gets as an AWS error response: code, HTTP status, message."""

    code = "InternalFailure"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputException(ServiceError):
    code = "InvalidInputException"


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(ServiceError):
    code = "ResourceAlreadyExistsException"


class ResourceInUseException(ServiceError):
    code = "ResourceInUseException"


class LimitExceededException(ServiceError):
    code = "LimitExceededException"


class InvalidNextTokenException(ServiceError):
    code = "InvalidNextTokenException"


class TooManyTagsException(ServiceError):
    code = "TooManyTagsException"


class TooManyTagKeysException(ServiceError):
    code = "TooManyTagKeysException"


# Not in the Personalize models; AWS JSON services answer these for broken requests.
# spec: wire-protocol.md, section 5.6.
class SerializationException(ServiceError):
    code = "SerializationException"


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class ValidationException(ServiceError):
    """Input that breaks the model, for the operations that model no InvalidInputException."""

    code = "ValidationException"


class NotImplementedYet(ServiceError):
    """An operation of the model that the emulator does not serve yet: 501, which no SDK retries."""

    code = "InternalFailure"
    status = 501


MODELED = {cls.code: cls for cls in (
    InvalidInputException, ResourceNotFoundException, ResourceAlreadyExistsException,
    ResourceInUseException, LimitExceededException, InvalidNextTokenException,
    TooManyTagsException, TooManyTagKeysException)}


class TaskFailed(Exception):
    """The job's resource ends CREATE FAILED with this message as its failureReason."""
