from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from models import audit
from models.cameras import get_camera, list_cameras, status_changes, sync_zones
from models.problems import ProblemError, accept_problem, accept_view, open_problems, problem_to_dict, problems_of
from models.schema import Camera, CameraProblem, User
from models.serialize import camera_to_dict, iso
from models.types import utcnow
from models.vocabulary import ProblemKind
from urbanwatch.config import ZoneConfig
from urbanwatch.config.loader import validation_lines

from ..deps import DbDep, SettingsDep, get_session
from ..params import PageDep, ProblemId, refusals
from ..schemas import CameraProblemOut, CameraWithProblemsOut
from ..security import Principal, admin, client_ip, signed_in

router = APIRouter(prefix="/api/cameras", tags=["cameras"], responses=refusals(401, 403, 404))


def visible_camera(session: Session, p: Principal, camera_id: str) -> Camera:
    cam = get_camera(session, camera_id)
    if cam is None or not p.scope.allows(cam.ward):
        raise HTTPException(404, f"no camera {camera_id}")
    return cam


def with_problems(out: dict, problems: list[CameraProblem]) -> dict:
    return {**out, "problems": [problem_to_dict(pr) for pr in problems]}


@router.get("", summary="Cameras with their health and open problems", response_model=list[CameraWithProblemsOut])
def cameras(session: Session = Depends(get_session), p: Principal = Depends(signed_in)) -> list[dict]:
    now = utcnow()
    cams = list_cameras(session, p.scope.filter())
    problems = open_problems(session, [c.id for c in cams])
    return [with_problems(camera_to_dict(c, now), problems.get(c.id, [])) for c in cams]


@router.get("/{camera_id}", summary="One camera with its recent status changes and open problems",
            response_model=CameraWithProblemsOut)
def camera(camera_id: str, session: Session = Depends(get_session), p: Principal = Depends(signed_in)) -> dict:
    cam = visible_camera(session, p, camera_id)
    out = with_problems(camera_to_dict(cam, utcnow()), open_problems(session, [camera_id]).get(camera_id, []))
    out["status_changes"] = [
        {"state": c.state, "previous": c.previous, "at": iso(c.at), "detail": c.detail}
        for c in status_changes(session, camera_id)
    ]
    return out


@router.get("/{camera_id}/problems", response_model=list[CameraProblemOut],
            summary="The camera's problems (covered, defocused, moved, frozen), newest first, open and ended")
def problems(camera_id: str, page: PageDep, session: Session = Depends(get_session),
             p: Principal = Depends(signed_in)) -> list[dict]:
    visible_camera(session, p, camera_id)
    limit, offset = page
    return [problem_to_dict(pr) for pr in problems_of(session, camera_id, limit, offset)]


@router.post("/{camera_id}/problems/{problem_id}/accept", response_model=list[CameraProblemOut],
             responses=refusals(409),
             summary="Accept the camera's view as it is now (admins): its open problems end as accepted, the "
                     "view becomes the reference and a moved camera's zone rules resume")
def accept(camera_id: str, problem_id: ProblemId, request: Request, db: DbDep,
           p: Principal = Depends(admin)) -> list[dict]:
    with db.write() as s:
        visible_camera(s, p, camera_id)
        problem = s.get(CameraProblem, problem_id)
        if problem is None or problem.camera_id != camera_id:
            raise HTTPException(404, f"no problem {problem_id} on camera {camera_id}")
        try:
            accepted = accept_problem(s, problem, s.get(User, p.user.id), client_ip(request))
        except ProblemError as exc:
            raise HTTPException(409, str(exc)) from None
        return [problem_to_dict(pr) for pr in accepted]


@router.get("/{camera_id}/frame.jpg", summary="The camera's latest picture (refreshed every few seconds)",
            response_class=FileResponse)
def latest_frame(camera_id: str, settings: SettingsDep, session: Session = Depends(get_session),
                 p: Principal = Depends(signed_in)):
    visible_camera(session, p, camera_id)
    path = settings.storage.resolved_media_dir / "live" / f"{camera_id}.jpg"
    if not path.is_file():
        raise HTTPException(404, "no picture from this camera yet")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.put("/{camera_id}/zones", response_model=CameraWithProblemsOut,
            summary="Replace the camera's zones (admins); workers apply them live",
            # the body is the configuration's own zone model; it is checked zone by zone below, so
            # that one answer names every zone's problems
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "array", "items": ZoneConfig.model_json_schema()}}}}})
def put_zones(camera_id: str, zones: list[dict], request: Request, db: DbDep, settings: SettingsDep,
              p: Principal = Depends(admin)) -> dict:
    checked, errors = [], []
    for i, z in enumerate(zones):  # checked one by one, so that every zone's problems are told at once
        try:
            checked.append(ZoneConfig.model_validate(z))
        except ValidationError as exc:
            errors += validation_lines(exc, prefix=("zones", i))
    names = [z.name for z in checked]
    errors += [f"zone name '{n}' is used twice" for n in sorted({n for n in names if names.count(n) > 1})]
    for zc in checked:
        errors += [f"zone {zc.name}: unknown object '{o}'" for o in settings.fill_zone(zc)]
    rows = [{"name": zc.name, "kind": zc.kind, "polygon": [list(pt) for pt in zc.polygon], "params": zc.params}
            for zc in checked]
    if errors:
        raise HTTPException(422, errors)
    with db.write() as s:
        cam = visible_camera(s, p, camera_id)
        before = {"zones": camera_to_dict(cam)["zones"]}
        sync_zones(s, camera_id, rows)
        cam.zones_edited = True
        s.flush()
        s.refresh(cam)
        after = camera_to_dict(cam)
        user = s.get(User, p.user.id)
        audit.record(s, user, "camera.zones", "camera", camera_id, before, {"zones": after["zones"]},
                     ip=client_ip(request))
        # zones drawn again on a moved camera's picture as it is now: its new view is accepted
        if any(pr.kind == ProblemKind.MOVED for pr in open_problems(s, [camera_id]).get(camera_id, [])):
            accept_view(s, camera_id, user, client_ip(request), note="zones drawn again")
        return with_problems(after, open_problems(s, [camera_id]).get(camera_id, []))
