"""The alignment endpoint."""

from pydantic import BaseModel, Field


class AlignRequest(BaseModel):
    original: str
    edited: str
    tokenizer: str | None = Field(default=None, max_length=500,
                                  description="Tokenizer name or path; the bundled SmolLM2 one when left out.")
