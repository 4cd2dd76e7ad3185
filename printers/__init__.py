"""Ticket slips (取号凭条) on ESC/POS thermal printers, and PDF tickets.

- ``settings.py``: a ticket machine's printer, the hall's ``[slip]``, and ``PrintingHall`` (the
  printing part of a hall file);
- ``slip.py``: what a slip says; ``escpos.py``: its ESC/POS bytes; ``pdf.py``: its PDF (pure);
- ``drivers.py``: sending bytes to network, USB, file and dummy printers (python-escpos);
- ``models.py``, ``store.py``: print jobs and printer states; ``service.py``: printing after
  issuing, never in its way (the queue's ``SlipPrinter``); ``api.py``: reprint, job status, printer
  status, PDF, QR, and the print agent's channel; ``agent.py``: ``hall print-agent`` on a ticket
  machine's PC (on the shared device client, ``displays/client.py``).
"""
