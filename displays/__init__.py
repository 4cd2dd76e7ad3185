"""Hall screens (综合屏), counter LED boards (窗口屏) and the voice call, over the device channel.

- ``messages.py``: what travels on the channel; ``render.py``: hall events into messages;
- ``hub.py``: fan-out to the devices of this process, and through Redis to the others;
- ``api.py``: the websocket endpoints and the voice files; ``pages.py``: the screens;
- ``voice.py``: what is said and its WAV; ``led.py``: the bridge to physical LED boards.
"""
