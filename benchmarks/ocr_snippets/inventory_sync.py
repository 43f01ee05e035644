"""Nightly sync of warehouse stock into the storefront."""
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class StockItem:
    sku: str
    quantity: int
    locations: list[str] = field(default_factory=list)


class StockSync:
    def __init__(self, source: Path, batch_size: int = 50) -> None:
        self.source = source
        self.batch_size = batch_size
        self.items: dict[str, StockItem] = {}

    def load(self) -> int:
        with self.source.open(encoding="utf-8") as handle:
            for record in json.load(handle):
                item = StockItem(record["sku"], int(record["qty"]))
                self.items[item.sku] = item
        logger.info("loaded %d items from %s", len(self.items), self.source)
        return len(self.items)

    def batches(self) -> list[list[StockItem]]:
        values = list(self.items.values())
        return [values[i:i + self.batch_size] for i in range(0, len(values), self.batch_size)]

    def __repr__(self) -> str:
        return f"StockSync({self.source!r}, items={len(self.items)})"
