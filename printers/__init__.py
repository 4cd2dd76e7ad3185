"""Ticket slips on ESC/POS thermal printers, and PDF tickets.

Not built yet: see the issue on ticket printing.
"""
