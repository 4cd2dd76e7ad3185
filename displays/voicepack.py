"""Voice packs (语音包): a call said with recorded clips, the way Chinese halls do it.

A pack is a folder: ``voice-pack.toml`` and one WAV per clip, each clip named by what it says::

    [pack]
    name = "大厅女声"
    sample_rate = 16000   # every clip: mono, 16-bit PCM WAV at this rate
    gap = 0.04            # seconds of silence between two clips
    pause = 0.25          # seconds for a comma (，) in the words

    [clips]
    "请" = "qing.wav"
    "零" = "digit-0.wav"
    "号窗口办理" = "hao-chuangkou-banli.wav"   # a whole phrase, said more naturally than its words
    ...

A call's Mandarin words (``call_texts``: 请A零零一号到3号窗口办理) are said clip by clip: an
Arabic number (the counter) the way it is read, 3 → 三, 12 → 十二, 105 → 一百零五
(``cardinal_zh``); then from left to right the longest text a clip says, so that a pack with
"号窗口办理" says it in one piece and a pack with only "号", "窗口" and "办理" in three; a comma
is a pause. ``CLIP_FILES`` is the smallest set that says every call of any hall with the
default templates. The pack says Mandarin only; any other language of a call is synthesised.

A pack that is broken (no manifest, a field wrong, a clip missing, not mono 16-bit at the
pack's rate) is refused when the hall file is loaded, naming the file and the field or clip;
so is one that lacks a clip the hall's own calls need (config/halls.py). What it still cannot
say at run time (a number of a group no longer in the hall file) is synthesised for that call
and logged once. Clips are converted to the calls' 22.05 kHz when the pack is loaded.
"""

from __future__ import annotations

import hashlib
import logging
import re
import string
import unicodedata
import wave
from collections.abc import Iterable
from pathlib import Path

import msgspec
import numpy as np

from displays.voice import RATE, VoiceForm, VoiceSettings, _silence, call_texts, trimmed
from queueing.tomlfiles import read_toml

__all__ = [
    "CLIP_FILES",
    "DEFAULT_PACK",
    "MANIFEST",
    "PAUSE",
    "VoicePack",
    "VoicePackError",
    "cardinal_zh",
    "load_pack",
    "make_pack",
    "pack_warnings",
    "unsaid_in_calls",
]

log = logging.getLogger("hall.voice")

MANIFEST = "voice-pack.toml"
DEFAULT_PACK = Path(__file__).parent / "voice_packs" / "default"  # a hall file's ``pack = "default"``
PAUSE = "，"  # in a plan: a pause instead of a gap
_ZH_DIGITS = "零一二三四五六七八九"
# The smallest set of clips for every call in every form with the default templates (counters
# up to 999), and the file names ``make_pack`` gives them.
CLIP_FILES: dict[str, str] = {
    **{digit: f"digit-{value}.wav" for value, digit in enumerate(_ZH_DIGITS)},
    "十": "shi.wav",
    "百": "bai.wav",
    **{letter: f"letter-{letter}.wav" for letter in string.ascii_uppercase},
    "请": "qing.wav",
    "号": "hao.wav",
    "到": "dao.wav",
    "窗口": "chuangkou.wav",
    "办理": "banli.wav",
}
_LONGEST_CLIP = 10.0  # seconds: a clip says a word or a phrase, not a recording session
_SILENT = 300  # a sample below this is silence (``trimmed``'s threshold)
_ARABIC = re.compile(r"[0-9]+")


class VoicePackError(Exception):
    """A pack is wrong; the message names the file and the field or clip."""


class PackInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The manifest's ``[pack]``."""

    name: str
    sample_rate: int = 16000
    language: str = "zh"
    gap: float = 0.04
    pause: float = 0.25

    def __post_init__(self) -> None:
        if not 8000 <= self.sample_rate <= 48000:
            raise ValueError("sample_rate must be from 8000 to 48000 (Hz)")
        if self.language != "zh":
            raise ValueError("language: a pack says Mandarin (zh); other languages are synthesised")
        if not 0 <= self.gap <= 0.5:
            raise ValueError("gap must be from 0 to 0.5 seconds")
        if not 0 <= self.pause <= 1.5:
            raise ValueError("pause must be from 0 to 1.5 seconds")


class PackFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pack: PackInfo
    clips: dict[str, str]


def cardinal_zh(number: int) -> str:
    """A counter number as it is read: 3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五,
    110 → 一百一十; from 1000 on, digit by digit."""
    if number < 10:
        return _ZH_DIGITS[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[ones] if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        said = _ZH_DIGITS[hundreds] + "百"
        if rest == 0:
            return said
        if rest < 10:
            return said + "零" + _ZH_DIGITS[rest]
        return said + _ZH_DIGITS[rest // 10] + "十" + (_ZH_DIGITS[rest % 10] if rest % 10 else "")
    return "".join(_ZH_DIGITS[int(d)] for d in str(number))


def _is_pause(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _readings(text: str) -> str:
    """The text with its Arabic numbers as they are read (``cardinal_zh``)."""
    return _ARABIC.sub(lambda number: cardinal_zh(int(number.group())), text)


class VoicePack:
    """A loaded pack: its clips as 16-bit PCM at ``RATE``."""

    def __init__(self, folder: Path, info: PackInfo, clips: dict[str, bytes], fingerprint: str) -> None:
        self.folder, self.info, self.clips, self.fingerprint = folder, info, clips, fingerprint
        self.language = info.language
        self._longest = max(map(len, clips), default=0)
        self._reported: set[str] = set()

    def plan(self, text: str) -> tuple[list[str], list[str]]:
        """The clips (and ``PAUSE``) that say ``text``, and the words no clip says."""
        text = _readings(text)
        said: list[str] = []
        missing: list[str] = []
        unsaid = ""  # a run of characters no clip says, reported as one word
        at = 0
        while at < len(text):
            char = text[at]
            if char.isspace() or _is_pause(char):
                length, clip = 1, "" if char.isspace() else PAUSE
            else:
                longest = min(self._longest, len(text) - at)
                length = next((n for n in range(longest, 0, -1) if text[at : at + n] in self.clips), 0)
                clip = text[at : at + length]
            if not length:
                unsaid += char
                at += 1
                continue
            if unsaid:
                missing.append(unsaid)
                unsaid = ""
            if clip and (clip != PAUSE or (said and said[-1] != PAUSE)):  # no pause first or twice
                said.append(clip)
            at += length
        if unsaid:
            missing.append(unsaid)
        while said and said[-1] == PAUSE:
            said.pop()
        return said, missing

    def pcm(self, plan: list[str]) -> bytes:
        """The clips one after another: ``gap`` between two, ``pause`` for a comma."""
        out = bytearray()
        for index, clip in enumerate(plan):
            if clip == PAUSE:
                out += _silence(self.info.pause)
                continue
            if index and plan[index - 1] != PAUSE:
                out += _silence(self.info.gap)
            out += self.clips[clip]
        return bytes(out)

    def spoken(self, text: str) -> bytes | None:
        """``text`` said with the clips; None if some word has no clip (logged once a word)."""
        plan, missing = self.plan(text)
        if not missing:
            return self.pcm(plan)
        if new := [word for word in missing if word not in self._reported]:
            self._reported.update(new)
            log.warning(
                "voice pack %s has no clip for %s; %r is synthesised instead",
                self.folder,
                "、".join(new),
                text,
            )
        return None

    def unsaid(self, texts: Iterable[str]) -> list[str]:
        """The words of ``texts`` no clip says, each once, in order."""
        return list(dict.fromkeys(word for text in texts for word in self.plan(text)[1]))


def resampled(pcm: bytes, source: int, target: int = RATE) -> bytes:
    """16-bit PCM at ``source`` Hz as 16-bit PCM at ``target`` Hz (a low-pass first when it
    comes down, or the upper frequencies fold back as noise)."""
    if source == target:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if source > target:
        cutoff = 0.45 * target / source  # cycles a sample, below the new Nyquist frequency
        taps = np.arange(-32, 33)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
        samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
    count = round(len(samples) * target / source)
    out = np.interp(np.arange(count) * (source / target), np.arange(len(samples)), samples)
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def _read_clip(path: Path, info: PackInfo) -> bytes:
    """A clip's PCM as the file holds it, or why it cannot be used."""
    try:
        with wave.open(str(path)) as audio:
            channels, width, rate, frames = (
                audio.getnchannels(),
                audio.getsampwidth(),
                audio.getframerate(),
                audio.getnframes(),
            )
            pcm = audio.readframes(frames)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file ({exc})") from None
    if channels != 1:
        raise ValueError(f"{channels} channels; a clip is mono")
    if width != 2:
        raise ValueError(f"{8 * width}-bit; a clip is 16-bit PCM")
    if rate != info.sample_rate:
        raise ValueError(f"{rate} Hz; the pack's sample_rate is {info.sample_rate}")
    if frames / rate > _LONGEST_CLIP:
        raise ValueError(f"{frames / rate:.1f} s long; a clip says a word or a phrase (at most {_LONGEST_CLIP:.0f} s)")
    if not trimmed(pcm, _SILENT):
        raise ValueError("silent")
    return pcm


def load_pack(folder: str | Path) -> VoicePack:
    """Read and check a pack; ``VoicePackError`` names the file and the field or clip."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    spec, raw = read_toml(manifest, PackFile, "the pack's manifest", VoicePackError)
    digest = hashlib.sha256(raw)
    clips: dict[str, bytes] = {}
    for said, name in spec.clips.items():
        field = f"{manifest}: clips.{said}"
        if not said or any(c.isspace() or _is_pause(c) or c in string.digits for c in said):
            raise VoicePackError(f"{field}: a clip says words: no digits (0-9), spaces or punctuation")
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise VoicePackError(f"{field}: {name!r}: a file in the pack's folder")
        try:
            pcm = _read_clip(path, spec.pack)
        except ValueError as exc:
            raise VoicePackError(f"{field}: {path}: {exc}") from None
        digest.update(said.encode() + pcm)
        clips[said] = resampled(pcm, spec.pack.sample_rate)
    return VoicePack(folder, spec.pack, clips, digest.hexdigest()[:16])


def unsaid_in_calls(
    pack: VoicePack, settings: VoiceSettings, prefixes: Iterable[str], counters: Iterable[int]
) -> list[str]:
    """What a hall's calls would say that the pack has no clip for: every form, every group's
    prefix with every digit, every counter."""
    forms: tuple[VoiceForm, ...] = ("full", "brief", "number")
    texts = (
        text
        for form in forms
        for prefix in prefixes
        for counter in counters
        for language, text in call_texts(settings, f"{prefix}0123456789", counter, form).items()
        if language == pack.language
    )
    return pack.unsaid(texts)


def pack_warnings(pack: VoicePack) -> list[str]:
    """What a person recording a pack should look at: the clips the smallest set needs, silence
    left at a clip's ends, a clip too quiet, clipped, or much louder or quieter than the rest."""
    warnings = [f"no clip for {said!r} (a call may need it)" for said in CLIP_FILES if said not in pack.clips]
    levels: dict[str, float] = {}
    for said, pcm in pack.clips.items():
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        loud = np.flatnonzero(np.abs(samples) >= _SILENT)
        lead, trail = loud[0] / RATE, (len(samples) - 1 - loud[-1]) / RATE
        if max(lead, trail) > 0.15:
            warnings.append(f"{said!r}: {lead:.2f} s of silence before, {trail:.2f} s after: trim it to 0.05 s or less")
        peak = np.abs(samples).max()
        if peak >= 32700:
            warnings.append(f"{said!r}: clipped (samples at full scale): record it lower")
        elif peak < 0.25 * 32768:
            dbfs = 20 * np.log10(peak / 32768)
            warnings.append(f"{said!r}: quiet (peak {dbfs:.0f} dBFS): normalise to about -3 dBFS")
        levels[said] = 20 * np.log10(np.sqrt(np.mean(samples[loud[0] : loud[-1] + 1] ** 2)) / 32768)
    if levels:
        middle = float(np.median(list(levels.values())))
        warnings += [
            f"{said!r}: {level - middle:+.0f} dB from the other clips' level: the calls would jump"
            for said, level in levels.items()
            if abs(level - middle) > 6
        ]
    return warnings


def make_pack(folder: Path, sample_rate: int = 16000, voice: str = "sit/cmn", rate: int = 200) -> list[Path]:
    """A pack of ``CLIP_FILES`` said by espeak-ng (the default pack; the template for a
    recorded one): each clip without the silence around it, at ``sample_rate``. At 200 words a
    minute: a word said alone drags at 150, and the short forms a screen says while behind are
    only as quick as the clips."""
    from displays.voice import _speak

    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "# A voice pack (语音包) for the hall's voice call: see the README, 'Recording a voice pack'.",
        "# Every clip: mono, 16-bit PCM WAV at sample_rate; each says the text on its left.",
        "[pack]",
        f'name = "espeak-ng {voice} ({rate} words a minute)"',
        f"sample_rate = {sample_rate}",
        "gap = 0.04",
        "pause = 0.25",
        "",
        "[clips]",
    ]
    written = []
    for said, name in CLIP_FILES.items():
        pcm = resampled(trimmed(_speak(said, voice, rate)), RATE, sample_rate)
        path = folder / name
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(sample_rate)
            audio.writeframes(pcm)
        lines.append(f'"{said}" = "{name}"')
        written.append(path)
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written
