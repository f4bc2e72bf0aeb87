"""@rawhttp with a binary payload: invert an uploaded greyscale image, answer the image.

Written as Azure's binary-payload examples are: the file comes from ``request.files``,
the answer is an ``AMLResponse`` built from bytes whose content type (and other
attributes) the script sets on the response object after building it.  The image is a
PGM (``P5``) so that no imaging library is needed.
"""

import json

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    print("binary scorer ready")


def _read_pgm(data):
    magic, size, depth, pixels = data.split(b"\n", 3)
    if magic != b"P5" or depth != b"255":
        raise ValueError("expected an 8-bit binary PGM image")
    width, height = (int(v) for v in size.split())
    if len(pixels) != width * height:
        raise ValueError("truncated image")
    return width, height, pixels


@rawhttp
def run(req: AMLRequest):
    if req.method == "GET":
        resp = AMLResponse(json.dumps({"accepts": "image/x-portable-graymap"}), 200)
        resp.mimetype = "application/json"
        return resp
    try:
        upload = req.files["image"]
    except KeyError:
        return AMLResponse("No image uploaded", status_code=422)
    width, height, pixels = _read_pgm(upload.read())
    inverted = b"P5\n%d %d\n255\n" % (width, height) + bytes(255 - p for p in pixels)
    resp = AMLResponse(message=inverted, status_code=200)
    answer = req.args.get("as", "image")
    if answer == "image":
        resp.mimetype = "image/x-portable-graymap"
    elif answer == "jpg-header":  # some scripts label every image as JPEG
        resp.headers["Content-Type"] = "image/jpg"
    elif answer == "download":
        resp.content_type = "application/octet-stream"
        name = f"inverted {upload.filename}"
        resp.headers.add("Content-Disposition", "attachment", filename=name)
    elif answer == "text":
        resp.mimetype = "text/plain"
        resp.set_data(f"{width}x{height} image inverted")
    elif answer == "stored":
        resp.status_code = 201
        resp.location = f"/images/{upload.filename}"
        resp.last_modified = 1700000000
    elif answer == "json":
        resp = AMLResponse(json.dumps({"width": width, "height": height}), 200)
        resp.mimetype = "application/json"
        resp.status = "202 ACCEPTED"
    resp.headers["X-Image-Size"] = f"{width}x{height}"
    resp.cache_control.no_store = True
    return resp
