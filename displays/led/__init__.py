"""The LED bridge (``hall led-bridge``): follows a hall's (or one counter's) device channel and
drives physical counter LED boards (窗口屏) through a driver.

    hall led-bridge --server http://127.0.0.1:8000 --hall demo --token TOKEN \\
                    [--counter 3] [--driver console|tcp] [--controller HOST:PORT] [--heartbeat 15]

- ``boards.py``: what each board shows, from the channel's messages (pure);
- ``frame.py``: the TCP controller frame (the reference codec for controller firmware);
- ``drivers.py``: the console and the TCP controller drivers;
- ``bridge.py``: ``LedBridge``, on the device client every agent shares (``displays/client.py``).
"""

from displays.client import Backoff
from displays.led.boards import BoardState, BoardText, Reaction, board_text
from displays.led.bridge import LedBridge, channel_url
from displays.led.drivers import BoardDriver, ConsoleDriver, TcpDriver
from displays.led.frame import ETX, STX, FrameError, decode_frame, encode_frame, read_frame

__all__ = [
    "ETX",
    "STX",
    "Backoff",
    "BoardDriver",
    "BoardState",
    "BoardText",
    "ConsoleDriver",
    "FrameError",
    "LedBridge",
    "Reaction",
    "TcpDriver",
    "board_text",
    "channel_url",
    "decode_frame",
    "encode_frame",
    "read_frame",
]
