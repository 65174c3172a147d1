"""What a web page can make a browser send here: any page the user opens can reach loopback, and a request that
needs no CORS preflight arrives whatever the emulator answers. Such requests must not change state; SDKs and
command-line tools never send them (they send a JSON content type, an Authorization header, or no Origin)."""

SIMPLE_METHODS = {"GET", "HEAD", "POST"}
# content types a form or fetch() may send cross-origin without asking (the Fetch standard's safelist)
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
SIMPLE_TYPES = FORM_TYPES | {"text/plain"}
CROSS_ORIGIN = ("A web page could have sent this request (no JSON content type, no Authorization or X- header), "
                "so the emulator does not act on it. Send Content-Type: application/json.")
JSON_TYPES = {"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1"}


def media_type(environ: dict) -> str:
    """The content type without parameters, lower-cased: 'text/plain; charset=json' -> 'text/plain'."""
    return environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def is_json(environ: dict) -> bool:
    kind = media_type(environ)
    return kind in JSON_TYPES or kind.endswith("+json")


def without_preflight(environ: dict) -> bool:
    """Whether a browser could have sent this request cross-origin without a preflight: a simple method, no
    header a page needs permission for (Authorization, X-Amz-*, any X-), and a form or text content type, or
    none at all from a browser (which always names its Origin on a POST)."""
    if environ.get("REQUEST_METHOD") not in SIMPLE_METHODS or is_json(environ):
        return False
    if "HTTP_AUTHORIZATION" in environ or any(key.startswith("HTTP_X_") for key in environ):
        return False
    kind = media_type(environ)
    if kind:
        return kind in SIMPLE_TYPES
    return "HTTP_ORIGIN" in environ or "HTTP_SEC_FETCH_SITE" in environ


def changes_state_without_preflight(environ: dict) -> bool:
    """A POST a web page could send (GET and HEAD read, and their answers carry no CORS headers)."""
    return environ.get("REQUEST_METHOD") == "POST" and without_preflight(environ)


def without_cors_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """moto's answers minus the Access-Control-* headers its flask-cors wrapper adds (echoing any Origin), which
    would let any page read S3 listings and moto's state."""
    return [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
