"""The audit trail (审计日志, SZDB/Z 179 8.1.3): who changed what, when and from where.

Queue actions are in the hall's record already (``hall_event``); everything else a person or
a device changes — counters' rosters, rating cases, slot cancellations, sign-ins and failed
sign-ins, accounts and devices — is one ``audit_entry`` row, kept at least six months and
never deleted silently.
"""
