"""Fuzzing hostile links (issue 9 item 2): any query, as a dict or as raw text, gives a spec or a
ConfigError/DataError, never another exception; the dashboard's reader never raises at all.

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
