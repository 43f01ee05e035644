"""Held-out code for the analyzer tests (never used to write the rules' sample files).

Each case marks its planted flaws like the samples do: a trailing
`# @flaw <category>[,<category>]` (Python) or `// @flaw <category>` (JS/TS/Java) comment on the
line the evidence should point at. `CLEAN_CASES` must produce no findings at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archreview.schemas import Code

_MARKER = re.compile(r"\s*(?:#|//) @flaw ([\w,-]+)\s*$")


@dataclass(frozen=True)
class Case:
    """A code snippet with its planted flaws."""

    name: str
    language: str
    text: str  # with markers


def strip_markers(text: str, first_line: int = 1) -> tuple[str, list[tuple[int, str]]]:
    """The text without markers, and the (line, category) of every planted flaw."""
    lines = []
    flaws = []
    for index, line in enumerate(text.strip("\n").split("\n")):
        match = _MARKER.search(line)
        if match:
            flaws += [(first_line + index, category) for category in match.group(1).split(",")]
            line = line[: match.start()]
        lines.append(line)
    return "\n".join(lines), flaws


def case_code(case: Case, first_line: int = 1, ocr_confidence: float = 0.9) -> tuple[Code, list[tuple[int, str]]]:
    """The case as `Code` (markers stripped) plus its planted flaws."""
    text, flaws = strip_markers(case.text, first_line)
    return Code(text=text, language=case.language, first_line=first_line, ocr_confidence=ocr_confidence), flaws


FLAW_CASES: tuple[Case, ...] = (
    Case("py_coupling", "python", '''
import logging
from payments import StripeClient
from storage import InvoiceRepository

class InvoiceService:
    def __init__(self):
        self.client = StripeClient()  # @flaw coupling
        self.log = logging.getLogger("invoices")

    def city_of(self, invoice):
        return invoice.customer.billing.address.city  # @flaw coupling
'''),
    Case("py_layering", "python", '''
from flask import Flask, request, jsonify
import sqlite3

app = Flask(__name__)

@app.route("/products")
def list_products():
    conn = sqlite3.connect(app.config["DB"])
    rows = conn.execute("SELECT id, name FROM products").fetchall()  # @flaw layering
    return jsonify(rows)
'''),
    Case("py_domain_web", "python", '''
from flask import request

class PricingService:
    def __init__(self, rates):
        self.rates = rates

    def quote(self):
        amount = float(request.args["amount"])  # @flaw layering
        return amount * self.rates.current()
'''),
    Case("py_async", "python", '''
import asyncio
import time

async def poll(queue):
    while not queue.empty():
        item = await queue.get()
        time.sleep(0.5)  # @flaw concurrency
        print(item)
'''),
    Case("py_threads", "python", '''
import threading

counter = 0

def work(n):
    global counter
    for _ in range(n):
        counter += 1  # @flaw concurrency

def main():
    threads = [threading.Thread(target=work, args=(1000,)) for _ in range(4)]
    for t in threads:
        t.start()
'''),
    Case("py_caching", "python", '''
from functools import lru_cache

_user_cache = {}  # @flaw caching

def load_user(db, user_id):
    if user_id in _user_cache:
        return _user_cache[user_id]
    user = db.get_user(user_id)
    _user_cache[user_id] = user
    return user

class Geo:
    @lru_cache(maxsize=1024)  # @flaw caching
    def lookup(self, ip):
        return self.resolver.resolve(ip)
'''),
    Case("py_invalidation", "python", '''
class ProfileStore:
    def __init__(self, db):
        self.db = db
        self._cache = {}

    def get(self, user_id):
        if user_id not in self._cache:
            self._cache[user_id] = self.db.fetch_profile(user_id)
        return self._cache[user_id]

    def evict(self, user_id):
        self._cache.pop(user_id, None)

    def update_email(self, user_id, email):  # @flaw caching
        self.db.set_email(user_id, email)
'''),
    Case("py_errors", "python", '''
import json

def parse(payload):
    try:
        return json.loads(payload)
    except:  # @flaw error-handling
        return None

def save(path, data):
    try:
        with open(path, "w") as fh:
            fh.write(data)
    except OSError:  # @flaw error-handling
        pass
'''),
    Case("py_security", "python", '''
import os
import yaml
import requests

API_KEY = "AKIAIOSFODNN7EXAMPLE1"  # @flaw security

def run(cmd):
    os.system("ls " + cmd)  # @flaw security

def calc(expr):
    return eval(expr)  # @flaw security

def load(text):
    return yaml.load(text)  # @flaw security

def ping(url):
    return requests.get(url, verify=False, timeout=5)  # @flaw security

def find(cur, name):
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)  # @flaw security
'''),
    Case("py_performance", "python", '''
def report(db, user_ids, banned):
    seen = []
    for uid in user_ids:
        user = db.query("SELECT * FROM users WHERE id = ?", uid)  # @flaw performance
        if uid not in seen:  # @flaw performance
            seen.append(uid)
    return seen

def read_ids(path):
    with open(path) as fh:
        return [line.strip() for line in fh.readlines()]  # @flaw performance

def pairs(items):
    out = []
    for a in items:
        for b in items:  # @flaw performance
            if a.key == b.key and a is not b:
                out.append((a, b))
    return out
'''),
    Case("py_resilience", "python", '''
import time
import requests

def fetch_quote(symbol):
    while True:  # @flaw resilience
        try:
            return requests.get(  # @flaw resilience
                f"{BASE}/quote/{symbol}")
        except requests.ConnectionError:
            time.sleep(2)
'''),
    Case("py_configuration", "python", '''
import psycopg2

DB_HOST = "db01.prod.internal:5432"  # @flaw configuration
UPLOAD_DIR = "/var/lib/shop/uploads"  # @flaw configuration

def connect(user):
    return psycopg2.connect(host="db01", user=user, port=5432)  # @flaw configuration
'''),
    Case("py_cohesion", "python", '''
class UserAccount:  # @flaw cohesion
    def save(self):
        self.conn.cursor().execute("UPDATE users SET name = ?", (self.name,))

    def send_welcome(self):
        import smtplib
        smtplib.SMTP("localhost").sendmail("a@b.c", self.email, "hi")  # @flaw resilience

    def export(self, path):
        with open(path, "w") as fh:
            fh.write(self.name)

def create_user(name, email, phone, street, city, zip_code, country):  # @flaw cohesion
    return dict(name=name, email=email)
'''),
    Case("js_mix", "javascript", '''
const db = require('./db');
const { exec } = require('child_process');

app.get('/search', (req, res) => {
  db.query("SELECT * FROM items WHERE name = '" + req.query.q + "'", (err, rows) => {  // @flaw security,layering
    res.json(rows);
  });
});

function compress(file) {
  exec(`gzip ${file}`);  // @flaw security
}

function show(el, msg) {
  el.innerHTML = msg;  // @flaw security
}

function load(url) {
  fetch(url).then((r) => r.json()).then(render);  // @flaw error-handling,resilience
}

async function loadAll(ids) {
  for (const id of ids) {
    await axios.get(`/api/items/${id}`, { timeout: 2000 });  // @flaw performance
  }
}
'''),
    Case("js_errors", "javascript", '''
function safeParse(text) {
  try {
    return JSON.parse(text);
  } catch (e) {}  // @flaw error-handling
}

function notify(client, msg) {
  client.send(msg).catch(() => {});  // @flaw error-handling
}
'''),
    Case("ts_config", "typescript", '''
interface Options {
  retries: number;
}

const client = new Client({
  host: 'https://billing.corp.example.net',  // @flaw configuration
  debug: true,  // @flaw configuration
});

export class BillingService {
  private readonly cache = new Map<string, number>();  // @flaw caching

  constructor(private readonly api: BillingApi) {}

  async price(sku: string): Promise<number> {
    if (!this.cache.has(sku)) {
      this.cache.set(sku, await this.api.price(sku));
    }
    return this.cache.get(sku) ?? 0;
  }
}
'''),
    Case("java_mix", "java", '''
import java.io.ObjectInputStream;
import java.security.MessageDigest;

public class AccountService {
    private static int loginCount;
    private final Mailer mailer = new SmtpMailer();  // @flaw coupling

    public void login(String user, String password) throws Exception {
        loginCount++;  // @flaw concurrency
        MessageDigest md = MessageDigest.getInstance("MD5");  // @flaw security
        byte[] hash = md.digest(password.getBytes());
    }

    public Object restore(ObjectInputStream in) throws Exception {
        return in.readObject();  // @flaw security
    }

    public void sync(List<Account> accounts) {
        for (Account a : accounts) {
            repository.findById(a.getId());  // @flaw performance
        }
    }
}
'''),
    Case("java_errors", "java", '''
public class Loader {
    public void load(String path) {
        try {
            read(path);
        } catch (IOException e) {  // @flaw error-handling
            e.printStackTrace();
        }
    }

    public String render(Order order) {
        return order.getCustomer().getAddress().getCity().getName();  // @flaw coupling
    }
}
'''),
    Case("java_resilience", "java", '''
public class Poller {
    private static final String PASSWORD = "hunter2hunter2";  // @flaw security

    public String poll(HttpClient client) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(target)).build();  // @flaw resilience
        while (true) {  // @flaw resilience
            try {
                return client.send(req, BodyHandlers.ofString()).body();
            } catch (IOException e) {
                log.warn("retrying", e);
            }
        }
    }
}
'''),
)

CLEAN_CASES: tuple[Case, ...] = (
    Case("py_clean_service", "python", '''
"""Order service with injected collaborators."""
import logging
import os
import threading
import time

import requests

log = logging.getLogger(__name__)
BASE_URL = os.environ.get("ORDERS_URL", "http://localhost:8000")


class OrderService:
    def __init__(self, repository, notifier, session=None):
        self.repository = repository
        self.notifier = notifier
        self.session = session or requests.Session()
        self._lock = threading.Lock()
        self._count = 0

    def place(self, order):
        with self._lock:
            self._count += 1
        self.repository.save(order)
        self.notifier.order_placed(order.id)

    def fetch_status(self, order_id):
        response = requests.get(f"{BASE_URL}/orders/{order_id}", timeout=5)
        response.raise_for_status()
        return response.json()["status"]

    def totals(self, orders):
        return sum(order.total for order in orders)

    def with_retry(self, call, attempts=3):
        for attempt in range(attempts):
            try:
                return call()
            except requests.RequestException:
                log.warning("attempt %d failed", attempt)
                time.sleep(2 ** attempt)
        raise RuntimeError("gave up")
'''),
    Case("py_clean_parse", "python", '''
import json
from functools import lru_cache


@lru_cache(maxsize=128)
def parse_config(text: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad config: {exc}") from exc


def join_names(people: list) -> str:
    parts = []
    for person in people:
        parts.append(person.name)
    return ", ".join(parts)


def unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
'''),
    Case("js_clean", "javascript", '''
const BASE = process.env.API_URL;

export async function getUser(id, { signal } = {}) {
  const response = await fetch(`${BASE}/users/${id}`, {
    signal: signal ?? AbortSignal.timeout(5000),
  });
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}`);
  }
  return response.json();
}

export function renderName(el, user) {
  el.textContent = user.name;
}

export function load(ids) {
  return Promise.all(ids.map((id) => getUser(id)))
    .then((users) => users.filter(Boolean))
    .catch((err) => {
      console.error('load failed', err);
      throw err;
    });
}

export function total(items) {
  let sum = 0;
  for (const item of items) {
    sum += item.price * item.qty;
  }
  return sum;
}
'''),
    Case("java_clean", "java", '''
package com.example.orders;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

public class OrderService {
    private final OrderRepository repository;
    private final Map<String, Order> cache = new ConcurrentHashMap<>();

    public OrderService(OrderRepository repository) {
        this.repository = repository;
    }

    public Order find(String id) {
        return cache.computeIfAbsent(id, repository::load);
    }

    public void update(Order order) {
        repository.save(order);
        cache.remove(order.getId());
    }

    public List<Order> open(List<String> ids) {
        List<Order> orders = repository.findAllById(ids);
        try {
            audit(orders);
        } catch (IllegalStateException e) {
            throw new OrderException("audit failed", e);
        }
        return orders;
    }
}
'''),
)
