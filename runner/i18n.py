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
    "ns_gone": {"en": "The lab's namespace {ns} is gone (`kubelab reset` in another terminal?). "
                      "[Enter] set this step up again  [q] quit",
                "ko": "실습 네임스페이스 {ns}가 없습니다(다른 터미널에서 `kubelab reset`?). "
                      "[Enter] 이 단계를 다시 준비  [q] 종료"},
    "step_again": {"en": "step set up again", "ko": "단계를 다시 준비했습니다"},
    "objectives": {"en": "Objectives", "ko": "학습 목표"},
    "pass": {"en": "PASS", "ko": "통과"},
    "fail": {"en": "FAIL", "ko": "실패"},
    "solve": {"en": "solve", "ko": "풀이"},
    "solving": {"en": "solving (waiting as long as the solution needs)", "ko": "풀이 중 (풀이가 끝날 때까지 기다립니다)"},
    "more": {"en": "… {n} more", "ko": "… {n}개 더"},
    "step": {"en": "step", "ko": "단계"},
    "hint_for": {"en": "Hint for", "ko": "힌트:"},
    "no_more_hints": {"en": "no more hints: [s] shows the solution", "ko": "더 이상 힌트가 없습니다. [s]로 풀이를 볼 수 있습니다"},
    "done_body": {"en": "All {n} steps of {lab} done in this session's namespace {ns}. "
                        "`kubelab reset {lab}` removes what the lab created.",
                  "ko": "{lab}의 {n}개 단계를 모두 마쳤습니다 (네임스페이스 {ns}). "
                        "`kubelab reset {lab}` 명령으로 실습이 만든 오브젝트를 지울 수 있습니다."},
    "view_pods": {"en": "pods", "ko": "파드"},
    "view_pvcs": {"en": "persistent volume claims", "ko": "퍼시스턴트볼륨클레임"},
    "view_endpoints": {"en": "endpoints", "ko": "엔드포인트"},
    "view_events": {"en": "events", "ko": "이벤트"},
    "view_objects": {"en": "objects", "ko": "오브젝트"},
}

# runner phrases inside check details, translated by pattern (the engine writes them in English)
DETAIL_PATTERNS: dict[str, list[tuple[str, str]]] = {
    "ko": [
        (r"^not passing after (\S+)s \(timeout (\S+)s\): (.*)$", r"\1초가 지나도 통과하지 않음 (제한 시간 \2초): \3"),
        (r"^timed out after (\S+)s waiting for: (.*)$", r"\1초 동안 기다렸지만 통과하지 않음: \2"),
        (r"^judged on samples taken during this check only; .*$",
         "이번 확인 동안 수집한 표본으로만 판정했습니다. `kubelab run`은 단계 내내 약속을 지켜봅니다"),
        (r"^events of (.*):$", r"\1의 이벤트:"),
        (r"^last log lines:$", "마지막 로그:"),
    ],
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


def localize_detail(line: str, lang: str) -> str:
    """A runner phrase in a check's details, in `lang` (lab-specific text is left as it is)."""
    import re
    for pat, rep in DETAIL_PATTERNS.get(lang, []):
        new, n = re.subn(pat, rep, line)
        if n:
            return new
    return line
