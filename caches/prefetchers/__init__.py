"""Prefetchers, one per module in this folder, each registered by name in PREFETCHERS
(the only list of prefetcher names). Contract: caches/prefetch.pxd."""
from cyclesim.registry import Registry

PREFETCHERS = Registry("prefetcher", package="caches.prefetchers")
