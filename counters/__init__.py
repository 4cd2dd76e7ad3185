"""Counters: the virtual caller (虚拟叫号器), 好差评 and AB posts (顶岗补位).

- ``settings.py``  ``CounterHall``, the counters' part of a hall file (counters, staff, ``[ratings]``)
- ``api.py``, ``schemas.py``, ``pages.py``  the counter actions, the counter pages, the evaluation
  pad (评价器) and the managers' pages
- ``ratings.py``  好差评 rules, pure: levels, scores, reasons, cases, working-day deadlines, statistics;
  ``evaluation.py``, ``evaluation_api.py``  ratings once per service, cases, the rule for unrated
  services, and the rating a ticket's page offers (the queue's ``RatingOffer``)
- ``coverage.py``  AB-post coverage, pure; ``posts.py``, ``posts_api.py``  the roster, coverage from
  the record, the empty-post watcher
- ``models.py``, ``store.py``  the counters' tables, and what they read of the hall's record (through
  ``queueing.store``)
"""
