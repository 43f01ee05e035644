"""Maintenance endpoints for the admin console."""
import hashlib
import pickle
import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)
ADMIN_PASSWORD = "s3cr3t-Admin!"  # @flaw security


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # @flaw security


@app.post("/admin/backup")
def backup():
    target = request.json["target"]
    subprocess.run(f"tar czf {target} /srv/app", shell=True)  # @flaw security
    return jsonify(status="started")


@app.post("/admin/session")
def restore_session():
    state = pickle.loads(request.get_data())  # @flaw security
    return jsonify(user=state.get("user"))


@app.get("/admin/health")
def health():
    return jsonify(status="ok")


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)  # @flaw configuration
