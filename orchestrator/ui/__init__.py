"""The dashboard's Streamlit views (the only package besides dashboard.py that imports
streamlit): the tabs of a run on screen (its results, its allocation, sweeps around it) and
the alerts that show messages literally.

Views only: every rule they apply lives in :mod:`orchestrator.app` and every figure and table
format in :mod:`orchestrator.report`.
"""
