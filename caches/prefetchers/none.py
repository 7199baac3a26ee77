"""No prefetcher: the cache issues no prefetches and pays nothing for the option."""
from caches.prefetchers import PREFETCHERS
from cyclesim.registry import NoParams


def _make(params, line_size=64, level="cache"):
    return None       # the cache tests `prefetcher is None` once, not per access


PREFETCHERS.register("none", NoParams, help="No prefetching.")(_make)
