"""The decision and money rules: tasks and their analysis, the router and its strategy, the
catalog of backends, the all-premium baseline, budgets and prices.
"""
