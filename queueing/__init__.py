"""The queue: the sans-I/O core and, around it, the store, the service, the API and the pages.

The core (no clock, database or network; deterministic; drives the live hall and the simulator):

- ``lifecycle.py``  the ticket and counter transition tables (state × step → state)
- ``hall.py``       ``HallQueue``: commands in, events out; ``apply`` is the only way state changes
- ``calling.py``    who is called next;  ``estimates.py``  people ahead and the wait
- ``kinds.py``      counter kinds (无差别/分领域/跨省通办/出件) and what they serve, calling profiles
- ``commands.py``, ``events.py``, ``records.py``, ``views.py``, ``lines.py``, ``numbering.py``,
  ``policy.py`` (``HallRules``), ``catalogue.py`` (the hall, its domains, groups and items), ``errors.py``

Around it:

- ``settings.py``  ``QueueHall``, the queue's part of a hall file
- ``ports.py``     what the queue asks of other packages (``SlipPrinter``, ``RatingOffer``), declared
  here and implemented there: the queue imports no other package of the project
- ``models.py``, ``store.py``  the event record and the ticket table; ``store`` is the one read path
  to the record for every package, and ``store.load`` the one way to rebuild a hall's state
- ``service.py``   ``HallRuntime``, ``HallWorker``: one thread for the halls of a process, their
  commands committed together (group commit across halls), answers after the commit
- ``api.py``, ``pages.py``, ``schemas.py``  tickets and the queue over HTTP; the kiosk and ticket pages
"""
