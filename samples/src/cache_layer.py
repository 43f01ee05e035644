"""Read-through cache in front of the product catalogue."""
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from catalogue import ProductStore

_price_cache = {}  # @flaw caching


def cached_price(store: ProductStore, sku: str) -> float:
    if sku not in _price_cache:  # @flaw concurrency
        _price_cache[sku] = store.price(sku)
    return _price_cache[sku]


class CatalogueCache:
    def __init__(self, store: ProductStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.hits = 0

    @functools.lru_cache(maxsize=256)  # @flaw caching
    def product(self, sku: str) -> dict:
        self.hits += 1  # @flaw concurrency
        return self._store.load(sku)

    def warm(self, skus: list[str]) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self.product, skus))

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits}
