"""The voice call: what is said, and real WAVs from espeak-ng through pyttsx3."""

from __future__ import annotations

import array
import asyncio
import os
import subprocess
import time
import wave
from pathlib import Path

import pytest

from config.halls import ConfigError, load_hall
from displays.voice import (
    Synthesizer,
    VoiceSettings,
    announcement_texts,
    call_texts,
    form_settings,
    spoken_number,
)
from displays.voicepack import VoicePack
from tests.support import SMALL_HALL


def test_numbers_are_read_digit_by_digit() -> None:
    assert spoken_number("A001", "zh") == "A零零一"
    assert spoken_number("B120", "zh") == "B一二零"
    assert spoken_number("KS1000", "zh") == "KS一零零零"
    assert spoken_number("A001", "en") == "A zero zero one"


def test_the_templates_say_the_number_and_the_counter() -> None:
    settings = VoiceSettings(languages=("zh", "en"))
    assert call_texts(settings, "A001", 3) == {
        "zh": "请A零零一号到3号窗口办理",
        "en": "Number A zero zero one, please go to counter 3",
    }
    custom = VoiceSettings(languages=("zh",), templates={"zh": "{number}号请到{counter}号窗口"})
    assert call_texts(custom, "C012", 10) == {"zh": "C零一二号请到10号窗口"}
    assert announcement_texts(settings, "请保管好随身物品", "") == {"zh": "请保管好随身物品"}


def test_a_screen_behind_has_shorter_forms_of_a_call() -> None:
    settings = VoiceSettings(languages=("zh", "en"), repeat=2, chime=True, rate=150)
    assert call_texts(settings, "A001", 3, "brief") == {"zh": "A零零一号，3号窗口"}
    assert call_texts(settings, "A001", 3, "number") == {"zh": "A零零一"}
    assert form_settings(settings, "full") is settings
    quick = form_settings(settings, "number")
    assert (quick.languages, quick.repeat, quick.chime, quick.rate) == (("zh",), 1, False, 260)
    english_first = VoiceSettings(languages=("en", "zh"))
    assert call_texts(english_first, "A001", 3, "brief") == {"en": "A zero zero one, counter 3"}


def test_the_short_forms_are_short_real_wavs(tmp_path: Path) -> None:
    """The forms a screen plays while behind, as espeak-ng makes them here: the number alone
    under a second, the brief form under three, the full one ~20 s; the short ones without the
    silence espeak-ng says around the words (a breath after them, nothing before)."""
    from displays.voice import SHORT_TAIL, _speak

    settings = VoiceSettings(languages=("zh", "en"), repeat=2, chime=True)
    seconds = {}
    for form in ("full", "brief", "number"):
        spoken, texts = form_settings(settings, form), call_texts(settings, "A001", 3, form)
        path = asyncio.run(_synthesize(tmp_path, spoken, texts, short=form != "full"))
        seconds[form], samples = _audio(path)
        if form != "full":
            (raw,) = (_speak(text, spoken.voice(language), spoken.rate) for language, text in texts.items())
            assert seconds[form] < len(raw) / 2 / 22050 + SHORT_TAIL - 0.1, "espeak-ng's own silence is gone"
            assert max(abs(v) for v in samples[: int(0.02 * 22050)]) >= 300, "the words start at once"
    assert seconds["number"] < 1.0 and seconds["brief"] < 3.0 and seconds["full"] > 15, seconds


def test_silence_alone_trims_to_nothing() -> None:
    from displays.voice import trimmed

    assert trimmed(b"\x00\x00" * 1000) == b""
    assert trimmed(array.array("h", [0, 5, 400, -500, 3, 0]).tobytes()) == array.array("h", [400, -500]).tobytes()


def test_a_bad_template_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "hall.toml"
    path.write_text(SMALL_HALL.read_text() + '\n[voice]\nlanguages = ["zh"]\n[voice.templates]\nzh = "请{ticket}号"\n')
    with pytest.raises(ConfigError, match=r"hall.toml: voice: templates.zh: KeyError\('ticket'\)"):
        load_hall(path)
    path.write_text(SMALL_HALL.read_text() + '\n[voice]\nlanguages = ["fr"]\n')
    with pytest.raises(ConfigError, match=r"voice.languages\[0\]"):
        load_hall(path)


def _audio(path: Path) -> tuple[float, array.array]:
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 22050)
        samples = array.array("h", audio.readframes(audio.getnframes()))
        return audio.getnframes() / audio.getframerate(), samples


def _speech_seconds(samples: array.array, rate: int = 22050) -> float:
    """Time during which the signal is clearly above silence (in 20 ms windows)."""
    window = rate // 50
    loud = 0
    for start in range(0, len(samples) - window, window):
        chunk = samples[start : start + window]
        if (sum(s * s for s in chunk) / window) ** 0.5 > 300:
            loud += 1
    return loud / 50


@pytest.mark.parametrize(
    ("language", "text", "shortest", "longest"),
    [("zh", "请A零零一号到3号窗口办理", 3.0, 8.0), ("en", "Number A zero zero one, please go to counter 3", 2.0, 6.0)],
)
def test_real_speech_of_a_plausible_length(tmp_path: Path, language: str, text: str, shortest: float, longest: float):
    settings = VoiceSettings(languages=(language,), repeat=1, chime=False)
    path = asyncio.run(_synthesize(tmp_path, settings, {language: text}))
    seconds, samples = _audio(path)
    assert shortest <= seconds <= longest, seconds
    assert max(abs(s) for s in samples) > 4000, "no sound at all"
    assert _speech_seconds(samples) > 0.6 * shortest, "mostly silence"


WORDS = [("cmn", "请A零零一号到3号窗口办理"), ("en", "Number B zero zero two, counter 5")]


@pytest.mark.parametrize(("voice", "text"), WORDS)
def test_whole_speech_as_long_as_espeak_ng_itself_makes_it(tmp_path: Path, voice: str, text: str) -> None:
    """One worker process says one thing after another, in other voices and at other rates (two
    halls of one server may differ): each is whole, as long as the espeak-ng program makes it
    (its noise sources vary the samples, never the length), and nothing is left over."""
    from concurrent.futures import ProcessPoolExecutor

    from displays.voice import _speak

    reference = tmp_path / "reference.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(reference), text], check=True)
    expected, _ = _audio(reference)
    name = {"cmn": "sit/cmn", "en": "gmw/en"}[voice]
    said = ((text, name, 150), ("另一段话，说得快一些", "sit/cmn", 200), (text, name, 150))
    with ProcessPoolExecutor(1) as worker:  # as the server does: one worker process, reused
        spoken = [worker.submit(_speak, words, voices, rate).result() for words, voices, rate in said]
    for pcm in (spoken[0], spoken[2]):
        seconds = len(pcm) / 2 / 22050
        assert abs(seconds - expected) < 0.02, (seconds, expected)


def test_chime_then_the_words_repeated(tmp_path: Path) -> None:
    texts = {"zh": "请A零零一号到3号窗口办理"}
    once, _ = _audio(asyncio.run(_synthesize(tmp_path, VoiceSettings(repeat=1, chime=False), texts)))
    twice, samples = _audio(asyncio.run(_synthesize(tmp_path, VoiceSettings(repeat=2, chime=True), texts)))
    # A chime (0.95 s with its pause), then the words twice with 0.9 s between.
    assert abs(twice - (0.95 + 2 * (once - 0.2) + 0.9 + 0.2)) < 0.05, (once, twice)
    chime = samples[: int(0.7 * 22050)]
    assert max(abs(s) for s in chime) > 4000  # the chime is there before the words


def test_one_synthesis_per_text_and_the_loop_keeps_running(tmp_path: Path) -> None:
    settings = VoiceSettings(languages=("zh", "en"), repeat=2)
    texts = call_texts(settings, "B007", 12)

    async def scenario() -> None:
        synthesizer = Synthesizer(tmp_path)
        gaps: list[float] = []

        async def ticker() -> None:  # the event loop must stay responsive while speech is made
            last = time.perf_counter()
            while True:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        try:
            paths = await asyncio.gather(*(synthesizer.wav(settings, texts) for _ in range(5)))
        finally:
            ticking.cancel()
            synthesizer.close()
        assert len(set(paths)) == 1 and list(tmp_path.glob("*.wav")) == [paths[0]]
        assert max(gaps) < 0.1, f"the loop stalled for {max(gaps):.3f} s"
        started = time.perf_counter()
        again = await Synthesizer(tmp_path).wav(settings, texts)  # a new process finds it on disk
        assert again == paths[0] and time.perf_counter() - started < 0.05

    asyncio.run(scenario())


async def _synthesize(
    folder: Path, settings: VoiceSettings, texts: dict[str, str], short: bool = False, pack: VoicePack | None = None
) -> Path:
    synthesizer = Synthesizer(folder)
    try:
        return await synthesizer.wav(settings, texts, short=short, pack=pack)
    finally:
        synthesizer.close()


def test_the_voice_folder_is_kept_under_its_bound_the_least_recently_used_going_first(tmp_path: Path) -> None:
    settings = VoiceSettings(languages=("zh",), repeat=1, chime=False)
    old = []
    for n, age in enumerate((500, 400, 300, 200)):  # four earlier calls of 100 kB, the first oldest
        path = tmp_path / f"earlier-{n}.wav"
        path.write_bytes(b"\0" * 100_000)
        os.utime(path, (time.time() - age, time.time() - age))
        old.append(path)
    os.utime(old[0])  # the oldest was just played again: it stays
    draft = tmp_path / "left.1234.part"  # an interrupted synthesis, two hours ago
    draft.write_bytes(b"\0" * 10)
    os.utime(draft, (time.time() - 7200, time.time() - 7200))

    async def scenario() -> Path:
        synthesizer = Synthesizer(tmp_path, most_bytes=600_000)
        try:
            return await synthesizer.wav(settings, call_texts(settings, "B007", 12))
        finally:
            synthesizer.close()

    made = asyncio.run(scenario())
    assert 200_000 < made.stat().st_size < 500_000  # about 270 kB: a call said once
    kept = sorted(p.name for p in tmp_path.glob("*.wav"))
    # 4 × 100 kB and the new one are over 600 kB: the least recently used go until it fits
    assert sum(p.stat().st_size for p in tmp_path.glob("*.wav")) <= 600_000
    assert kept == sorted([made.name, "earlier-0.wav", "earlier-2.wav", "earlier-3.wav"])
    assert not draft.exists()
