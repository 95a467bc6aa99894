# tests/conftest.py enables tests.support.fixtures for the whole suite; the
# import here keeps these tests runnable on their own until it does (pytest
# only accepts pytest_plugins in the top-level conftest).
from tests.support.fixtures import (  # noqa: F401
    _robot_receiver_server,
    notifier_config,
    robot_receiver,
    smtp_certificate,
    smtp_receiver,
    smtp_receiver_factory,
)
