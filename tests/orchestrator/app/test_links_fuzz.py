"""Fuzzing hostile links and configs (issue 9 item 2): any query, as a dict or as raw text, and
any TOML-shaped configuration give a spec or a ConfigError/DataError, never another exception;
the dashboard's reader never raises at all; what is accepted round-trips.

Inputs are kept small so the whole file runs in a few seconds; the caps themselves are tested
with large inputs in test_caps.py.
"""

from __future__ import annotations

import contextlib
import io
from urllib.parse import parse_qs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import cli
from orchestrator.app.catalogue import load_catalogue
from orchestrator.app.codec import QUERY_NAMES
from orchestrator.app.links import is_link, spec_from_link
from orchestrator.app.spec import MAX_STRATEGIES, RunSpec
from orchestrator.errors import ConfigError, DataError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CATALOGUE = load_catalogue(None)
SPECS = {name: (lambda n=name: CATALOGUE.param_specs(n)) for name in CATALOGUE.classes}

# Characters that mean something to a link or a spec, and some that mean nothing.
ALPHABET = st.sampled_from(list(";,=&%+:/.-_ ~^*?#'\"\\\x00\n\t 0123456789eEaAsSwWxé€🙂"))
TEXT = st.text(ALPHABET, max_size=30)
NUMBERS = st.sampled_from(
    ["0", "-1", "1e308", "1e-310", "nan", "inf", "-inf", "1e999999", "0.35", "1" * 50, "1_000"]
)
VALUES = st.one_of(TEXT, NUMBERS, st.sampled_from(["true", "false", "", "demo", "upload"]))
NAMES = st.sampled_from([*CATALOGUE.classes, "Portfolio", "", " ", "nope", "x" * 61])


@st.composite
def strategy_texts(draw: st.DrawFn) -> str:
    """``name;w=...;key=value...``, mostly well formed, sometimes not."""
    parts = [draw(NAMES), "w=" + draw(VALUES)]
    keys = st.sampled_from(["fast", "slow", "period", "symbols", "label", "plugin", "w", "", "x"])
    for _ in range(draw(st.integers(0, 4))):
        parts.append(f"{draw(keys)}={draw(VALUES)}" if draw(st.booleans()) else draw(TEXT))
    return ";".join(parts)


KEYS = st.one_of(
    st.sampled_from(list(QUERY_NAMES.values())),
    st.integers(0, MAX_STRATEGIES + 2).map(lambda i: f"s{i}"),
    st.sampled_from(["s", "sx", "s01", "s-1", "embed", ""]),
    TEXT,
)
QUERIES = st.dictionaries(
    KEYS,
    st.one_of(VALUES, strategy_texts(), st.lists(VALUES, max_size=2)),
    max_size=8,
)


def spec_or_expected_error(query: object) -> RunSpec | None:
    try:
        return RunSpec.from_query(query)  # type: ignore[arg-type]
    except (ConfigError, DataError):
        return None


@FUZZ
@given(QUERIES)
def test_from_query_hostile_dict_gives_spec_or_config_error(query: dict[str, object]) -> None:
    spec = spec_or_expected_error(query)
    if spec is not None:
        assert len(spec.strategies) <= MAX_STRATEGIES
        # What was accepted writes a link that reads back as the same run (NaN aside).
        if "nan" not in str(spec.to_query()).lower():
            assert RunSpec.from_query(spec.to_query()) == spec


@FUZZ
@given(st.text(st.sampled_from(list("s1=;&w%2C3B0.5abcdemo_,+")), max_size=120))
def test_from_query_raw_link_text_gives_spec_or_config_error(text: str) -> None:
    spec_or_expected_error(parse_qs(text, keep_blank_values=True))


@FUZZ
@given(QUERIES)
def test_spec_from_link_hostile_dict_never_raises(query: dict[str, object]) -> None:
    is_link(query)  # type: ignore[arg-type]
    spec, messages = spec_from_link(query, SPECS)  # type: ignore[arg-type]
    assert spec.data in ("demo", "upload")
    assert spec.plugin_dir is None
    assert all(s.plugin is None for s in spec.strategies)
    assert all(s.name in CATALOGUE.classes for s in spec.strategies)
    assert all(isinstance(m, str) and len(m) < 1000 for m in messages)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES)
def test_cli_export_config_hostile_query_exits_0_or_2(query: dict[str, object]) -> None:
    from urllib.parse import urlencode

    text = urlencode({k: v for k, v in query.items()}, doseq=True)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["export-config", "--query", "?" + text])
    assert status in (0, 2), err.getvalue()
    if status == 2:
        assert err.getvalue().startswith("orchestrator: error: ")
        assert "unexpected" not in err.getvalue()


# ---- hostile configuration files: any TOML-shaped data gives a spec or a ConfigError ----------

_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.text(max_size=10),
    st.dates(), st.datetimes(), st.times(),
    st.sampled_from(["demo", "macd", "2020-01-01", "close", "next_open", "1e308"]),
)  # fmt: skip
_VALUES = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_KEYS = {
    "data": ["source", "symbols", "start", "end"],
    "portfolio": ["initial_capital", "plugin_dir"],
    "costs": ["commission_rate", "slippage_bps"],
    "execution": ["fill", "fractional", "close_at_end", "risk_free_rate"],
}
_SECTION = st.sampled_from(list(_KEYS)).flatmap(
    lambda name: st.tuples(
        st.just(name), st.dictionaries(st.sampled_from(_KEYS[name]), _VALUES, max_size=3)
    )
)
_STRATEGY = st.dictionaries(
    st.sampled_from(["name", "weight", "params", "symbols", "label", "plugin"]), _VALUES, max_size=5
)
_CONFIGS = st.builds(
    lambda sections, tables: {
        **dict(sections),
        **({} if tables is None else {"strategies": tables}),
    },
    st.lists(_SECTION, max_size=4),
    st.one_of(st.none(), st.lists(_STRATEGY, max_size=3), _VALUES),
)


@FUZZ
@given(_CONFIGS)
def test_from_dict_hostile_config_gives_spec_or_config_error(config: dict[str, object]) -> None:
    import tomllib

    try:
        spec = RunSpec.from_dict(config)
    except (ConfigError, DataError):
        return
    text = spec.to_toml()
    if "nan" not in text:
        assert RunSpec.from_dict(tomllib.loads(text)) == spec
