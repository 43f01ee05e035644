# Round 13 cases: JWT verification options, reflected CORS origins, the environment in a response.
import os

import jwt
from flask import jsonify, request


def current_user(token, key):
    # ruleid: py-jwt-weak-verification
    claims = jwt.decode(token, key, algorithms=["HS256", "none"])
    # ruleid: py-jwt-weak-verification
    stale = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
    # ok: py-jwt-weak-verification
    checked = jwt.decode(token, key, algorithms=["HS256"])
    return claims, stale, checked


def allow_caller(response):
    # ruleid: py-cors-reflected-origin
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin")
    # ok: py-cors-reflected-origin
    response.headers["Access-Control-Allow-Origin"] = "https://app.example.com"
    return response


def debug_info():
    details = {"pid": os.getpid(), "env": dict(os.environ)}
    # ruleid: py-environment-in-response
    return jsonify(details)


def health():
    # ok: py-environment-in-response
    return jsonify({"status": "ok", "mode": os.environ.get("APP_MODE"), "home": os.environ["HOME"]})
