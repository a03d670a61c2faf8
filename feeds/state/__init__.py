"""The state folder: what one build leaves for the next (`[state] path`).

The build caches (`cache`), the no-change record (`last_build`), the records of published ids
and feed files (`registry`), the status file (`status`) and the locks that keep one writer at a
time (`locks`).
"""
