"""Voice packs (语音包): make one with espeak-ng, check a recorded one and hear a call from it."""

from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path

from displays.voice import RATE, VoiceSettings, call_texts, compose
from displays.voicepack import CLIP_FILES, VoicePackError, load_pack, make_pack, pack_warnings

__all__ = ["add_commands"]


def cmd_make(args: argparse.Namespace) -> int:
    written = make_pack(Path(args.folder), sample_rate=args.sample_rate)
    size = sum(path.stat().st_size for path in written)
    print(f"{len(written)} clips in {args.folder} ({size / 1024:.0f} KiB)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    try:
        pack = load_pack(args.folder)
    except VoicePackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = sum(len(pcm) for pcm in pack.clips.values()) / 2 / RATE
    print(f"{pack.info.name}: {len(pack.clips)} clips, {seconds:.1f} s, {pack.info.sample_rate} Hz")
    warnings = pack_warnings(pack)
    for warning in warnings:
        print(f"warning  {warning}")
    settings = VoiceSettings(languages=("zh",), repeat=args.repeat)
    text = call_texts(settings, args.number, args.counter)["zh"]
    plan, missing = pack.plan(text)
    if missing:
        print(f"error: cannot say {text!r}: no clip for {', '.join(map(repr, missing))}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_bytes(compose([pack.pcm(plan)], settings.repeat, settings.chime))
        with wave.open(args.out) as audio:
            length = audio.getnframes() / audio.getframerate()
        print(f"{text}: {' + '.join(plan)} → {args.out} ({length:.1f} s; play it with `aplay {args.out}`)")
    missing_clips = [said for said in CLIP_FILES if said not in pack.clips]
    return 1 if missing_clips else 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    pack = commands.add_parser("voice-pack", help="make or check a voice pack (语音包)")
    actions = pack.add_subparsers(dest="action", required=True)
    make = actions.add_parser("make", help="make a pack with espeak-ng (the default pack; a template to record)")
    make.add_argument("folder")
    make.add_argument("--sample-rate", type=int, default=16000)
    make.set_defaults(run=cmd_make)
    check = actions.add_parser("check", help="list a pack's missing or doubtful clips; write a sample call")
    check.add_argument("folder")
    check.add_argument("--number", default="A012", help="the sample call's ticket number")
    check.add_argument("--counter", type=int, default=23, help="the sample call's counter")
    check.add_argument("--repeat", type=int, default=2)
    check.add_argument("--out", help="write the sample call (chime, the words repeated) to this WAV")
    check.set_defaults(run=cmd_check)
