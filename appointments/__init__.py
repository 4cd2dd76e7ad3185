"""Online appointments (网上预约) that merge into the hall queue.

- ``settings.py``: ``[appointments]`` and ``AppointmentHall`` (the appointments' part of a hall file);
- ``rules.py``: slots, capacity, booking windows, per-person rules, check-in windows (pure);
- ``people.py``: ID numbers checked, a keyed hash to find a person, contacts sealed;
- ``models.py``, ``store.py``: bookings, seats (a conditional update: never overbooked), reminders;
- ``service.py``: book, cancel, check in (the ticket and the booking in the hall's own
  transaction), no-shows and reminders; ``notify.py``: log, SMTP and SMS-gateway notifiers;
- ``api.py``, ``pages.py``, ``schemas.py``: the API, the booking pages.
"""
