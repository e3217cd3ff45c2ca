"""Quality that no route grades for itself.

- :mod:`.text`, :mod:`.media` — route-blind checks per artifact kind (script, title, research;
  voice, mix, image and thumbnail), each ``(score in [0, 1], details)``;
- :mod:`.stages` — which check scores which stage's artifact;
- :mod:`.judge` — the LLM judge and its versioned rubrics (each pipeline file's ``[rubrics]``);
- :mod:`.assurance` — the router's hook: evidence labels, judging, premium in the shadow;
- :mod:`.maintenance` — quality maintenance, judged quality of the chosen routes ÷ premium's.

Modules are imported where used: the router needs only :mod:`.assurance`, and the media checks
pull in numpy and scipy.
"""
