"""Column type for exact decimal money that round-trips as ``Decimal`` on every database."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import TypeDecorator


class FixedDecimal(TypeDecorator):
    """``NUMERIC(precision, places)`` that always returns Decimal.

    The sqlite3 driver has no decimal type and would pass values through
    float, so on SQLite the value is stored as a scaled integer instead
    (cents for money). Comparisons and SUM() still work on the integers.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, places: int = 2):
        super().__init__(precision=precision, scale=places, asdecimal=True)
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.impl.precision, self.places, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        exact = Decimal(str(value)).quantize(self.quantum, rounding=ROUND_HALF_UP)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.places))
        return exact

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.places).quantize(self.quantum)
        return Decimal(value).quantize(self.quantum)


def Money():
    return FixedDecimal(18, 2)


def Rate():
    return FixedDecimal(10, 6)
