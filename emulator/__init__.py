"""A local emulator of Amazon Personalize: the real wire protocols, SQLite state, locally trained models."""

__version__ = "0.1.0"
