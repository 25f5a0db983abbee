"""The API's JSON reading. A JSON number with a fraction or an exponent keeps the spelling the client sent: Python
reads `1e5` and `100000.0` as the same float, and `100.000` as `100.0`, so a money field could not otherwise tell an
amount written in exponent notation, or with a third decimal place, from a plain one."""

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


class WrittenNumber(float):
    """A JSON number with a fraction or an exponent: the float every other field reads, and `written`, its text in
    the request, which money fields read instead (apps.core.api_money)."""

    written: str

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.written = text
        return number


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (NaN and Infinity refused as there), keeping how each fractional number was written."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            decoded_stream = codecs.getreader(parsers.get_encoding(parser_context or {}))(stream)
            parse_constant = json.strict_constant if self.strict else None
            return json.load(decoded_stream, parse_constant=parse_constant, parse_float=WrittenNumber)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
