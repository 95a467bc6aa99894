"""Where the non-Python parts of the distribution live at run time."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return `templates` or `migrations`.

    A wheel ships them inside the `service` package (see setup.py); a source checkout
    or an editable install keeps them at the top of the repository.
    """
    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name
