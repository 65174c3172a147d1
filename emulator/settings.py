"""Every knob of one emulator instance, with the defaults users get."""

import os
import pathlib
from dataclasses import dataclass, field

DEFAULT_PORT = 8080
DEFAULT_ACCOUNT = "123456789012"   # moto's DEFAULT_ACCOUNT_ID, so our ARNs agree with its IAM roles


@dataclass
class TrainingBudget:
    """Emulator settings, never recipe hyperparameters. spec: recipes-and-models.md §2.8"""
    max_epochs: int = 10
    seconds: float = 240.0
    threads: int = 1   # torch's 2-thread training slows up to 30x when another process shares the cores
    # HPO's successive halving: stop after epoch k (from 1) when its validation NDCG is below the k-th floor
    epoch_floors: tuple[float, ...] = ()


def _default_data_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("PERSONALIZE_EMULATOR_DATA_DIR", "~/.personalize-emulator")).expanduser()


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: pathlib.Path = field(default_factory=_default_data_dir)
    account_id: str = field(default_factory=lambda: os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT))
    default_region: str = "us-east-1"        # for unsigned requests, as moto does
    status_seconds: float = 0.2              # the least time a resource shows each transient status
    worker_threads: int = 4                  # lifecycle jobs that run at once
    training_processes: int = 1              # trainings that run at once, each in its own process
    warm_up_training: bool = True            # training processes set torch up before their first training
    server_threads: int = 8
    s3_endpoint_url: str | None = None       # read import data from another S3 (LocalStack, MinIO) instead of ours
    strict_responses: bool = False           # check every response against its output shape (tests)
    cors_origins: tuple[str, ...] = ()       # web pages (origins) allowed to call the emulator; "*": any
    quotas: bool = True                      # the service's quotas (5 dataset groups, ...) raise LimitExceeded
    feedback_refresh_seconds: float = 60.0   # how often exploration takes in new clicks and impressions (AWS: 2 h)
    extra_recipes: bool = False              # ListRecipes also lists the emulator's own recipes (emulator-deepfm, ...)
    day_seconds: float = 86_400.0            # one day of automatic training's schedule and of users' time away
                                             # (popular_now.away); smaller to watch days pass
    training: TrainingBudget = field(default_factory=TrainingBudget)

    @property
    def database_path(self) -> pathlib.Path:
        return self.data_dir / "emulator.db"

    @property
    def models_dir(self) -> pathlib.Path:
        return self.data_dir / "models"
