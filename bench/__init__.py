"""The city-scale benchmark: synthetic knowledge bases, timings, retrieval baselines (issue 7).

Run it with `python -m bot bench` or `python bench/run.py`; see docs/scaling.md for the results.
"""
