"""Order placement: pricing, persistence and confirmation."""
import logging
import sqlite3

from billing import TaxCalculator
from mail import SmtpMailer

log = logging.getLogger(__name__)


class OrderService:
    def __init__(self, db_path: str) -> None:
        self.conn = sqlite3.connect(db_path)
        self.mailer = SmtpMailer()  # @flaw coupling
        self.taxes = TaxCalculator()

    def find_orders(self, customer: str) -> list[tuple]:
        query = f"SELECT * FROM orders WHERE customer = '{customer}'"  # @flaw security
        return self.conn.execute(query).fetchall()

    def order_totals(self, order_ids: list[int]) -> dict[int, float]:
        totals = {}
        for order_id in order_ids:
            row = self.conn.execute(  # @flaw performance
                "SELECT SUM(price) FROM items WHERE order_id = ?", (order_id,)
            ).fetchone()
            totals[order_id] = self.taxes.apply(row[0] or 0.0)
        return totals

    def confirm(self, order_id: int, email: str) -> None:
        try:
            self.mailer.send(email, f"Order {order_id} confirmed")
        except Exception:  # @flaw error-handling
            pass
