"""Front-end packages from npm (installed by `make install` with `npm ci`), served by the app itself: no CDN.

Only the files named here are served, so node_modules is not browsable.
"""

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
FILES = {
    "bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
}

blueprint = Blueprint("assets", __name__)


@blueprint.get("/vendor/<name>")
def vendor(name: str):
    if name not in FILES:
        abort(404)
    return send_from_directory(NODE_MODULES, FILES[name], max_age=24 * 3600)
