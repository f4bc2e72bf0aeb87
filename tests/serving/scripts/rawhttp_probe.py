"""@rawhttp: run() describes the request as it sees it (form, files, args, JSON, headers)."""

import hashlib
import os
import tempfile

from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def _describe_file(upload):
    first = upload.read(4)
    rest = upload.stream.read()
    return {
        "field": upload.name,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "mimetype": upload.mimetype,
        "sha1": hashlib.sha1(first + rest).hexdigest(),
        "size": len(first) + len(rest),
    }


def _saved_digests(files):
    digests = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, (field, upload) in enumerate(files.items(multi=True)):
            target = os.path.join(folder, f"upload-{index}")
            upload.save(target)
            with open(target, "rb") as handle:
                digests[f"{field}-{index}"] = hashlib.sha1(handle.read()).hexdigest()
    return digests


@rawhttp
def run(request):
    probe = request.args.get("probe", "basic")
    seen = {
        "method": request.method,
        "full_path": request.full_path,
        "args": {k: request.args.getlist(k) for k in request.args},
        "x_probe": request.headers.get("x-probe"),
        "x_names": sorted(k for k, _ in request.headers if k.lower().startswith("x-p")),
    }
    if probe == "form":
        seen["form"] = {k: request.form.getlist(k) for k in request.form}
        seen["files"] = [_describe_file(f) for _, f in request.files.items(multi=True)]
    elif probe == "save":
        seen["saved"] = _saved_digests(request.files)
    elif probe == "json":
        seen["json"] = request.get_json(silent=True)
        seen["is_json"] = request.is_json
    elif probe == "json-strict":
        try:
            seen["json"] = request.json
        except Exception as exc:
            return AMLResponse({"error": type(exc).__name__}, 400, json_str=True)
    elif probe == "data":
        seen["data"] = request.get_data(as_text=True)
        seen["raw_size"] = len(request.get_data())
    elif probe == "order":  # the body is a stream read once: what each read sees, in order
        seen["reads"] = [_read(request, what) for what in request.args["order"].split(",")]
    return seen


def _read(request, what):
    if what == "data":
        return request.data.decode("latin-1")
    if what == "get":
        return request.get_data(as_text=True)
    if what == "stream":
        return request.stream.read().decode("latin-1")
    if what == "form":
        return request.form.to_dict(flat=False)
    if what == "files":
        return sorted(request.files)
    if what == "values":
        return request.values.to_dict(flat=False)
    return request.get_json(force=True, silent=True)
