"""A plug-in strategy written against the bare protocol: no base class, no parameters.

Buy after three lower closes in a row; sell after the first higher close.
"""

from __future__ import annotations

from typing import Any


class ThreeDayDip:
    name = "three_day_dip"
    description = "Buy after three lower closes in a row; sell on the first higher close"

    def should_enter(self, bars: Any, state: Any) -> bool:
        closes = bars.close[-4:]  # a read-only numpy view of the last four closes
        return len(closes) == 4 and bool((closes[1:] < closes[:-1]).all())

    def should_exit(self, bars: Any, state: Any) -> bool:
        closes = bars.close[-2:]
        return len(closes) == 2 and bool(closes[1] > closes[0])
