"""Hall screens (综合屏), counter LED boards (窗口屏) and the voice call: the device channel.

Not built yet: see the issue on hall screens, LED boards and voice.
"""
