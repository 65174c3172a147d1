"""A local emulator of Amazon Personalize: the real wire protocols, SQLite state, locally trained models."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`from emulator import mock_personalize` loads the in-process mode (and boto3) only when asked for."""
    if name == "mock_personalize":
        from emulator.inprocess import mock_personalize
        return mock_personalize
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
