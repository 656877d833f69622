"""The demo driver's pieces: HTTP as the people of the seed, the stack check, master data, orders, the story.

`demo/run.py` is the entry point (`make demo`); this folder is not an installed package — `run.py` puts
`demo/` on `sys.path` (Python does that for a script's own folder).
"""
