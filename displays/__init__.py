"""Hall screens (综合屏), counter LED boards (窗口屏) and the voice call, over the device channel.

- ``settings.py``: ``DisplayHall``, the displays' part of a hall file (``[display]``, ``[voice]``);
- ``messages.py``: what travels on the channel; ``render.py``: hall events into messages (pure);
- ``hub.py``: fan-out to the devices of this process, and through Redis to the others;
- ``service.py``: the displays of this process (their halls, the hub, the voice) for the handlers;
- ``api.py``: the websocket endpoints and the voice files; ``pages.py``: the screen and the board;
- ``voice.py``: what is said and its WAV; ``voicepack.py``: voice packs, calls said with recorded clips;
- ``client.py``: the device channel's client, shared by the device agents (reconnecting by the
  ``websockets`` client's own reconnection); ``led/``: the bridge to physical LED boards.
"""
