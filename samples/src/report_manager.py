"""Monthly sales reports."""
import csv
import smtplib
import sqlite3
from email.message import EmailMessage


class ReportManager:  # @flaw cohesion
    def __init__(self, conn: sqlite3.Connection, smtp: smtplib.SMTP) -> None:
        self.conn = conn
        self.smtp = smtp

    def monthly_rows(self, month: str) -> list[tuple]:
        cursor = self.conn.cursor()
        cursor.execute("SELECT * FROM sales WHERE month = ?", (month,))
        return cursor.fetchall()

    def export_csv(self, rows: list[tuple], path: str) -> None:
        with open(path, "w", newline="") as handle:
            csv.writer(handle).writerows(rows)

    def email_report(self, recipient: str, path: str) -> None:
        message = EmailMessage()
        message["To"] = recipient
        message["Subject"] = "Monthly sales"
        with open(path, "rb") as handle:
            message.add_attachment(handle.read(), maintype="text",
                                   subtype="csv", filename="sales.csv")
        self.smtp.send_message(message)

    def summary_html(self, rows: list[tuple]) -> str:
        html = "<table>"
        for row in rows:
            html += f"<tr><td>{row[0]}</td><td>{row[1]}</td></tr>"  # @flaw performance
        return html + "</table>"
