"""Online appointments (网上预约) that merge into the hall queue.

Not built yet: see the issue on online appointments.
"""
