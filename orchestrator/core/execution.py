"""Order execution: slippage, commission and position sizing. Plain floats, no pandas.

Slippage moves the fill price against the trader by ``slippage_bps`` basis points: a buy fills
at ``price * (1 + bps / 10_000)``, a sell at ``price * (1 - bps / 10_000)``.
Commission of an order of ``q`` units at fill price ``p`` is
``max(commission_min, commission_rate * q * p + commission_per_share * q)`` when any commission
is configured, else 0.

Sizing is closed form with a bounded number of corrections, whatever the floats: the cost of
``q`` units, as computed in float64, never decreases when ``q`` grows (each step of it is a
monotone rounding of a monotone operation), so the largest affordable quantity is found by a
bisection over the at most 2**63 non-negative float64 values when the closed form's answer
needs more than a rounding correction. No loop here can run more than a fixed number of times.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.core.models import OrchestratorConfig

__all__ = ["MAX_QUANTITY", "CostModel", "Sizing"]

#: The largest quantity sizing returns: the largest finite float64. A budget that affords more
#: (a price so small that ``budget / price`` overflows) buys this many.
MAX_QUANTITY = sys.float_info.max
# Relative step of the fractional correction (kept from the first implementation, so results
# stay bit-identical) and the most such steps before sizing falls back to bisection.
_STEP = 1e-12
_STEPS = 3
_DOUBLE = struct.Struct("<d")
_INT64 = struct.Struct("<q")


@dataclass(frozen=True, slots=True)
class CostModel:
    """Commission and slippage, all paid from the trading strategy's own cash.

    Every field must be a finite float >= 0; ``rate`` and ``slippage`` (fractions) below 1.
    :class:`OrchestratorConfig` validates the user's values; this check guards direct use.
    """

    rate: float = 0.0
    per_share: float = 0.0
    minimum: float = 0.0
    slippage: float = 0.0  # a fraction of the price (bps / 10_000)

    def __post_init__(self) -> None:
        for name in ("rate", "per_share", "minimum", "slippage"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"CostModel.{name} must be a float; found {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"CostModel.{name} must be finite and >= 0; found {value!r}")
        for name in ("rate", "slippage"):
            if getattr(self, name) >= 1:
                raise ValueError(
                    f"CostModel.{name} is a fraction and must be < 1; found {getattr(self, name)!r}"
                )

    @classmethod
    def from_config(cls, config: OrchestratorConfig) -> CostModel:
        return cls(
            rate=config.commission_rate,
            per_share=config.commission_per_share,
            minimum=config.commission_min,
            slippage=config.slippage_bps / 10_000.0,
        )

    @property
    def charges_commission(self) -> bool:
        return self.rate > 0 or self.per_share > 0 or self.minimum > 0

    def buy_price(self, price: float) -> float:
        return price * (1.0 + self.slippage)

    def sell_price(self, price: float) -> float:
        return price * (1.0 - self.slippage)

    def commission(self, quantity: float, price: float) -> float:
        if quantity <= 0 or not self.charges_commission:
            return 0.0
        return max(self.minimum, self.rate * quantity * price + self.per_share * quantity)

    def buy_cost(self, quantity: float, price: float) -> float:
        """Cash needed to buy ``quantity`` at fill price ``price``, commission included."""
        return quantity * price + self.commission(quantity, price)


@dataclass(frozen=True, slots=True)
class Sizing:
    """Quantity that a budget buys at a fill price, after costs; whole units unless fractional."""

    costs: CostModel
    fractional: bool = False

    def quantity(self, budget: float, price: float) -> float:
        """Return the largest quantity whose cost (commission included) is <= ``budget``.

        The cost of ``q`` is linear (``q * (price * (1 + rate) + per_share)``) until the
        minimum commission binds, where it is ``q * price + minimum``; the smaller of the two
        solutions is the closed-form answer. Float rounding may make it overshoot the budget
        by an ulp or leave one more step affordable; a few fixed steps correct that, and a
        bisection (at most 63 halvings) settles anything stranger (subnormal or overflowing
        magnitudes). "Largest" is within one step: one more unit (past 2**53, the next float)
        for whole shares; a relative 2e-12 (and at least the next float) when fractional.

        Returns 0.0 when not one unit (or, fractional, nothing) fits, when ``budget <=
        commission_min`` (any purchase would cost more), and when ``budget`` or ``price`` is not
        a finite number > 0 (NaN, infinity: nothing sensible can be bought). The result is at
        most :data:`MAX_QUANTITY`, so it is always finite.
        """
        if not (0.0 < budget <= MAX_QUANTITY and 0.0 < price <= MAX_QUANTITY):
            return 0.0  # also NaN, which fails every comparison
        c = self.costs
        if budget <= c.minimum:
            return 0.0
        unit = price * (1.0 + c.rate) + c.per_share
        q = budget / unit
        if c.minimum > 0:
            q = min(q, (budget - c.minimum) / price)
        # budget / unit overflows when the price is subnormal and underflows when it is huge.
        if not q > 0:
            q = 0.0
        elif q > MAX_QUANTITY:
            q = MAX_QUANTITY
        # The common case, answered in two costings: the closed form fits and one step more
        # does not. The costing is buy_cost's own arithmetic, inlined (the same operations in
        # the same order, so the same bits) because a call per costing would double the time.
        rate, per_share, minimum = c.rate, c.per_share, c.minimum
        charges = rate > 0 or per_share > 0 or minimum > 0
        if self.fractional:
            up = q * (1.0 + 2 * _STEP)
            if 0 < q < up:
                if charges:
                    at_q = q * price + max(minimum, rate * q * price + per_share * q)
                    at_up = up * price + max(minimum, rate * up * price + per_share * up)
                else:
                    at_q, at_up = q * price + 0.0, up * price + 0.0
                if at_q <= budget and (up > MAX_QUANTITY or at_up > budget):
                    return q
        else:
            whole = float(math.floor(q + 1e-9))  # 2.9999999999999996 shares is meant as 3
            if 0 < whole < 2.0**53:
                more = whole + 1.0
                if charges:
                    at_q = whole * price + max(minimum, rate * whole * price + per_share * whole)
                    at_up = more * price + max(minimum, rate * more * price + per_share * more)
                else:
                    at_q, at_up = whole * price + 0.0, more * price + 0.0
                if at_q <= budget < at_up:
                    return whole

        cost = c.buy_cost

        def fits(x: float) -> bool:
            return cost(x, price) <= budget

        if self.fractional:
            return _fractional(q, fits)
        return _whole(q, fits)


def _fractional(q: float, fits: Callable[[float], bool]) -> float:
    """The largest fractional quantity that fits, from the closed form's ``q`` (>= 0)."""
    if q > 0 and not fits(q):
        # Division rounding may overshoot the budget by an ulp: step back a little.
        for _ in range(_STEPS):
            q *= 1.0 - _STEP
            if fits(q):
                break
        else:
            return _largest_fitting(0.0, q, fits)
    up = max(q * (1.0 + 2 * _STEP), math.nextafter(q, math.inf))
    if up <= MAX_QUANTITY and fits(up):
        # Rounding left a step's worth unspent (it happens only at extreme magnitudes).
        return MAX_QUANTITY if fits(MAX_QUANTITY) else _largest_fitting(up, MAX_QUANTITY, fits)
    return q


def _whole(q: float, fits: Callable[[float], bool]) -> float:
    """The largest whole quantity that fits, from the closed form's ``q`` (>= 0, finite)."""
    whole = float(math.floor(q + 1e-9))  # 2.9999999999999996 shares is meant as 3
    if whole == 0 or fits(whole):
        # Past 2**53 a float cannot step up by one: the next whole float is its spacing away.
        up = whole + max(1.0, math.ulp(whole))
        if up > MAX_QUANTITY or not fits(up):
            return whole
        if fits(MAX_QUANTITY):
            return MAX_QUANTITY
        return float(math.floor(_largest_fitting(up, MAX_QUANTITY, fits)))
    # ``whole`` does not fit: the answer is the floor of the largest fitting float below it.
    # (Floats are whole from 2**52 on, and the cost is monotone, so that floor fits.)
    return float(math.floor(_largest_fitting(0.0, whole, fits)))


def _largest_fitting(lo: float, hi: float, fits: Callable[[float], bool]) -> float:
    """Return the largest float in ``[lo, hi)`` that fits, given ``fits(lo)``, not
    ``fits(hi)``, ``0 <= lo < hi`` and ``fits`` monotone: a bisection over the floats' bit
    patterns (ordered like the floats themselves when >= 0), so at most 63 halvings."""
    a = _bits(lo)  # fits
    b = _bits(hi)  # does not fit
    while b - a > 1:  # b - a < 2**63 halves every turn: at most 63 turns
        m = (a + b) // 2
        if fits(_float(m)):
            a = m
        else:
            b = m
    return _float(a)


def _bits(x: float) -> int:
    result: int = _INT64.unpack(_DOUBLE.pack(x))[0]
    return result


def _float(bits: int) -> float:
    result: float = _DOUBLE.unpack(_INT64.pack(bits))[0]
    return result
