# Python cases for archreview's Semgrep pack (tests/test_external_analyzers.py): a `ruleid:` comment says the next
# line must be reported by that rule, an `ok:` comment that it must not; no other line may be reported.
import logging
import os
import random
import subprocess

import jwt
from Crypto.Cipher import AES, DES
from django.views.decorators.csrf import csrf_exempt
from flask import Flask, redirect, render_template_string, request, send_file
from lxml import etree
from werkzeug.utils import secure_filename

app = Flask(__name__)
log = logging.getLogger(__name__)


@app.route("/users")
def users(db):
    name = request.args.get("name")
    # ruleid: py-sql-tainted
    db.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ok: py-sql-tainted
    db.execute("SELECT * FROM users WHERE name = %s", (name,))
    # ruleid: py-command-tainted
    os.system("ping -c 1 " + request.args["host"])
    # ok: py-command-tainted
    subprocess.run(["ping", "-c", "1", request.args["host"]])
    # ruleid: py-path-traversal
    with open(os.path.join("/data", request.args["file"])) as handle:
        content = handle.read()
    # ok: py-path-traversal
    send_file(os.path.join("/data", secure_filename(request.args["file"])))
    # ruleid: py-template-injection, py-template-built
    page = render_template_string("<p>Hello " + request.args["who"] + "</p>")
    # ok: py-template-injection
    page = render_template_string("<p>Hello {{ who }}</p>", who=request.args["who"])
    # ruleid: py-open-redirect
    return redirect(request.args.get("next"))


@app.route("/home")
def home():
    # ok: py-open-redirect
    return redirect("/")


def reply(make_response):
    # ruleid: py-xss-response
    return make_response("<p>" + request.form["comment"] + "</p>")


def reply_safely(make_response, escape):
    # ok: py-xss-response
    return make_response("<p>" + escape(request.form["comment"]) + "</p>")


def parse(text):
    # ruleid: py-xxe
    parser = etree.XMLParser(resolve_entities=True)
    # ok: py-xxe
    safe = etree.XMLParser(resolve_entities=False)
    return etree.fromstring(text, parser), safe


# ruleid: py-csrf-exempt
@csrf_exempt
def webhook(request):
    return None


def form(request):
    # ok: py-csrf-exempt
    return None


def encrypt(key, data):
    # ruleid: py-weak-cipher
    box = AES.new(key, AES.MODE_ECB)
    # ok: py-weak-cipher
    good = AES.new(key, AES.MODE_GCM)
    return box.encrypt(data), good


def claims(token):
    # ruleid: py-jwt-unverified
    insecure = jwt.decode(token, verify=False)
    # ok: py-jwt-unverified
    return jwt.decode(token, "key", algorithms=["HS256"]), insecure


def login(user, password):
    # ruleid: py-secret-in-log
    log.info("login %s with %s", user, password)
    # ok: py-secret-in-log
    log.info("login %s", user)
    # ruleid: py-insecure-random-token
    reset_token = "".join(random.choice("abcdef0123456789") for _ in range(32))
    # ok: py-insecure-random-token
    delay = random.random()
    return reset_token, delay


# tenth round (h3)
def not_found(error):
    template = "<h3>%s</h3>" % request.url
    # ruleid: py-template-built
    return render_template_string(template), 404


def page(name):
    # ok: py-template-built
    return render_template_string("<h3>{{ name }}</h3>", name=name)


def fetch_preview():
    url = request.args.get("url")
    # ruleid: py-ssrf-tainted
    page = requests.get(url, timeout=5)
    # ok: py-ssrf-tainted
    status = requests.get("https://status.example.com/health", timeout=5)
    return page.text, status.ok


def register():
    try:
        create_user(request.json)
    except ValueError as error:
        # ok: py-exception-message-attribute
        return jsonify({"error": str(error)}), 400
    except Exception as e:
        # ruleid: py-exception-message-attribute
        return jsonify({"error": str(e.message)}), 500


def routing_number(value):
    # ruleid: py-regex-nested-quantifier
    unsafe = re.compile(r"([0-9]+)+#")
    # ok: py-regex-nested-quantifier
    safe = re.compile(r"([0-9]+)#")
    return unsafe.match(value) and safe.match(value)


def create_post():
    data = {"username": authenticate(request)}
    # ruleid: py-request-merged-over-trusted-fields
    data.update(request.get_json())
    # ok: py-request-merged-over-trusted-fields
    data.update({"text": request.get_json().get("text")})
    return save_post(data)
