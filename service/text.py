"""One rule for the text a request carries: no invisible control characters.

They break what the app makes of its text (openpyxl refuses them in the xlsx
exports, they corrupt e-mail headers and robot messages), and PostgreSQL
refuses NUL while SQLite stores it; refusing them at the door keeps both
databases alike. Multi-line text (reports, measures, comments) keeps tab,
line feed and carriage return; a one-line value (a name, an address, a robot
key) keeps none of them.

API bodies declare their fields as `Text` or `Line`; web forms are checked as
a whole (`check_form`) before any handler reads them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from starlette.datastructures import UploadFile

from service.errors import Invalid

# C0 controls and DEL (XML 1.0, so xlsx, cannot hold most of them), as regex character ranges.
_REFUSED_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_REFUSED_IN_LINE = r"\x00-\x1f\x7f"
_IN_TEXT = re.compile(f"[{_REFUSED_IN_TEXT}]")
_IN_LINE = re.compile(f"[{_REFUSED_IN_LINE}]")
MESSAGE = "含有不可见的控制字符（{character}）"


def _pattern(refused: str) -> str:
    return f"^[^{refused}]*$"


# For a hand-written OpenAPI schema of a multi-line text field.
TEXT_PATTERN = _pattern(_REFUSED_IN_TEXT)


def control_character(value: str, *, multiline: bool = True) -> str | None:
    """The first refused character of `value` as U+XXXX, or None when there is none."""
    match = (_IN_TEXT if multiline else _IN_LINE).search(value)
    return f"U+{ord(match.group()):04X}" if match else None


def refuse_control_characters(field: str, value: str, *, multiline: bool = True) -> None:
    """Invalid (422) naming `field` when `value` holds a refused character."""
    if character := control_character(value, multiline=multiline):
        raise Invalid(f"{field}: {MESSAGE.format(character=character)}")


def _validator(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        if character := control_character(value, multiline=multiline):
            # The request layer puts the field's location in front of the message.
            raise PydanticCustomError("control_character", MESSAGE, {"character": character})
        return value

    return AfterValidator(check)


@dataclass(frozen=True)
class _Documented:
    """The rule as a `pattern` in the OpenAPI document, for clients and API fuzzers alike."""

    refused: str

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(schema) | {"pattern": _pattern(self.refused)}


Text = Annotated[str, _validator(multiline=True), _Documented(_REFUSED_IN_TEXT)]
Line = Annotated[str, _validator(multiline=False), _Documented(_REFUSED_IN_LINE)]


# A web route's `openapi_extra={DOCUMENT_FIELDS: [...]}` names its pasted-document fields.
DOCUMENT_FIELDS = "x-document-fields"


def check_form(items: Iterable[tuple[str, str | UploadFile]], documents: Iterable[str] = ()) -> None:
    """Every field of a web form, and the name of every file it uploads.

    A form cannot say which of its fields are one-line, so all of them keep
    tab and line breaks; the browser's one-line inputs cannot type those anyway.
    `documents` name fields holding a pasted document, which its reader cleans
    as it cleans an uploaded file (a paste from Word or a PDF carries such noise).
    """
    for name, value in items:
        if isinstance(value, UploadFile):
            refuse_control_characters(f"{name} 的文件名", value.filename or "", multiline=False)
        elif name not in documents:
            refuse_control_characters(name, value)
