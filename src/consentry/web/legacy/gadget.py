"""The widget OAuth proxy (AUTH5-1): /gadgets/proxy calls a data API for an embedded widget.

A widget is a registered web client; its redirect URIs name the pages (on its own origin) that
receive the result of an approval. The flow:

1. The widget calls ``/gadgets/proxy?gadget=CLIENT_ID&url=/data/v1/...&scope=...``. With no handle
   (or a handle whose token is gone) the answer is JSON carrying ``oauthApprovalUrl``.
2. The widget opens it in a pop-up: the same policy gate, screens and consent as OAuth 2.0
   (web/legacy/approval.py). On Allow, the proxy issues and keeps the token (domain/legacy/gadget.py)
   and sends the pop-up to the widget's registered redirect URI with ``#gadget_handle=…`` in the
   fragment (never sent to any server); that page stores the handle and closes itself.
3. The widget retries with the handle in ``X-Consentry-Gadget-Handle``; the proxy calls the data API
   with the token it holds and hands back the answer.

Why the handle goes through a registered redirect URI, and not to whoever opened the pop-up: the
one who started an approval must not be able to collect a token someone else approved. Only the
widget's own origin can read that fragment, as only an OAuth app's server receives its code.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import httpx
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import gadget as proxy_tokens
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.tokens.store import Lookup
from consentry.web.legacy.approval import Account, Issue, Pending, approve
from consentry.web.render import error_page
from consentry.web.runtime import Runtime, runtime

router = APIRouter(include_in_schema=False)

APPROVE = "/gadgets/approve"
PROXY = "/gadgets/proxy"
HANDLE = "x-consentry-gadget-handle"
DATA = "/data/v1/"
#: Widgets are web clients: they have registered redirect URIs on their own origin.
WIDGET_TYPES = ("web",)
MAX_STATE = 200
#: What of the data API's answer reaches the widget.
PASSED_HEADERS = ("content-type", "cache-control", "www-authenticate")


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


async def _widget(rt: Runtime, client_id: str) -> ClientSnapshot | None:
    if not client_id or len(client_id) > 100:
        return None
    client = (await rt.flow.store.lookup(Lookup(client_id=client_id))).client
    if (
        client is None
        or client.disabled
        or client.client_type not in WIDGET_TYPES
        or not client.redirect_uris
    ):
        return None
    return client


def _scopes(rt: Runtime, scope: str) -> tuple[str, ...] | str:
    """Catalogue URIs, or what is wrong with ``scope`` (names, URIs or legacy prefixes)."""
    named = " ".join(
        rt.ctx.catalogue.by_name[s].uri if s in rt.ctx.catalogue.by_name else s for s in scope.split()
    )
    resolved = LegacyScopes(rt.ctx.catalogue, rt.ctx.issuer).resolve(named)
    if resolved.unknown:
        return "unknown scope: " + " ".join(resolved.unknown)
    if not resolved.scopes:
        return "scope is missing"
    return resolved.scopes


def _state_ok(state: str) -> bool:
    return len(state) <= MAX_STATE and state.isprintable()


def _echo(state: str) -> dict[str, str]:
    """The widget's ``state``, given back with the handle: its redirect page stores a handle only
    for an approval this browser's widget started (no handle fixation, as OAuth 2.0's state)."""
    return {"state": state} if state else {}


# --- the approval pop-up ------------------------------------------------------------------------
async def _approval(request: Request, params: dict[str, str], form: object | None) -> Response:
    rt = runtime(request)
    client = await _widget(rt, params.get("gadget", ""))
    if client is None:
        return error_page("Unknown widget", "This widget is not registered here. Nothing was shared.", 400)
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state", "")
    if not _state_ok(state):
        return error_page("Bad request", "The widget sent a state longer than 200 characters.", 400)
    if redirect_uri not in client.redirect_uris:  # exact match, as for OAuth 2.0 (RFC 9700 2.1)
        return error_page(
            "Wrong return address", "The widget asked to return to an address it did not register.", 400
        )
    scopes = _scopes(rt, params.get("scope", ""))
    if isinstance(scopes, str):
        return error_page("This widget asked for something unknown", scopes.capitalize() + ".", 400)
    # Prefixed: the consent form posts its own ``scope`` boxes.
    fields = {
        "gadget": client.client_id,
        "gadget_scope": params.get("scope", ""),
        "gadget_redirect": redirect_uri,
        "gadget_state": state,
    }
    envelope = Envelope(rt.ctx.settings.secret_key)

    def allowed(db: Session, account: Account, granted: tuple[str, ...]) -> Response | Issue:
        if not granted:
            return denied(db, account)
        handle, changes = proxy_tokens.approve(
            db,
            rt.ctx.hasher,
            envelope,
            client_pk=client.id,
            user_id=account.id,
            scopes=granted,
            lifetime=rt.ctx.settings.legacy_token_ttl,
        )
        return Issue(
            changes,
            RedirectResponse(redirect_uri + "#" + urlencode({"gadget_handle": handle, **_echo(state)}), 303),
        )

    def denied(db: Session, account: Account) -> Response:
        return RedirectResponse(
            redirect_uri + "#" + urlencode({"gadget_error": "access_denied", **_echo(state)}), 303
        )

    pending = Pending(
        protocol="gadget",
        client_id=client.client_id,
        scopes=scopes,
        fields=fields,
        form_action=APPROVE,
        here=APPROVE
        + "?"
        + urlencode(
            {
                "gadget": client.client_id,
                "scope": params.get("scope", ""),
                "redirect_uri": redirect_uri,
                **_echo(state),
            }
        ),
    )
    return await approve(request, pending, form, allowed, denied)  # type: ignore[arg-type]


@router.get(APPROVE)
async def approval_page(request: Request) -> Response:
    return await _approval(request, dict(request.query_params), None)


@router.post(APPROVE)
async def approval_answer(request: Request) -> Response:
    form = await request.form()

    def one(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    params = {
        "gadget": one("gadget"),
        "scope": one("gadget_scope"),
        "redirect_uri": one("gadget_redirect"),
        "state": one("gadget_state"),
    }
    return await _approval(request, params, form)


# --- the proxy ---------------------------------------------------------------------------------
def _cors(request: Request, client: ClientSnapshot | None) -> dict[str, str]:
    """Only the widget's own origins (those of its redirect URIs) may read the answers."""
    origin = request.headers.get("origin", "")
    if client is None or not origin or origin not in {_origin(u) for u in client.redirect_uris}:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Cache-Control": "no-store"}


def _error(request: Request, client: ClientSnapshot | None, status: int, error: str, why: str) -> Response:
    return JSONResponse({"error": error, "error_description": why}, status, headers=_cors(request, client))


def _data_path(url: str) -> str | None:
    """A path under the data APIs, and nothing else: the proxy is no way to reach other URLs."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or "\\" in url or len(url) > 2000:
        return None
    if not parts.path.startswith(DATA) or ".." in parts.path.split("/"):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


@router.options(PROXY)
async def proxy_preflight(request: Request, gadget: str = "") -> Response:
    client = await _widget(runtime(request), gadget)
    headers = _cors(request, client)
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = "GET, POST"
        headers["Access-Control-Allow-Headers"] = f"{HANDLE}, content-type"
        headers["Access-Control-Max-Age"] = "600"
    return Response(status_code=204, headers=headers)


@router.api_route(PROXY, methods=["GET", "POST"])
async def proxy(
    request: Request,
    gadget: str = "",
    url: str = "",
    scope: str = "",
    redirect_uri: str = "",
    state: str = "",
) -> Response:
    rt = runtime(request)
    client = await _widget(rt, gadget)
    if client is None:
        return _error(request, None, 400, "invalid_client", "gadget is not a registered widget")
    path = _data_path(url)
    if path is None:
        return _error(request, client, 400, "invalid_request", f"url must be a path under {DATA}")
    if not _state_ok(state):
        return _error(request, client, 400, "invalid_request", "state is at most 200 printable characters")
    back = redirect_uri or client.redirect_uris[0]
    if back not in client.redirect_uris:
        return _error(
            request, client, 400, "invalid_request", "redirect_uri is not registered for this widget"
        )
    handle = request.headers.get(HANDLE, "")
    envelope = Envelope(rt.ctx.settings.secret_key)

    def read() -> proxy_tokens.Held | None:
        with rt.ctx.db.unit_of_work() as db:
            return proxy_tokens.held(db, rt.ctx.hasher, envelope, handle, client.id)

    held = await run_in_threadpool(read) if handle else None
    if held is not None:
        answer = await _call(request, held.token, path)
        if answer.status_code != 401:
            headers = {k: v for k, v in answer.headers.items() if k in PASSED_HEADERS}
            return Response(answer.content, answer.status_code, headers={**headers, **_cors(request, client)})

        def forget() -> None:
            with rt.ctx.db.unit_of_work() as db:
                proxy_tokens.forget(db, rt.ctx.hasher, handle)

        await run_in_threadpool(forget)  # revoked or expired: approve again
    approval = (
        rt.ctx.issuer
        + APPROVE
        + "?"
        + urlencode({"gadget": client.client_id, "scope": scope, "redirect_uri": back, **_echo(state)})
    )
    body = {
        "status": "approval_required",
        "oauthApprovalUrl": approval,
        "error_description": "Open oauthApprovalUrl in a pop-up, then retry with the handle "
        "your redirect page receives.",
    }
    return JSONResponse(body, 200, headers=_cors(request, client))


async def _call(request: Request, token: str, path: str) -> httpx.Response:
    """The data API, in process (the same routes, checks and access log as any caller)."""
    body = await request.body() if request.method == "POST" else None
    headers = {"authorization": f"GadgetProxy token={token}", "accept": "application/json"}
    if body is not None:
        headers["content-type"] = request.headers.get("content-type", "application/json")
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=runtime(request).ctx.issuer) as http:
        return await http.request(request.method, path, content=body, headers=headers)
