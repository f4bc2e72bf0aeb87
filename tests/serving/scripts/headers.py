"""run(data, request_headers): the request headers arrive as a dict."""


def init():
    pass


def run(data, request_headers):
    wanted = {k: v for k, v in request_headers.items() if k.lower().startswith("x-custom")}
    return {"data": data, "custom": wanted, "content_type": request_headers.get("Content-Type")}
