"""The guided-meditation video: its pipeline file, stages, offline writer, catalogue and
route-blind checks.
"""
