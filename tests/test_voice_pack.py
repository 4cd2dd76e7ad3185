"""Voice packs (语音包): calls said with recorded clips, read back from real WAVs.

The test packs are square tones, each clip a different length (tests/support.py ``tone_pack``),
so that a call's WAV shows which clips it says, in which order, and with which gaps.
"""

from __future__ import annotations

import array
import asyncio
import itertools
import wave
from pathlib import Path

import pytest

from config.halls import ConfigError, load_hall
from displays.voice import (
    RATE,
    ROUND_GAP,
    SHORT_TAIL,
    TAIL,
    VoiceSettings,
    _chime,
    call_texts,
    form_settings,
)
from displays.voicepack import (
    CLIP_FILES,
    DEFAULT_PACK,
    MANIFEST,
    PAUSE,
    VoicePackError,
    cardinal_zh,
    load_pack,
    pack_warnings,
)
from tests.support import DEMO_HALL, SMALL_HALL, logged, tone_pack
from tests.test_voice import _audio, _synthesize

PHRASES = [*CLIP_FILES, "号窗口办理"]  # the smallest set, and a whole phrase said in one piece
GAP, PAUSE_SECONDS = 0.04, 0.25


def frames(seconds: float) -> int:
    return int(RATE * seconds)  # as the silences are made


def segments(samples: array.array, quiet: int = 100) -> list[tuple[int, int]]:
    """(start, length) of each stretch of sound, split where ``quiet`` samples or more are silent."""
    found: list[tuple[int, int]] = []
    start = last = None
    for index, value in enumerate(samples):
        if abs(value) < 300:
            continue
        if start is None or index - last > quiet:
            if start is not None:
                found.append((start, last + 1 - start))
            start = index
        last = index
    if start is not None:
        found.append((start, last + 1 - start))
    return found


def said(pack_dir: Path, samples: array.array, offset: int = 0) -> list[str]:
    """Which clips the stretches of sound are, by their lengths."""
    pack = load_pack(pack_dir)
    by_length = {len(pcm) // 2: words for words, pcm in pack.clips.items()}
    return [by_length.get(length, f"?{length}") for start, length in segments(samples) if start >= offset]


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    tone_pack(tmp_path / "pack", PHRASES)
    return tmp_path / "pack"


def test_counter_numbers_are_read_as_numbers() -> None:
    readings = {3: "三", 10: "十", 12: "十二", 20: "二十", 23: "二十三", 99: "九十九", 100: "一百", 105: "一百零五"}
    readings |= {110: "一百一十", 999: "九百九十九", 1024: "一零二四"}
    assert {number: cardinal_zh(number) for number in readings} == readings


def test_a_call_is_its_clips_longest_first(pack_dir: Path) -> None:
    pack = load_pack(pack_dir)
    assert pack.plan("请A零零一号到12号窗口办理") == (
        ["请", "A", "零", "零", "一", "号", "到", "十", "二", "号窗口办理"],
        [],
    )
    assert pack.plan("A零零一号，3号窗口") == (["A", "零", "零", "一", "号", PAUSE, "三", "号", "窗口"], [])
    assert pack.plan("，A，，号 窗口。") == (["A", PAUSE, "号", "窗口"], [])  # no pause first, twice or last
    assert pack.plan("请B零零二号到3号窗口领取材料") == (
        ["请", "B", "零", "零", "二", "号", "到", "三", "号", "窗口"],
        ["领取材料"],
    )


def test_a_whole_call_is_its_clips_and_gaps_in_order(tmp_path: Path, pack_dir: Path) -> None:
    """请A零零一号到3号窗口办理, once without the chime: exactly the clips with a gap between two
    and the tail; then with the chime and twice, as the hall file says."""
    pack = load_pack(pack_dir)
    plan = ["请", "A", "零", "零", "一", "号", "到", "三", "号窗口办理"]
    clips = sum(len(pack.clips[words]) // 2 for words in plan)
    once = VoiceSettings(languages=("zh",), repeat=1, chime=False, pack=str(pack_dir))
    path = asyncio.run(_synthesize(tmp_path / "cache", once, call_texts(once, "A001", 3), pack=pack))
    _, samples = _audio(path)
    with wave.open(str(path)) as audio:
        assert audio.getnframes() == clips + 8 * frames(GAP) + frames(TAIL)
    assert said(pack_dir, samples) == plan
    assert [length for _, length in segments(samples)] == [len(pack.clips[words]) // 2 for words in plan]
    gaps = [b[0] - (a[0] + a[1]) for a, b in itertools.pairwise(segments(samples))]
    assert gaps == [frames(GAP)] * 8

    twice = VoiceSettings(languages=("zh",), repeat=2, chime=True)
    path = asyncio.run(_synthesize(tmp_path / "cache", twice, call_texts(twice, "A001", 3), pack=pack))
    _, samples = _audio(path)
    spoken = clips + 8 * frames(GAP)
    assert len(samples) == len(_chime()) // 2 + 2 * spoken + frames(ROUND_GAP) + frames(TAIL)
    assert said(pack_dir, samples, offset=len(_chime()) // 2) == plan * 2


def test_clips_at_another_rate_are_converted(tmp_path: Path) -> None:
    """A pack recorded at 16 kHz: each clip comes out at the calls' 22.05 kHz, as long and at
    the same pitch."""
    clips = tone_pack(tmp_path / "pack", ["请", "号"], rate=16000)
    pack = load_pack(tmp_path / "pack")
    for index, words in enumerate(clips):
        with wave.open(str(tmp_path / "pack" / f"clip-{index}.wav")) as audio:
            recorded = audio.getnframes()
        converted = array.array("h", pack.clips[words])
        assert len(converted) == round(recorded * RATE / 16000)
        # a square wave of 16000 // (200 + 10 * index) samples a period: its sign changes twice a period
        changes = sum(1 for a, b in itertools.pairwise(converted) if (a < 0) != (b < 0))
        frequency = changes / 2 / (len(converted) / RATE)
        assert abs(frequency - 16000 / (16000 // (200 + 10 * index))) < 25, frequency


def test_the_short_forms_of_a_screen_behind_use_the_pack(tmp_path: Path, pack_dir: Path) -> None:
    """While the screen is behind: the brief form (with a pause for its comma) and the number
    alone, once, without the chime, a breath after them, whatever the hall file says."""
    pack = load_pack(pack_dir)
    settings = VoiceSettings(languages=("zh", "en"), repeat=2, chime=True)
    expected = {
        "brief": ["A", "零", "零", "一", "号", "三", "号", "窗口"],  # the comma is a pause
        "number": ["A", "零", "零", "一"],
    }
    lengths = {}
    for form, plan in expected.items():
        texts = call_texts(settings, "A001", 3, form)
        path = asyncio.run(_synthesize(tmp_path / "cache", form_settings(settings, form), texts, True, pack))
        _, samples = _audio(path)
        lengths[form] = len(samples)
        assert said(pack_dir, samples) == plan
        clips = sum(len(pack.clips[words]) // 2 for words in plan)
        pauses = 1 if form == "brief" else 0
        gaps = len(plan) - 1 - pauses
        assert len(samples) == clips + gaps * frames(GAP) + pauses * frames(PAUSE_SECONDS) + frames(SHORT_TAIL)
    full = asyncio.run(_synthesize(tmp_path / "cache", settings, call_texts(settings, "A001", 3), pack=pack))
    assert lengths["number"] < lengths["brief"] < len(_audio(full)[1]) / 3


def test_what_the_pack_cannot_say_is_synthesised_and_logged_once(tmp_path: Path, caplog) -> None:
    """A pack without Q (a group taken out of the hall file, its tickets still recalled): those
    calls' Mandarin is espeak-ng's, as long as espeak-ng makes it; the English always is."""
    tone_pack(tmp_path / "pack", [words for words in PHRASES if words != "Q"])
    pack = load_pack(tmp_path / "pack")
    settings = VoiceSettings(languages=("zh",), repeat=1, chime=False)
    with logged(caplog, "hall.voice"):
        made = [
            asyncio.run(_synthesize(tmp_path / "cache", settings, call_texts(settings, number, 3), pack=pack))
            for number in ("Q001", "Q002", "A001")
        ]
    synthesised = asyncio.run(_synthesize(tmp_path / "espeak", settings, call_texts(settings, "Q001", 3)))
    assert _audio(made[0])[0] == _audio(synthesised)[0]
    assert said(tmp_path / "pack", _audio(made[2])[1]) == ["请", "A", "零", "零", "一", "号", "到", "三", "号窗口办理"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "hall.voice"]
    assert len(warnings) == 1 and "has no clip for Q" in warnings[0], warnings


def _write_wav(path: Path, channels: int = 1, width: int = 2, rate: int = 16000, pcm: bytes | None = None) -> None:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(width)
        audio.setframerate(rate)
        audio.writeframes(pcm if pcm is not None else b"\x40\x1f\xc0\xe0" * (800 * channels * width // 2))


BROKEN = {
    "no manifest": (lambda d: (d / MANIFEST).unlink(), r"voice-pack.toml: cannot read the pack's manifest"),
    "unknown field": (
        lambda d: _edit(d, "[pack]", "[pack]\nrate = 16000"),
        r"voice-pack.toml: pack: Object contains unknown field `rate`",
    ),
    "bad rate": (
        lambda d: _edit(d, "sample_rate = 16000", "sample_rate = 4000"),
        r"voice-pack.toml: pack: sample_rate must be from 8000 to 48000",
    ),
    "not TOML": (lambda d: _edit(d, "[clips]", "[clips"), r"voice-pack.toml: not valid TOML"),
    "missing file": (lambda d: (d / "clip-0.wav").unlink(), r"voice-pack.toml: clips.请: .*clip-0.wav: no such file"),
    "stereo": (lambda d: _write_wav(d / "clip-1.wav", channels=2), r"clips.号: .*clip-1.wav: 2 channels; a clip is mo"),
    "8-bit": (lambda d: _write_wav(d / "clip-1.wav", width=1), r"clips.号: .*: 8-bit; a clip is 16-bit PCM"),
    "other rate": (
        lambda d: _write_wav(d / "clip-1.wav", rate=44100),
        r"clips.号: .*: 44100 Hz; the pack's sample_rate is 16000",
    ),
    "not a WAV": (lambda d: (d / "clip-1.wav").write_text("号"), r"clips.号: .*clip-1.wav: not a PCM WAV file"),
    "silent": (lambda d: _write_wav(d / "clip-1.wav", pcm=bytes(3200)), r"clips.号: .*clip-1.wav: silent"),
    "digits": (lambda d: _edit(d, '"号" =', '"3号" ='), r"clips.3号: a clip says words: no digits"),
    "outside": (lambda d: _edit(d, '"clip-1.wav"', '"../clip-1.wav"'), r"clips.号: '../clip-1.wav': a file in the"),
}


def _edit(folder: Path, old: str, new: str) -> None:
    manifest = folder / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_pack_names_the_file_and_the_field(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "pack"
    tone_pack(folder, ["请", "号"], rate=16000)
    breaking, message = BROKEN[case]
    breaking(folder)
    with pytest.raises(VoicePackError, match=message) as raised:
        load_pack(folder)
    assert str(raised.value).startswith(str(folder)), raised.value


def _hall_with_pack(tmp_path: Path, pack: str, hall: Path = SMALL_HALL, languages: str = '["zh", "en"]') -> Path:
    """``hall`` with ``[voice] pack``, written beside the packs (a pack is found from its hall file)."""
    path = tmp_path / "hall.toml"
    text = hall.read_text()
    if "[voice]\n" in text:
        path.write_text(text.replace("[voice]\n", f'[voice]\npack = "{pack}"\n', 1))
    else:
        path.write_text(text + f'\n[voice]\nlanguages = {languages}\npack = "{pack}"\n')
    return path


def test_a_hall_refuses_a_pack_that_cannot_say_its_calls(tmp_path: Path) -> None:
    """At load, not at the first call: a broken pack, a pack without a word of the hall's
    templates or a letter of its groups, a pack for a language the hall does not speak."""
    tone_pack(tmp_path / "pack", PHRASES)
    loaded = load_hall(_hall_with_pack(tmp_path, "pack")).voice_pack
    assert loaded is not None and loaded.fingerprint == load_pack(tmp_path / "pack").fingerprint
    (tmp_path / "pack" / "clip-1.wav").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"hall.toml: voice.pack: .*voice-pack.toml: clips.一: .*not a PCM WAV"):
        load_hall(_hall_with_pack(tmp_path, "pack"))

    tone_pack(tmp_path / "lacking", [words for words in CLIP_FILES if words not in ("办理", "S")])
    lacking = r"hall.toml: voice.pack: .*lacking/voice-pack.toml has no clip for '办理', 'S', which this hall's calls"
    with pytest.raises(ConfigError, match=lacking):
        load_hall(_hall_with_pack(tmp_path, "lacking"))
    with pytest.raises(ConfigError, match=r"hall.toml: voice.pack: the pack says 'zh', which voice.languages leaves"):
        load_hall(_hall_with_pack(tmp_path, "lacking", languages='["en"]'))
    with pytest.raises(ConfigError, match=r"hall.toml: voice.pack: .*nowhere/voice-pack.toml: cannot read"):
        load_hall(_hall_with_pack(tmp_path, "nowhere"))


def test_the_default_pack_is_small_whole_and_says_the_demo_halls_calls(tmp_path: Path) -> None:
    """Shipped in the repository (made by ``hall voice-pack make``): every clip of the smallest
    set, 16 kHz mono 16-bit, under 1 MB, nothing for a recorder to fix; the demo hall takes it."""
    pack = load_pack(DEFAULT_PACK)
    assert set(pack.clips) == set(CLIP_FILES) and pack.info.sample_rate == 16000
    files = [path for path in DEFAULT_PACK.iterdir() if path.suffix == ".wav"]
    assert len(files) == len(CLIP_FILES) and sum(path.stat().st_size for path in files) < 1_000_000
    assert pack_warnings(pack) == []
    demo = load_hall(_hall_with_pack(tmp_path, "default", hall=DEMO_HALL))
    assert demo.voice_pack is not None and demo.voice_pack.folder == DEFAULT_PACK
