"""The page an evidence sheet's QR code opens: every evidence file of the event hashed again now
and compared with the SHA-256 recorded when it was made. Server-rendered HTML, so it works on any
phone that scans it; for signed-in staff of the event's ward only (another ward's event is 404)."""

from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from models.events import get_event
from models.evidence import verify
from models.media import MediaStore
from models.serialize import iso
from models.types import utcnow

from ..deps import DbDep, SettingsDep
from ..evidence_sheet import FILE_STATES, KINDS, local_time
from ..params import EventId
from ..security import SESSION_COOKIE, Principal, resolve_principal
from .evidence import verdict

router = APIRouter(tags=["evidence"])

STATE_WORDS = {s: f"{FILE_STATES['vi'][s]} / {FILE_STATES['en'][s]}" for s in ("intact", "modified", "missing")}
VERDICTS = {
    "intact": ("Tất cả tệp chứng cứ nguyên vẹn", "All evidence files are intact"),
    "tampered": ("Chứng cứ đã bị thay đổi hoặc thiếu tệp", "The evidence was tampered with or files are missing"),
    "purged": ("Tệp chứng cứ đã được xoá theo thời hạn lưu trữ", "The evidence files were removed by retention"),
    "none": ("Vụ việc này không có tệp chứng cứ", "This incident has no evidence files"),
}
STYLE = """body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;
color:#111;line-height:1.4}h1{font-size:1.3rem}.en{color:#555;font-size:.9em}table{border-collapse:collapse;
width:100%}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
code{font-size:.75rem;word-break:break-all}.intact{color:#0a6b24;font-weight:bold}
.modified,.missing,.tampered,.none,.purged{color:#b00;font-weight:bold}.banner{padding:.6rem;border:2px solid}"""


def page_principal(request: Request) -> Principal | None:
    """The signed-in caller (session cookie, or a bearer token), or None: the page answers an
    unsigned visitor itself, in words, instead of with JSON."""
    return resolve_principal(request.app.state.db, request.cookies.get(SESSION_COOKIE),
                             request.headers.get("authorization"))


def _page(title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        status, headers={"Cache-Control": "no-store"})


def _sign_in_first(request: Request) -> HTMLResponse:
    console = escape(str(request.url_for("console")))
    return _page("Cần đăng nhập / Sign in needed", (
        "<h1>Cần đăng nhập để kiểm tra chứng cứ<br><span class=en>Sign in to verify the evidence</span></h1>"
        f'<p>Hãy <a href="{console}">đăng nhập vào urbanwatch</a> rồi mở lại liên kết này (quét lại mã QR).<br>'
        f'<span class=en><a href="{console}">Sign in to urbanwatch</a>, then open this link again '
        "(scan the QR code again).</span></p>"), 401)


HTML = {"content": {"text/html": {}}}


@router.get("/verify/{event_id}", response_class=HTMLResponse,
            responses={401: {**HTML, "description": "Not signed in: a page that says to sign in first"},
                       404: {**HTML, "description": "No such event, or not in the caller's wards"}},
            summary="The verification page an evidence sheet's QR code opens (HTML, Vietnamese and English)")
def verify_page(event_id: EventId, request: Request, db: DbDep, settings: SettingsDep,
                p: Annotated[Principal | None, Depends(page_principal)]) -> HTMLResponse:
    if p is None:
        return _sign_in_first(request)
    media = MediaStore(settings.storage.resolved_media_dir, create=False)
    with db.session() as s:
        e = get_event(s, event_id)
        if e is None or not p.scope.allows(e.ward):
            return _page("Không tìm thấy / Not found", (
                f"<h1>Không có vụ việc số {event_id}<br><span class=en>No incident {event_id}</span></h1>"
                "<p>Vụ việc không tồn tại hoặc không thuộc phường, xã của bạn.<br><span class=en>It does not exist "
                "or is not in your wards.</span></p>"), 404)
        checks = verify(s, media, e.id)
        purged = e.media_purged_at is not None
        camera, ward = (e.camera.name if e.camera else e.camera_id), e.ward
        raised = local_time(e.raised_at, settings.timezone, "vi")
    now = utcnow()
    result = verdict(checks, purged)
    vi, en = VERDICTS[result]
    rows = "".join(
        f"<tr><td>{escape(KINDS['vi'].get(c.kind, c.kind))}<br><span class=en>{escape(KINDS['en'].get(c.kind, c.kind))}"
        f"</span><br><small>{escape(Path(c.path).name)}</small></td>"
        f"<td><code>{escape(c.expected)}</code></td><td><code>{escape(c.actual or '—')}</code></td>"
        f'<td class="{c.status}" data-status="{c.status}">{escape(STATE_WORDS[c.status])}</td></tr>'
        for c in checks)
    body = (
        f"<h1>Kiểm tra chứng cứ — vụ việc số {event_id}<br><span class=en>Evidence check — incident {event_id}"
        "</span></h1>"
        f"<p>Camera: {escape(camera)} · phường/xã {escape(ward)} · cảnh báo lúc {escape(raised)}</p>"
        f'<p class="banner {result}" data-verdict="{result}">{escape(vi)}<br><span class=en>{escape(en)}</span></p>'
        "<table><thead><tr><th>Tệp<br><span class=en>File</span></th>"
        "<th>SHA-256 đã ghi<br><span class=en>Recorded SHA-256</span></th>"
        "<th>SHA-256 hiện tại<br><span class=en>SHA-256 now</span></th>"
        "<th>Kết quả<br><span class=en>Result</span></th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"<p class=en>Tính lại lúc / computed at {escape(local_time(now, settings.timezone, 'vi'))} "
        f"({escape(iso(now) or '')}) · {escape(p.user.display_name)}</p>")
    return _page(f"Kiểm tra chứng cứ {event_id} / Evidence check", body, 200)
