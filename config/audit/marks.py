"""How a route handler tells the audit trail where its changes are recorded (Litestar ``opt``).

Every POST, PUT, PATCH and DELETE is recorded in ``audit_entry`` by ``AuditMiddleware`` unless
its handler says otherwise, with one of these in its ``opt`` (grep for them to see which):

- ``IN_HALL_RECORD``: the change is an event of the hall's record (``hall_event``), which keeps
  who, when and what; the trail records only its refusals (no second write on the queue's path);
- ``CHANGES_NOTHING``: a POST that computes an answer (a simulation, a preview, a look-up) and
  changes nothing;
- ``SIGN_IN``: the sign-in, recorded as ``auth.login`` or ``auth.login_failed`` with the
  attempted username;
- ``RECORDS_ITSELF``: the handler's service writes its own entry in the change's transaction
  (a sign-out, an account or password change, a rating phone opened); the trail records only
  its refusals.
"""

from __future__ import annotations

__all__ = ["AUDIT", "CHANGES_NOTHING", "IN_HALL_RECORD", "RECORDS_ITSELF", "SIGN_IN"]

AUDIT = "audit"  # the key in a handler's ``opt``
IN_HALL_RECORD = {AUDIT: "hall_record"}
CHANGES_NOTHING = {AUDIT: "changes_nothing"}
SIGN_IN = {AUDIT: "sign_in"}
RECORDS_ITSELF = {AUDIT: "records_itself"}
