"""Schema migrations, run programmatically (by `duban db upgrade`, `duban serve`, tests)."""

from alembic import command
from alembic.config import Config

from service.resources import resource_dir


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
