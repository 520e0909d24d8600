"""The dashboard's Streamlit views (the only package besides dashboard.py that imports
streamlit): the results on screen and the alerts that show messages literally.

Views only: every rule they apply lives in :mod:`orchestrator.app` and every figure and table
format in :mod:`orchestrator.report`.
"""
