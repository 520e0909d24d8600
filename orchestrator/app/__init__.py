"""Services shared by the dashboard and the CLI: the run configuration (RunSpec) with its TOML
and URL codecs, the strategy catalogue, form rules and uploads.

No streamlit and no plotly here: everything is plain Python, tested without a browser.
"""
