"""The Content-Security-Policy's pictures: a staff photo on another server is let in by its origin only."""

from __future__ import annotations

from config.headers import content_security_policy, photo_origins


def test_a_staff_photo_elsewhere_is_let_in_by_its_origin_and_nothing_else() -> None:
    photos = ["/static/staff/zhangwei.jpg", "https://photos.hall.example:8443/staff/lina.jpg?v=2", "", "data:,"]
    assert photo_origins(photos) == {"https://photos.hall.example:8443"}
    policy = directives(content_security_policy(photo_origins(photos)))
    assert policy["img-src"] == "'self' data: blob: https://photos.hall.example:8443"
    assert policy["script-src"] == "'self'"  # a picture's server runs nothing here
    assert directives(content_security_policy())["img-src"] == "'self' data: blob:"


def test_a_photo_address_in_a_hall_file_adds_no_directive_and_no_password() -> None:
    photos = [
        "https://a.example; connect-src *; x/p.jpg",  # a directive of its own: refused
        "https://user:secret@photos.hall.example/p.jpg",  # kept as its host alone
        "http://[fd00::7]:8080/p.jpg",
    ]
    assert photo_origins(photos) == {"https://photos.hall.example", "http://[fd00::7]:8080"}
    policy = directives(content_security_policy(photo_origins(photos)))
    assert policy["connect-src"] == "'self'" and "secret" not in policy["img-src"]


def directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))
