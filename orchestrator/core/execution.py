"""Order execution: slippage, commission and position sizing. Plain floats, no pandas.

Slippage moves the fill price against the trader by ``slippage_bps`` basis points: a buy fills
at ``price * (1 + bps / 10_000)``, a sell at ``price * (1 - bps / 10_000)``.
Commission of an order of ``q`` units at fill price ``p`` is
``max(commission_min, commission_rate * q * p + commission_per_share * q)`` when any commission
is configured, else 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orchestrator.core.models import OrchestratorConfig

__all__ = ["CostModel", "Sizing"]


@dataclass(frozen=True, slots=True)
class CostModel:
    """Commission and slippage, all paid from the trading strategy's own cash."""

    rate: float = 0.0
    per_share: float = 0.0
    minimum: float = 0.0
    slippage: float = 0.0  # a fraction of the price (bps / 10_000)

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
        solutions is the answer. Returns 0.0 when not one unit (or, fractional, nothing) fits.
        """
        if budget <= 0 or price <= 0:
            return 0.0
        c = self.costs
        unit = price * (1.0 + c.rate) + c.per_share
        q = budget / unit
        if c.minimum > 0:
            q = min(q, (budget - c.minimum) / price)
        if q <= 0:
            return 0.0
        if self.fractional:
            # Division rounding may overshoot the budget by an ulp; step back until it fits.
            while q > 0 and c.buy_cost(q, price) > budget:
                q *= 1.0 - 1e-12
            return q
        whole = float(math.floor(q + 1e-9))
        while whole > 0 and c.buy_cost(whole, price) > budget:
            # Past 2**53 a float cannot step down by one: step by its spacing instead.
            whole -= max(1.0, math.ulp(whole))
        return whole
