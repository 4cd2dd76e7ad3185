"""The voice call (语音叫号): what is said, and the WAV the hall screen plays.

What is said comes from a template per language (default 请{number}号到{counter}号窗口办理),
with the ticket number read the way people say it: A001 is "A零零一", digit by digit, not
"A一". A call comes in three forms (``VoiceForm``), for a screen to keep up when counters call
at once: ``full`` (the chime, every language, repeated: about 20 s), ``brief`` (the first
language once, quicker: "A零零一号，3号窗口", under 3 s) and ``number`` (the number alone, under
a second, the screen showing its counter). Each distinct announcement is synthesised once, by
espeak-ng through pyttsx3's binding in a worker process (so the event loop never waits on it
and the library's global state stays out of the server), and kept as a WAV file: an optional
chime, then every language, the whole repeated. A hall with a voice pack (``[voice] pack``:
recorded clips, displays/voicepack.py) has its calls' Mandarin said with the clips instead;
the chime, the repeats and the forms stay the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import io
import math
import os
import struct
import time
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from displays.voicepack import VoicePack

__all__ = [
    "DEFAULT_TEMPLATES",
    "LAYOUT",
    "Synthesizer",
    "VoiceForm",
    "VoiceSettings",
    "announcement_texts",
    "call_texts",
    "form_settings",
    "spoken_number",
]

Language = Literal["zh", "en"]
VoiceForm = Literal["full", "brief", "number"]

DEFAULT_TEMPLATES: dict[str, str] = {
    "zh": "请{number}号到{counter}号窗口办理",
    "en": "Number {number}, please go to counter {counter}",
}
# What a screen says while it is behind: the first language only, once, without the chime.
SHORT_TEMPLATES: dict[str, dict[str, str]] = {
    "brief": {"zh": "{number}号，{counter}号窗口", "en": "{number}, counter {counter}"},
    "number": {"zh": "{number}", "en": "{number}"},
}
BRIEF_RATE = 260  # words a minute: quick but clear (espeak-ng's Mandarin at 150 takes 5.6 s a call)
DEFAULT_VOICES: dict[str, str] = {"zh": "sit/cmn", "en": "gmw/en"}  # espeak-ng voice names
_ZH_DIGITS = "零一二三四五六七八九"
_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
RATE = 22050  # espeak-ng's output: 22.05 kHz, mono, 16 bit
# A WAV's layout (``compose``), in seconds; the hall screen works out from it where the first
# round of a whole announcement ends (``LAYOUT``, given to the page).
_CHIME_TONES = ((880.0, 0.28), (660.0, 0.42))  # Hz, seconds: high then low (叮咚)
_CHIME_PAUSE = 0.25
CHIME_SECONDS = sum(seconds for _, seconds in _CHIME_TONES) + _CHIME_PAUSE
PART_GAP = 0.35  # between the languages of a round
ROUND_GAP = 0.9  # between the rounds
TAIL = 0.2  # after the last round
SHORT_TAIL = 0.12  # after a short form: a breath
LAYOUT = {"chime_seconds": CHIME_SECONDS, "part_gap": PART_GAP, "round_gap": ROUND_GAP, "tail": TAIL}


class VoiceSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[voice]``: languages in the order they are spoken, and how."""

    languages: tuple[Language, ...] = ("zh",)
    repeat: int = 2
    chime: bool = True
    rate: int = 150  # words per minute; espeak-ng's own default (175) is fast for a hall
    templates: dict[str, str] = msgspec.field(default_factory=dict)
    voices: dict[str, str] = msgspec.field(default_factory=dict)
    # A voice pack for the calls' Mandarin: a folder relative to the hall file, or "default"
    # (the pack made with espeak-ng, displays/voice_packs/default); "": espeak-ng alone.
    pack: str = ""

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError("languages: at least one language")
        if not 1 <= self.repeat <= 5:
            raise ValueError("repeat must be from 1 to 5")
        if not 80 <= self.rate <= 300:
            raise ValueError("rate must be from 80 to 300 words a minute")
        for language, template in self.templates.items():
            try:
                template.format(number="A001", counter=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"templates.{language}: {exc!r}; use {{number}} and {{counter}}") from None

    def template(self, language: str) -> str:
        return self.templates.get(language, DEFAULT_TEMPLATES[language])

    def voice(self, language: str) -> str:
        return self.voices.get(language, DEFAULT_VOICES[language])


def spoken_number(number: str, language: str) -> str:
    """A ticket number as a person reads it out: A001 -> "A零零一" / "A zero zero one"."""
    letters = "".join(c for c in number if not c.isdigit())
    digits = [int(c) for c in number if c.isdigit()]
    if language == "zh":
        return letters + "".join(_ZH_DIGITS[d] for d in digits)
    return " ".join([*letters, *(_EN_DIGITS[d] for d in digits)])


def call_texts(settings: VoiceSettings, number: str, counter: int, form: VoiceForm = "full") -> dict[str, str]:
    """What is said for a call, in each language the form is spoken in (``form_settings``)."""
    return {
        language: (settings.template(language) if form == "full" else SHORT_TEMPLATES[form][language]).format(
            number=spoken_number(number, language), counter=counter
        )
        for language in form_settings(settings, form).languages
    }


def form_settings(settings: VoiceSettings, form: VoiceForm) -> VoiceSettings:
    """How a form is spoken: ``full`` as the hall file says; the short forms once, without
    the chime, at least at ``BRIEF_RATE``."""
    if form == "full":
        return settings
    return msgspec.structs.replace(
        settings, languages=settings.languages[:1], repeat=1, chime=False, rate=max(settings.rate, BRIEF_RATE)
    )


def announcement_texts(settings: VoiceSettings, text: str, text_en: str) -> dict[str, str]:
    texts = {"zh": text, "en": text_en}
    return {language: texts[language] for language in settings.languages if texts.get(language)}


# ---------------------------------------------------------------- synthesis


_collected: list[bytes] = []
_espeak_ready = False


def _collect(wav, samples: int, events) -> int:  # type: ignore[no-untyped-def]
    if samples > 0:  # every buffer, the last one too
        _collected.append(ctypes.string_at(wav, samples * 2))
    return 0


def _speak(text: str, voice: str, rate: int) -> bytes:
    """In the worker process: one text, one voice, as 16-bit PCM at 22.05 kHz.

    pyttsx3's espeak binding, driven synchronously: ``Synth`` returns when the speech is
    complete and every buffer has come through our callback. (pyttsx3 2.99's own
    ``save_to_file`` writes the file before adding the last buffer, so its WAVs lose their
    end, and the lost buffer turns up at the start of the next one.)
    """
    from pyttsx3.drivers import _espeak

    global _espeak_ready
    if not _espeak_ready:
        if _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 500) != RATE:
            raise RuntimeError("espeak-ng did not start at 22.05 kHz")
        _espeak.SetSynthCallback(_collect)
        _espeak_ready = True
    if _espeak.SetVoiceByName(voice.encode()) != _espeak.EE_OK:
        raise RuntimeError(f"espeak-ng has no voice {voice!r}")
    _espeak.SetParameter(_espeak.RATE, rate, 0)
    _collected.clear()
    if _espeak.Synth(text, flags=_espeak.CHARS_UTF8 | _espeak.ENDPAUSE) != _espeak.EE_OK:
        raise RuntimeError(f"espeak-ng could not say {text!r}")
    return b"".join(_collected)


def _silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


def _chime() -> bytes:
    """Two soft tones, high then low (叮咚), with a short fade so that nothing clicks."""
    frames = bytearray()
    for frequency, seconds in _CHIME_TONES:
        count = int(RATE * seconds)
        for i in range(count):
            fade = min(1.0, i / 400, (count - i) / 1200)
            frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * frequency * i / RATE)))
    return bytes(frames) + _silence(_CHIME_PAUSE)


def trimmed(pcm: bytes, threshold: int = 300) -> bytes:
    """The speech without the silence espeak-ng puts before and after it (a short form is
    said while the screen is behind: every tenth of a second counts); silence alone: empty."""
    samples = memoryview(pcm).cast("h")
    first = next((i for i, v in enumerate(samples) if abs(v) >= threshold), len(samples))
    last = next((i for i in range(len(samples) - 1, first - 1, -1) if abs(samples[i]) >= threshold), first - 1)
    return pcm[2 * first : 2 * (last + 1)]


def compose(parts: list[bytes], repeat: int, chime: bool, tail: float = TAIL) -> bytes:
    """A WAV: the chime, then the parts (one per language), the whole said ``repeat`` times."""
    one_round = _silence(PART_GAP).join(parts)
    body = (_chime() if chime else b"") + _silence(ROUND_GAP).join([one_round] * repeat)
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(body + _silence(tail))
    return out.getvalue()


class Synthesizer:
    """Makes and keeps the WAV of each distinct announcement, without blocking the loop."""

    def __init__(self, folder: Path, most_bytes: int = 256 * 2**20) -> None:
        self.folder = folder
        self.most_bytes = most_bytes  # the folder is kept under this: the oldest files go first
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[str, asyncio.Future[Path]] = {}

    def key(
        self, settings: VoiceSettings, texts: dict[str, str], short: bool = False, pack: VoicePack | None = None
    ) -> str:
        spec = [[texts[lang], settings.voice(lang)] for lang in texts], settings.rate, settings.repeat, settings.chime
        more = [short, pack.fingerprint] if pack is not None else [short] if short else []  # a new pack, new files
        return hashlib.sha256(msgspec.json.encode([*spec, *more])).hexdigest()[:32]

    async def wav(
        self, settings: VoiceSettings, texts: dict[str, str], *, short: bool = False, pack: VoicePack | None = None
    ) -> Path:
        """The file for ``texts``, made now if it was never made. ``short``: a short form of a
        call (``form_settings``), its words without the silence around them. ``pack``: the
        hall's voice pack says its language where it has the clips."""
        key = self.key(settings, texts, short, pack)
        path = self.folder / f"{key}.wav"
        if path.exists():
            with contextlib.suppress(OSError):  # used: the last to go when the folder is trimmed
                os.utime(path)
            return path
        if key not in self._pending:  # concurrent requests for the same text wait for one synthesis
            self._pending[key] = asyncio.ensure_future(self._make(path, settings, texts, short, pack))
            self._pending[key].add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(self._pending[key])

    async def _make(
        self, path: Path, settings: VoiceSettings, texts: dict[str, str], short: bool, pack: VoicePack | None
    ) -> Path:
        loop = asyncio.get_running_loop()
        parts = []
        for lang, text in texts.items():
            part = pack.spoken(text) if pack is not None and lang == pack.language else None
            if part is None:  # no pack, another language, or a clip missing (the pack logs it once)
                if self._pool is None:
                    self._pool = ProcessPoolExecutor(max_workers=1)
                part = await loop.run_in_executor(self._pool, _speak, text, settings.voice(lang), settings.rate)
            parts.append(part)
        if short:  # no silence around the words but a breath after
            data = compose([trimmed(part) for part in parts], 1, False, tail=SHORT_TAIL)
        else:
            data = compose(parts, settings.repeat, settings.chime)
        self.folder.mkdir(parents=True, exist_ok=True)
        draft = path.with_suffix(f".{os.getpid()}.part")
        draft.write_bytes(data)
        os.replace(draft, path)  # whole files only, even with several server processes
        await asyncio.to_thread(self._trim, path)  # a stat per file: not on the event loop
        return path

    def _trim(self, keep: Path) -> None:
        """Remove the least recently used files until the folder is under ``most_bytes`` (and
        drafts an interrupted synthesis left an hour ago or more)."""
        files = []
        stale = time.time() - 3600
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".part"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < stale:
                        os.remove(entry.path)
                continue
            if entry.name.endswith(".wav") and entry.path != str(keep):
                with contextlib.suppress(OSError):
                    stat = entry.stat()
                    files.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _, size, _ in files) + keep.stat().st_size
        for _, size, old in sorted(files):
            if total <= self.most_bytes:
                break
            with contextlib.suppress(OSError):  # another process may have removed it
                os.remove(old)
            total -= size

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
