"""The one id type of request bodies (path and query ids: service.dependencies).

Database ids are 32-bit on PostgreSQL, and SQLite cannot even bind an integer
past 64 bits (OverflowError): a larger number must be a 422 naming the field,
checked where the request is parsed, not a 500 from the database.
"""

from typing import Annotated

from pydantic import Field

MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
