"""Reusable local receivers (robot/webhook HTTP server, SMTP server) and
their pytest fixtures; enable with pytest_plugins = ["tests.support.fixtures"]."""
