"""Prefetchers, one per module in this folder, each registered by name in PREFETCHERS
(the only list of prefetcher names). Contract: caches/prefetch.pxd."""
from cyclesim.registry import Registry

PREFETCHERS = Registry("prefetcher", package="caches.prefetchers")

# Load every module now, in file-name order, so the registry's order (docs/config.md, error
# messages) does not depend on which prefetcher module some caller imported first.
PREFETCHERS.names()
