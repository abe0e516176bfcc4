"""Pick the language for lab text: --lang, KUBELAB_LANG, the locale, else English."""
from __future__ import annotations

import os

# runner messages (lab text is localized in the lab itself)
MESSAGES: dict[str, dict[str, str]] = {
    "task": {"en": "Your task", "ko": "과제"},
    "hint": {"en": "Hint", "ko": "힌트"},
    "try": {"en": "Commands to try", "ko": "해 볼 명령"},
    "prompt": {"en": "[Enter] check  [h] hint  [s] solve  [q] quit",
               "ko": "[Enter] 확인  [h] 힌트  [s] 풀이  [q] 종료"},
    "passed": {"en": "Step passed", "ko": "단계 통과"},
    "failed": {"en": "Not yet", "ko": "아직 아닙니다"},
    "done": {"en": "Lab complete", "ko": "실습 완료"},
    "resume": {"en": "Resuming at step", "ko": "이어서 진행할 단계"},
    "saved": {"en": "Progress saved. Run the same command to resume.",
              "ko": "진행 상황이 저장되었습니다. 같은 명령으로 이어서 할 수 있습니다."},
    "checking": {"en": "checking", "ko": "확인 중"},
    "objectives": {"en": "Objectives", "ko": "학습 목표"},
}


def detect(explicit: str | None = None) -> str:
    if explicit:
        return explicit.lower()
    for var in ("KUBELAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        v = os.environ.get(var, "")
        if v and v not in ("C", "POSIX") and not v.startswith("C."):
            return v.split("_")[0].split(".")[0].lower()
    return "en"


def msg(key: str, lang: str) -> str:
    m = MESSAGES.get(key, {})
    return m.get(lang) or m.get("en", key)
