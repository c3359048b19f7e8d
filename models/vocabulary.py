"""The words events are stored with, in one place. StrEnums: each member is its own string, so
they compare with and are stored as the plain values ("confirmed") the database and the API
already hold."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    ENCROACHMENT = "encroachment"
    DUMPING = "dumping"


class ReviewStatus(StrEnum):
    UNREVIEWED = "unreviewed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class EventState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class ClipState(StrEnum):
    NONE = "none"  # no clip asked for (clips off, or the camera kept no video)
    RECORDING = "recording"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"  # cut short (the worker or the camera stopped); playable up to there
    FAILED = "failed"


class DismissReason(StrEnum):
    FALSE_DETECTION = "false_detection"
    PERMITTED = "permitted"
    DUPLICATE = "duplicate"
    OTHER = "other"


# The two acts in the words the office writes them (snapshot captions, CSV, the evidence sheet).
TYPE_WORDS = {"vi": {"encroachment": "Lấn chiếm vỉa hè", "dumping": "Đổ rác trái phép"},
              "en": {"encroachment": "Sidewalk encroachment", "dumping": "Illegal dumping"}}


class LabelClass(StrEnum):
    """What a reviewer can say an object is: COCO's vehicles and people, and the things of a
    Vietnamese sidewalk and of dumping that COCO does not have (the learning loop's classes)."""

    CAR = "car"
    MOTORCYCLE = "motorcycle"
    BICYCLE = "bicycle"
    BUS = "bus"
    TRUCK = "truck"
    PERSON = "person"
    STOOL_CHAIR = "stool_chair"
    TABLE = "table"
    STALL_CART = "stall_cart"
    SIGN_BOARD = "sign_board"
    GOODS = "goods"
    GARBAGE_BAG = "garbage_bag"
    GARBAGE_PILE = "garbage_pile"
    OTHER = "other"


class ProblemKind(StrEnum):
    """A camera's tampering problems (vision/tampering.py judges them)."""

    COVERED = "covered"
    DEFOCUSED = "defocused"
    MOVED = "moved"  # its zones no longer fit: its rules wait for the view to return or be accepted
    FROZEN = "frozen"


class ProblemEnd(StrEnum):
    VIEW_RETURNED = "view_returned"
    ACCEPTED = "accepted"  # an admin accepted the new view (or drew the zones again on it)
