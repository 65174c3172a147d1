"""Deliberate browser access (`--cors-origin`): for the origins the user names, preflights are answered and the
AWS SDKs' headers allowed and exposed, for the three Personalize services and S3 alike. With no origin named,
no answer carries a CORS header (see browsers.py for what is refused then)."""

METHODS = "GET, HEAD, POST, PUT, DELETE"
# what a browser SDK reads from answers: request ids and error types (AWS), S3's ids, ETag and version
EXPOSED = ("x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-request-id, x-amz-id-2, "
           "x-amz-version-id, x-amz-delete-marker, ETag, Date")


def allowing(app, origins: tuple[str, ...]):
    """`app` with CORS for `origins` ("*" allows any); `app` itself when there are none."""
    if not origins:
        return app

    def cors(environ, start_response):
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or ("*" not in origins and origin not in origins):
            return app(environ, start_response)
        added = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                 ("Access-Control-Expose-Headers", EXPOSED)]
        if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            start_response("200 OK", added + [("Access-Control-Allow-Methods", METHODS),
                                              *([("Access-Control-Allow-Headers", asked)] if asked else []),
                                              ("Access-Control-Max-Age", "600"), ("Content-Length", "0")])
            return [b""]
        return app(environ, lambda status, headers, *rest: start_response(status, headers + added, *rest))
    return cors
